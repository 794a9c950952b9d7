// Configuration: targets to collect, loaded from YAML or from flags.
//
// Loading is strict: unknown keys, wrong types, duplicate names, unknown kinds
// and missing required fields are all reported at once, each as
// "file:line:col: what".
#ifndef DATASTORE_EXPORTER_EXPORTER_CONFIG_CONFIG_H_
#define DATASTORE_EXPORTER_EXPORTER_CONFIG_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "exporter/model/target.h"

namespace dse {

class KindRegistry;

// A /probe module: how to reach any target it allows. `settings` holds the
// kind, cluster ID, credentials, timeout and options; its name, address and
// node are filled per probe.
struct ModuleConfig {
  std::string name;
  TargetConfig settings;
  // Patterns of the probed HOST:PORT (exporter/config/allow_list.h); a probe
  // matching none is refused, so the exporter cannot be used as an open proxy.
  std::vector<std::string> allowed_targets;
};

struct Config {
  std::vector<TargetConfig> targets;
  std::map<std::string, ModuleConfig> modules;
};

// Loads and validates a YAML configuration file. On failure the status message
// holds every error found, one per line.
absl::StatusOr<Config> LoadConfigFile(const std::string& path,
                                      const KindRegistry& kinds);
// Same, from text; `source_name` stands for the file name in messages.
absl::StatusOr<Config> ParseConfig(const std::string& text,
                                   const std::string& source_name,
                                   const KindRegistry& kinds);

// Builds the one-target configuration of the sidecar form
// (`--target redis://127.0.0.1:6379 --cluster-id cache`). A password inside
// the URL is refused: it would end up in process listings.
absl::StatusOr<TargetConfig> TargetFromUrl(const std::string& url,
                                           const std::string& cluster_id,
                                           const KindRegistry& kinds);

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_CONFIG_CONFIG_H_
