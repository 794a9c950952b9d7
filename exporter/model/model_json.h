// The model as JSON in the shape of the Replicante agent API (unstable):
//
//   GET /api/unstable/info/datastore
//     {"cluster_display_name": "..." | null, "cluster_id": "...",
//      "kind": "...", "node_id": "...", "version": "..."}
//   GET /api/unstable/shards
//     {"shards": [{"id": "...", "role": ROLE,
//                  "commit_offset": {"unit": UNIT, "value": N} | null,
//                  "lag": {"unit": UNIT, "value": N} | null}]}
//
// ROLE is "primary", "secondary", "recovering" or {"unknown": "<state>"};
// UNIT is "seconds" or {"unit": "<name>"}. exporter/README-api.md gives the
// mapping field by field; collectors/replicante/replicante_parse.h reads them
// back. Pure: no I/O; nothing here throws.
#ifndef DATASTORE_EXPORTER_EXPORTER_MODEL_MODEL_JSON_H_
#define DATASTORE_EXPORTER_EXPORTER_MODEL_MODEL_JSON_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "exporter/model/model.h"
#include "nlohmann/json.hpp"

namespace dse {

// Builders of the JSON documents (and of their parts, reused by /api/status).
nlohmann::json DatastoreInfoToJson(const NodeModel& model,
                                   absl::string_view kind);
nlohmann::json ShardsToJson(const NodeModel& model);
nlohmann::json ShardToJson(const Shard& shard);
nlohmann::json RoleToJson(Role role, const std::string& role_detail);
nlohmann::json UnitToJson(const std::string& unit);

// Compact text of a document. Invalid UTF-8 in a string (a datastore may
// report anything) is replaced by U+FFFD instead of throwing.
std::string DumpJson(const nlohmann::json& value);

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_MODEL_MODEL_JSON_H_
