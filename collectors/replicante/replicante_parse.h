// Parsers of the two documents of the Replicante agent API (unstable) that
// the replicante kind reads: GET /api/unstable/info/datastore and GET
// /api/unstable/shards, in the shape exporter/model/model_json.h writes and
// exporter/README-api.md describes. Pure: no I/O; nothing here throws.
#ifndef DATASTORE_EXPORTER_COLLECTORS_REPLICANTE_REPLICANTE_PARSE_H_
#define DATASTORE_EXPORTER_COLLECTORS_REPLICANTE_REPLICANTE_PARSE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exporter/model/model.h"

namespace dse::replicante {

// The administration part of a node, as /api/unstable/info/datastore gives it.
struct AgentDatastoreInfo {
  std::string cluster_id;
  std::string cluster_display_name;
  std::string kind;
  std::string node;
  std::string version;
};

// Parsers of the two documents, lenient where the Replicante agents differ:
// roles in any letter case, {"other": "<state>"} as {"unknown": ...}, a
// missing `lag`/`commit_offset` as null, and the "milliseconds" unit (lags
// are converted to seconds; commit offsets keep the unit). Errors say which
// document and field: `shards[1].role: expected ...`.
absl::StatusOr<AgentDatastoreInfo> ParseDatastoreInfo(absl::string_view text);
absl::StatusOr<std::vector<Shard>> ParseShards(absl::string_view text);

}  // namespace dse::replicante

#endif  // DATASTORE_EXPORTER_COLLECTORS_REPLICANTE_REPLICANTE_PARSE_H_
