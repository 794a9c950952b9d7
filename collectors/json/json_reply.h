// Replies in JSON, for the kinds that speak HTTP (etcd, NATS): the text
// parsed once, with errors as values.
#ifndef DATASTORE_EXPORTER_COLLECTORS_JSON_JSON_REPLY_H_
#define DATASTORE_EXPORTER_COLLECTORS_JSON_JSON_REPLY_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace dse {

// `text` as a JSON object. nlohmann::json reports bad input by exception; it
// stops here. Errors start with `what`: "<what>: invalid JSON: ...",
// "<what>: expected a JSON object, got array".
absl::StatusOr<nlohmann::json> ParseJsonObject(absl::string_view text,
                                               absl::string_view what);

}  // namespace dse

#endif  // DATASTORE_EXPORTER_COLLECTORS_JSON_JSON_REPLY_H_
