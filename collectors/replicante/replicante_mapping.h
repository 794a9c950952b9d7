// The "replicante" kind without I/O: where the agent API is and how its two
// documents become the model. Tested on recorded documents in fixtures/.
#ifndef DATASTORE_EXPORTER_COLLECTORS_REPLICANTE_REPLICANTE_MAPPING_H_
#define DATASTORE_EXPORTER_COLLECTORS_REPLICANTE_REPLICANTE_MAPPING_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exporter/model/model.h"
#include "exporter/model/target.h"

namespace dse::replicante {

// Paths of the agent API (unstable version).
inline constexpr char kInfoPath[] = "/api/unstable/info/datastore";
inline constexpr char kShardsPath[] = "/api/unstable/shards";

// Where a target's agent API answers, from its configuration.
struct AgentEndpoint {
  std::string scheme = "http";  // Option `scheme`: http or https.
  HostPort address;
  std::string target;   // Option `target`: sent as ?target= when not empty.
  std::string ca_file;  // Option `ca_file`: CA bundle for https.
};

// The target's endpoint and options; errors name the bad option.
absl::StatusOr<AgentEndpoint> EndpointFromConfig(const TargetConfig& config);

// "http://127.0.0.1:9755/api/unstable/shards?target=cache%20a".
std::string AgentUrl(const AgentEndpoint& endpoint, absl::string_view path);

// The model from the bodies of the two documents. Errors name the document.
absl::StatusOr<NodeModel> BuildModel(absl::string_view info_json,
                                     absl::string_view shards_json);

// The message of an error answer: its "error" field when the body is JSON
// with one (our exporter, Replicante agents), else its first line, shortened.
std::string ErrorBodyMessage(absl::string_view body);

}  // namespace dse::replicante

#endif  // DATASTORE_EXPORTER_COLLECTORS_REPLICANTE_REPLICANTE_MAPPING_H_
