// --web.config.file: TLS and basic authentication in the exporter-toolkit
// format used by the official Prometheus exporters.
#ifndef DATASTORE_EXPORTER_EXPORTER_WEB_WEB_CONFIG_H_
#define DATASTORE_EXPORTER_EXPORTER_WEB_WEB_CONFIG_H_

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "absl/status/statusor.h"

namespace dse {

struct WebConfig {
  // tls_server_config; TLS is on when cert_file is set.
  std::string cert_file;
  std::string key_file;
  std::string client_auth_type = "NoClientCert";
  std::string client_ca_file;
  std::string min_version = "TLS12";
  // basic_auth_users: user name → bcrypt hash ($2a$, $2b$ or $2y$).
  std::map<std::string, std::string> basic_auth_users;

  bool tls() const { return !cert_file.empty(); }
};

// Loads and validates a web configuration; every problem is reported as
// "file:line:col: what". Certificate and key files must be readable.
absl::StatusOr<WebConfig> LoadWebConfig(const std::string& path);

// Checks "Authorization: Basic ..." headers against bcrypt hashes. A bcrypt
// check costs tens of milliseconds by design, so successful checks are
// remembered (as salted SHA-256 digests, never the password) to keep scrapes
// fast.
class BasicAuthenticator {
 public:
  explicit BasicAuthenticator(std::map<std::string, std::string> users);
  bool enabled() const { return !users_.empty(); }
  bool Check(const std::string& authorization_header);

 private:
  const std::map<std::string, std::string> users_;
  std::string salt_;
  std::mutex mutex_;
  std::set<std::string> verified_;
};

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_WEB_WEB_CONFIG_H_
