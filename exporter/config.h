// Configuration: targets to collect, loaded from YAML or from flags.
//
// Loading is strict: unknown keys, wrong types, duplicate names, unknown kinds
// and missing required fields are all reported at once, each as
// "file:line:col: what".
#ifndef DATASTORE_EXPORTER_EXPORTER_CONFIG_H_
#define DATASTORE_EXPORTER_EXPORTER_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dse {

class KindRegistry;

// Where a secret comes from. The secret itself is read only when needed and
// never stored in the configuration, logged or shown.
struct SecretSource {
  std::string
      file;  // Path of a file holding the secret (trailing newline dropped).
  std::string env;  // Name of an environment variable holding it.
  bool empty() const { return file.empty() && env.empty(); }
};

// Reads a secret. An empty source gives an empty string. Errors name the file
// or variable, never the content.
absl::StatusOr<std::string> ReadSecret(const SecretSource& source);

struct TargetConfig {
  std::string name;
  std::string kind;
  std::string address;
  std::string cluster_id;
  std::string cluster_display_name;
  std::string node;  // Overrides the node name the datastore gives.
  std::string username;
  SecretSource password;
  absl::Duration timeout = absl::Seconds(5);
  std::map<std::string, std::string> options;  // Kind-specific.
};

// A /probe module: how to reach any target it allows. `settings` holds the
// kind, cluster ID, credentials, timeout and options; its name, address and
// node are filled per probe.
struct ModuleConfig {
  std::string name;
  TargetConfig settings;
  // Glob patterns ("*", "?", "[...]") over the probed "HOST:PORT"; a probe
  // matching none is refused, so the exporter cannot be used as an open proxy.
  std::vector<std::string> allowed_targets;
};

struct Config {
  std::vector<TargetConfig> targets;
  std::map<std::string, ModuleConfig> modules;
};

// True when `address` matches one of the module's allowed_targets.
bool ModuleAllows(const ModuleConfig& module, const std::string& address);

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

struct HostPort {
  std::string host;  // Without brackets for IPv6.
  int port = 0;
};

// Splits "host:port", "[v6]:port" or "host" (then `default_port`).
absl::StatusOr<HostPort> ParseHostPort(const std::string& address,
                                       int default_port);

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_CONFIG_H_
