#include "exporter/web/web_config.h"

#include <crypt.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "exporter/config/yaml_reader.h"
#include "exporter/model/target.h"
#include "exporter/web/openssl.h"

namespace dse {
namespace {

// Empty when libcrypto cannot be loaded: nothing is remembered then.
std::string Sha256(const std::string& data) {
  auto crypto = LoadLibCrypto();
  if (!crypto.ok()) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if ((*crypto)->EVP_Digest(data.data(), data.size(), digest, &length,
                            (*crypto)->EVP_sha256(), nullptr) != 1) {
    return "";
  }
  return std::string(reinterpret_cast<char*>(digest), length);
}

// Compares in time that depends on the length only, not on where they differ.
bool SameBytes(const char* a, const char* b, size_t size) {
  unsigned char difference = 0;
  for (size_t i = 0; i < size; ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

void ReadTlsServerConfig(const YAML::Node& value, YamlProblems& problems,
                         WebConfig& config) {
  static const char* const kClientAuthTypes[] = {
      "NoClientCert", "RequestClientCert", "RequireAnyClientCert",
      "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"};
  static const char* const kVersions[] = {"TLS10", "TLS11", "TLS12", "TLS13"};
  // A value of `known`, or a problem naming the known ones.
  auto one_of = [&](const YAML::Node& node, const std::string& key,
                    const auto& known, std::string* out) {
    if (!ReadYamlString(node, "tls_server_config", key, problems, out)) return;
    for (const char* candidate : known) {
      if (*out == candidate) return;
    }
    problems.Add(node.Mark(),
                 absl::StrCat("unknown ", key, " \"", *out,
                              "\" (known: ", absl::StrJoin(known, ", "), ")"));
  };
  MapReader reader(value, "tls_server_config", problems);
  reader.String("cert_file", &config.cert_file)
      .String("key_file", &config.key_file)
      .String("client_ca_file", &config.client_ca_file)
      .Value("client_auth_type",
             [&](const YAML::Node& node) {
               one_of(node, "client_auth_type", kClientAuthTypes,
                      &config.client_auth_type);
             })
      .Value("min_version", [&](const YAML::Node& node) {
        one_of(node, "min_version", kVersions, &config.min_version);
      });
  if (!reader.Read()) return;
  if (config.cert_file.empty() || config.key_file.empty()) {
    problems.Add(value.Mark(),
                 "tls_server_config needs both cert_file and key_file");
  }
  for (const std::string* file :
       {&config.cert_file, &config.key_file, &config.client_ca_file}) {
    if (!file->empty() && access(file->c_str(), R_OK) != 0) {
      problems.Add(value.Mark(), absl::StrCat("cannot read ", *file, ": ",
                                              std::strerror(errno)));
    }
  }
  const bool verifies =
      config.client_auth_type == "RequireAndVerifyClientCert" ||
      config.client_auth_type == "VerifyClientCertIfGiven";
  if (verifies && config.client_ca_file.empty()) {
    problems.Add(value.Mark(),
                 absl::StrCat("client_auth_type ", config.client_auth_type,
                              " needs client_ca_file"));
  }
}

void ReadBasicAuthUsers(const YAML::Node& value, YamlProblems& problems,
                        WebConfig& config) {
  if (!value.IsMap()) {
    problems.Add(value.Mark(),
                 "\"basic_auth_users\" must be a map of user to bcrypt hash");
    return;
  }
  ForEachYamlEntry(
      value, "basic_auth_users", problems,
      [&](const YAML::Node& user, const YAML::Node& hash_node) {
        std::string hash;
        if (!ReadYamlString(hash_node, "basic_auth_users", user.Scalar(),
                            problems, &hash)) {
          return;
        }
        if (!absl::StartsWith(hash, "$2a$") &&
            !absl::StartsWith(hash, "$2b$") &&
            !absl::StartsWith(hash, "$2y$")) {
          // Do not echo the value: it may be a plain password by mistake.
          problems.Add(hash_node.Mark(),
                       absl::StrCat("user \"", user.Scalar(),
                                    "\": expected a bcrypt hash ($2b$...)"));
          return;
        }
        config.basic_auth_users[user.Scalar()] = hash;
      });
}

}  // namespace

absl::StatusOr<WebConfig> LoadWebConfig(const std::string& path) {
  auto content = ReadRegularFile(path, kMaxConfigFileBytes);
  if (!content.ok()) {
    return absl::Status(content.status().code(),
                        absl::StrCat(path, ": cannot read web configuration: ",
                                     content.status().message()));
  }
  YamlProblems problems(path);
  YAML::Node root;
  if (!ParseYaml(*content, problems, &root)) return problems.ToStatus();
  WebConfig config;
  if (root.IsNull()) return config;  // An empty file: plain HTTP, no auth.
  if (!root.IsMap()) {
    problems.Add(root.Mark(), "the web configuration must be a map");
    return problems.ToStatus();
  }
  MapReader(root, "", problems)
      .Value("tls_server_config",
             [&](const YAML::Node& value) {
               ReadTlsServerConfig(value, problems, config);
             })
      .Value("basic_auth_users",
             [&](const YAML::Node& value) {
               ReadBasicAuthUsers(value, problems, config);
             })
      // Accepted for compatibility; HTTP/2 is not served.
      .Ignore("http_server_config")
      .Read();
  if (!problems.empty()) return problems.ToStatus();
  return config;
}

BasicAuthenticator::BasicAuthenticator(std::map<std::string, std::string> users)
    : users_(std::move(users)) {
  char salt[16] = {};
  // Never short for 16 bytes once the kernel's pool is ready (it is, long
  // before an exporter starts); a short read still leaves a usable salt.
  if (getrandom(salt, sizeof salt, 0) < 0) salt[0] = 1;
  salt_.assign(salt, sizeof salt);
}

bool BasicAuthenticator::Check(const std::string& header) {
  if (!absl::StartsWithIgnoreCase(header, "Basic ")) return false;
  std::string decoded;
  if (!absl::Base64Unescape(header.substr(6), &decoded)) return false;
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  const std::string user = decoded.substr(0, colon);
  const std::string password = decoded.substr(colon + 1);
  // crypt_r reads up to a NUL: "secret\0junk" must not pass as "secret".
  const bool has_nul = decoded.find('\0') != std::string::npos;
  auto it = users_.find(user);
  if (it == users_.end() || has_nul) {
    // The same bcrypt work as for a known user, so that timing does not
    // tell which user names exist.
    if (!users_.empty()) {
      auto data = std::make_unique<crypt_data>();
      (void)crypt_r(password.c_str(), users_.begin()->second.c_str(),
                    data.get());
    }
    return false;
  }
  const std::string digest =
      Sha256(absl::StrCat(salt_, user, ":", password, ":", it->second));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!digest.empty() && verified_.count(digest)) return true;
  }
  auto data = std::make_unique<crypt_data>();
  const char* hashed =
      crypt_r(password.c_str(), it->second.c_str(), data.get());
  bool ok = hashed != nullptr && hashed[0] != '*' &&
            std::strlen(hashed) == it->second.size() &&
            SameBytes(hashed, it->second.data(), it->second.size());
  if (ok && !digest.empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (verified_.size() > 1000) verified_.clear();
    verified_.insert(digest);
  }
  return ok;
}

}  // namespace dse
