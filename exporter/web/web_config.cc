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
#include "exporter/config/config.h"
#include "exporter/web/openssl.h"
#include "yaml-cpp/yaml.h"

namespace dse {
namespace {

std::string At(const std::string& path, const YAML::Mark& mark) {
  if (mark.is_null()) return path;
  return absl::StrCat(path, ":", mark.line + 1, ":", mark.column + 1);
}

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

}  // namespace

absl::StatusOr<WebConfig> LoadWebConfig(const std::string& path) {
  auto content = ReadRegularFile(path, kMaxConfigFileBytes);
  if (!content.ok()) {
    return absl::Status(content.status().code(),
                        absl::StrCat(path, ": cannot read web configuration: ",
                                     content.status().message()));
  }
  std::vector<std::string> problems;
  auto problem = [&](const YAML::Mark& mark, const std::string& what) {
    problems.push_back(absl::StrCat(At(path, mark), ": ", what));
  };
  WebConfig config;
  YAML::Node root;
  try {
    root = YAML::Load(*content);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(At(path, e.mark), ": invalid YAML: ", e.msg));
  }
  if (root.IsNull()) return config;  // An empty file: plain HTTP, no auth.
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat(
        At(path, root.Mark()), ": the web configuration must be a map"));
  }
  auto read_string = [&](const YAML::Node& node, const std::string& key,
                         std::string* out) {
    if (!node.IsScalar()) {
      problem(node.Mark(), absl::StrCat("\"", key, "\" must be a string"));
      return;
    }
    *out = node.Scalar();
  };
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    const YAML::Node& value = entry.second;
    if (key == "tls_server_config") {
      if (!value.IsMap()) {
        problem(value.Mark(), "\"tls_server_config\" must be a map");
        continue;
      }
      for (const auto& tls : value) {
        const std::string tls_key = tls.first.Scalar();
        if (tls_key == "cert_file") {
          read_string(tls.second, tls_key, &config.cert_file);
        } else if (tls_key == "key_file") {
          read_string(tls.second, tls_key, &config.key_file);
        } else if (tls_key == "client_auth_type") {
          read_string(tls.second, tls_key, &config.client_auth_type);
          static const char* kTypes[] = {
              "NoClientCert", "RequestClientCert", "RequireAnyClientCert",
              "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"};
          bool known = false;
          for (const char* type : kTypes)
            known |= config.client_auth_type == type;
          if (!known) {
            problem(tls.second.Mark(),
                    absl::StrCat(
                        "unknown client_auth_type \"", config.client_auth_type,
                        "\" (known: ", absl::StrJoin(kTypes, ", "), ")"));
          }
        } else if (tls_key == "client_ca_file") {
          read_string(tls.second, tls_key, &config.client_ca_file);
        } else if (tls_key == "min_version") {
          read_string(tls.second, tls_key, &config.min_version);
          if (config.min_version != "TLS10" && config.min_version != "TLS11" &&
              config.min_version != "TLS12" && config.min_version != "TLS13") {
            problem(tls.second.Mark(),
                    absl::StrCat("unknown min_version \"", config.min_version,
                                 "\" (known: TLS10, TLS11, TLS12, TLS13)"));
          }
        } else {
          problem(tls.first.Mark(), absl::StrCat("unknown key \"", tls_key,
                                                 "\" in tls_server_config"));
        }
      }
      if (config.cert_file.empty() || config.key_file.empty()) {
        problem(value.Mark(),
                "tls_server_config needs both cert_file and key_file");
      }
      for (const std::string* file :
           {&config.cert_file, &config.key_file, &config.client_ca_file}) {
        if (!file->empty() && access(file->c_str(), R_OK) != 0) {
          problem(value.Mark(), absl::StrCat("cannot read ", *file, ": ",
                                             std::strerror(errno)));
        }
      }
      bool verifies = config.client_auth_type == "RequireAndVerifyClientCert" ||
                      config.client_auth_type == "VerifyClientCertIfGiven";
      if (verifies && config.client_ca_file.empty()) {
        problem(value.Mark(),
                absl::StrCat("client_auth_type ", config.client_auth_type,
                             " needs client_ca_file"));
      }
    } else if (key == "basic_auth_users") {
      if (!value.IsMap()) {
        problem(value.Mark(),
                "\"basic_auth_users\" must be a map of user to bcrypt hash");
        continue;
      }
      for (const auto& user : value) {
        std::string hash;
        read_string(user.second, user.first.Scalar(), &hash);
        if (!absl::StartsWith(hash, "$2a$") &&
            !absl::StartsWith(hash, "$2b$") &&
            !absl::StartsWith(hash, "$2y$")) {
          // Do not echo the value: it may be a plain password by mistake.
          problem(user.second.Mark(),
                  absl::StrCat("user \"", user.first.Scalar(),
                               "\": expected a bcrypt hash ($2b$...)"));
          continue;
        }
        config.basic_auth_users[user.first.Scalar()] = hash;
      }
    } else if (key == "http_server_config") {
      // Accepted for compatibility; HTTP/2 is not served.
    } else {
      problem(entry.first.Mark(), absl::StrCat("unknown key \"", key, "\""));
    }
  }
  if (!problems.empty())
    return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
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
