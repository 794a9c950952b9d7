#include "exporter/config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "exporter/allow_list.h"
#include "exporter/collector.h"
#include "exporter/model.h"
#include "yaml-cpp/yaml.h"

namespace dse {
namespace {

// "4194304", "512KiB", "4MiB": a positive number of bytes.
absl::StatusOr<size_t> ParseByteSize(absl::string_view text) {
  uint64_t factor = 1;
  if (absl::ConsumeSuffix(&text, "KiB")) {
    factor = 1 << 10;
  } else if (absl::ConsumeSuffix(&text, "MiB")) {
    factor = 1 << 20;
  }
  uint64_t count = 0;
  if (!absl::SimpleAtoi(text, &count) || count == 0 ||
      count > (uint64_t{1} << 40) / factor) {
    return absl::InvalidArgumentError(
        "must be a positive size in bytes such as 4194304, 512KiB or 4MiB");
  }
  return static_cast<size_t>(count * factor);
}

// Collects every problem of one load, each tagged with its position.
class Problems {
 public:
  explicit Problems(std::string source) : source_(std::move(source)) {}

  void Add(const YAML::Mark& mark, const std::string& what) {
    if (mark.is_null()) {
      list_.push_back(absl::StrCat(source_, ": ", what));
    } else {
      list_.push_back(absl::StrCat(source_, ":", mark.line + 1, ":",
                                   mark.column + 1, ": ", what));
    }
  }
  bool empty() const { return list_.empty(); }
  std::string Joined() const { return absl::StrJoin(list_, "\n"); }

 private:
  std::string source_;
  std::vector<std::string> list_;
};

std::string TypeName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "a string";
    default:
      return "an undefined value";
  }
}

bool ReadString(const YAML::Node& node, const std::string& where,
                const std::string& key, Problems& problems, std::string* out) {
  if (!node.IsScalar()) {
    problems.Add(node.Mark(),
                 absl::StrCat(where, ": \"", key, "\" must be a string, got ",
                              TypeName(node)));
    return false;
  }
  *out = node.Scalar();
  return true;
}

// Iterates a map, reporting duplicate keys; calls `field` for each key.
template <typename Field>
void ForEachKey(const YAML::Node& map, const std::string& where,
                Problems& problems, Field field) {
  std::set<std::string> seen;
  for (const auto& entry : map) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) {
      problems.Add(key.Mark(), absl::StrCat(where, ": keys must be strings"));
      continue;
    }
    if (!seen.insert(key.Scalar()).second) {
      problems.Add(key.Mark(), absl::StrCat(where, ": duplicate key \"",
                                            key.Scalar(), "\""));
      continue;
    }
    field(key, entry.second);
  }
}

// Parses a target, or with `module` set a /probe module (named by its key,
// without address or node, with allowed_targets).
void ParseTarget(const YAML::Node& node, size_t index,
                 const KindRegistry& kinds, Problems& problems,
                 std::set<std::string>& names, Config& config,
                 ModuleConfig* module = nullptr) {
  std::string where = module != nullptr
                          ? absl::StrCat("module \"", module->name, "\"")
                          : absl::StrCat("target #", index + 1);
  if (!node.IsMap()) {
    problems.Add(node.Mark(),
                 absl::StrCat(where, ": must be a map, got ", TypeName(node)));
    return;
  }
  // Name the target in every message when its name can be read at all.
  const YAML::Node name = node["name"];
  if (module == nullptr && name.IsDefined() && name.IsScalar() &&
      !name.Scalar().empty()) {
    where = absl::StrCat("target \"", name.Scalar(), "\"");
  }
  TargetConfig target;
  YAML::Mark kind_mark, options_mark;
  std::map<std::string, YAML::Mark> option_marks;
  bool ok = true;
  ForEachKey(
      node, where, problems,
      [&](const YAML::Node& key, const YAML::Node& value) {
        const std::string& k = key.Scalar();
        std::string text;
        if (k == "options") {
          options_mark = value.Mark();
          if (!value.IsMap()) {
            problems.Add(
                value.Mark(),
                absl::StrCat(where, ": \"options\" must be a map, got ",
                             TypeName(value)));
            ok = false;
            return;
          }
          ForEachKey(value, where + " options", problems,
                     [&](const YAML::Node& okey, const YAML::Node& ovalue) {
                       std::string v;
                       if (ReadString(ovalue, where + " options", okey.Scalar(),
                                      problems, &v)) {
                         target.options[okey.Scalar()] = v;
                         option_marks[okey.Scalar()] = okey.Mark();
                       } else {
                         ok = false;
                       }
                     });
          return;
        }
        if (module != nullptr && k == "allowed_targets") {
          if (!value.IsSequence()) {
            problems.Add(value.Mark(),
                         absl::StrCat(where,
                                      ": \"allowed_targets\" must be a "
                                      "list of HOST:PORT patterns, got ",
                                      TypeName(value)));
            ok = false;
            return;
          }
          for (const auto& pattern : value) {
            std::string text_pattern;
            if (ReadString(pattern, where, "allowed_targets", problems,
                           &text_pattern)) {
              absl::Status valid = CheckAllowPattern(text_pattern);
              if (!valid.ok()) {
                problems.Add(pattern.Mark(),
                             absl::StrCat(where, ": ", valid.message()));
                ok = false;
              }
              module->allowed_targets.push_back(text_pattern);
            }
          }
          return;
        }
        static const std::set<std::string> kStringKeys = {
            "kind",     "cluster_id",     "cluster_display_name",
            "username", "password_file",  "password_env",
            "timeout",  "max_reply_bytes"};
        static const std::set<std::string> kTargetOnlyKeys = {"name", "address",
                                                              "node"};
        if (!kStringKeys.count(k) &&
            (module != nullptr || !kTargetOnlyKeys.count(k))) {
          problems.Add(key.Mark(),
                       absl::StrCat(where, ": unknown key \"", k, "\""));
          ok = false;
          return;
        }
        if (!ReadString(value, where, k, problems, &text)) {
          ok = false;
          return;
        }
        if (k == "name") target.name = text;
        if (k == "kind") {
          target.kind = text;
          kind_mark = value.Mark();
        }
        if (k == "address") target.address = text;
        if (k == "cluster_id") target.cluster_id = text;
        if (k == "cluster_display_name") target.cluster_display_name = text;
        if (k == "node") target.node = text;
        if (k == "username") target.username = text;
        if (k == "password_file") target.password.file = text;
        if (k == "password_env") target.password.env = text;
        if (k == "max_reply_bytes") {
          auto bytes = ParseByteSize(text);
          if (!bytes.ok()) {
            problems.Add(value.Mark(),
                         absl::StrCat(where, ": \"max_reply_bytes\" ",
                                      bytes.status().message()));
            ok = false;
          } else {
            target.max_reply_bytes = *bytes;
          }
        }
        if (k == "timeout") {
          absl::Duration d;
          if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration()) {
            problems.Add(value.Mark(),
                         absl::StrCat(where,
                                      ": \"timeout\" must be a positive "
                                      "duration such as 2s or 500ms, got \"",
                                      text, "\""));
            ok = false;
          } else {
            target.timeout = d;
          }
        }
      });

  if (module != nullptr) {
    if (module->allowed_targets.empty()) {
      problems.Add(node.Mark(),
                   absl::StrCat(where,
                                ": \"allowed_targets\" is required and "
                                "must not be empty"));
    }
  } else if (target.name.empty() && ok) {
    problems.Add(node.Mark(), absl::StrCat(where, ": \"name\" is required"));
  } else if (!target.name.empty()) {
    const bool control =
        std::any_of(target.name.begin(), target.name.end(), [](char c) {
          return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
        });
    if (control || ValidUtf8(target.name) != target.name) {
      problems.Add(node.Mark(),
                   absl::StrCat(where,
                                ": \"name\" must be UTF-8 text without "
                                "control characters (it is the target label)"));
    }
    if (!names.insert(target.name).second) {
      problems.Add(node.Mark(), absl::StrCat(where, ": duplicate target name"));
    }
  }
  const Kind* kind = nullptr;
  if (target.kind.empty()) {
    problems.Add(node.Mark(), absl::StrCat(where, ": \"kind\" is required"));
  } else {
    kind = kinds.Find(target.kind);
    if (kind == nullptr) {
      problems.Add(
          kind_mark,
          absl::StrCat(where, ": unknown kind \"", target.kind,
                       "\" (known: ", absl::StrJoin(kinds.Names(), ", "), ")"));
    }
  }
  if (module != nullptr) {
    // Addresses come with each probe.
  } else if (target.address.empty()) {
    problems.Add(node.Mark(), absl::StrCat(where, ": \"address\" is required"));
  } else if (kind != nullptr) {
    auto parsed = ParseHostPort(target.address, kind->default_port);
    if (!parsed.ok()) {
      problems.Add(node["address"].Mark(),
                   absl::StrCat(where, ": ", parsed.status().message()));
    }
  }
  if (kind != nullptr && !kind->native_cluster_id &&
      target.cluster_id.empty()) {
    problems.Add(
        node.Mark(),
        absl::StrCat(where, ": \"cluster_id\" is required for kind \"",
                     target.kind, "\" (it has no cluster ID of its own)"));
  }
  if (!target.password.file.empty() && !target.password.env.empty()) {
    problems.Add(
        node.Mark(),
        absl::StrCat(where,
                     ": set \"password_file\" or \"password_env\", not both"));
  }
  if (kind != nullptr) {
    for (const auto& [key, value] : target.options) {
      bool known = false;
      for (const auto& allowed : kind->option_keys) known |= allowed == key;
      if (!known) {
        problems.Add(
            option_marks[key],
            absl::StrCat(
                where, ": unknown option \"", key, "\" for kind \"",
                target.kind, "\"",
                kind->option_keys.empty()
                    ? std::string(" (it takes none)")
                    : absl::StrCat(
                          " (known: ", absl::StrJoin(kind->option_keys, ", "),
                          ")")));
      }
    }
  }
  if (kind != nullptr && kind->validate) {
    absl::Status valid = kind->validate(target);
    if (!valid.ok()) {
      problems.Add(options_mark.is_null() ? node.Mark() : options_mark,
                   absl::StrCat(where, ": ", valid.message()));
    }
  }
  if (module != nullptr) {
    module->settings = std::move(target);
  } else {
    config.targets.push_back(std::move(target));
  }
}

}  // namespace

absl::StatusOr<std::string> ReadRegularFile(const std::string& path,
                                            size_t limit) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int error = errno;
    return error == ENOENT
               ? absl::NotFoundError(std::strerror(error))
               : absl::FailedPreconditionError(std::strerror(error));
  }
  struct stat info {};
  std::string content;
  absl::Status status;
  if (fstat(fd, &info) != 0) {
    status = absl::FailedPreconditionError(std::strerror(errno));
  } else if (!S_ISREG(info.st_mode)) {
    status = absl::FailedPreconditionError("not a regular file");
  } else {
    char buffer[4096];
    for (;;) {
      ssize_t got = read(fd, buffer, sizeof(buffer));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        status = absl::FailedPreconditionError(std::strerror(errno));
        break;
      }
      if (got == 0) break;
      if (content.size() + static_cast<size_t>(got) > limit) {
        status = absl::FailedPreconditionError(
            absl::StrCat("larger than ", limit, " bytes"));
        break;
      }
      content.append(buffer, static_cast<size_t>(got));
    }
  }
  close(fd);
  if (!status.ok()) return status;
  return content;
}

absl::StatusOr<std::string> ReadSecret(const SecretSource& source) {
  if (!source.env.empty()) {
    const char* value = std::getenv(source.env.c_str());
    if (value == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("environment variable ", source.env, " is not set"));
    }
    return std::string(value);
  }
  if (!source.file.empty()) {
    auto secret = ReadRegularFile(source.file, kMaxSecretFileBytes);
    if (!secret.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "secret file ", source.file, ": ", secret.status().message()));
    }
    while (!secret->empty() &&
           (secret->back() == '\n' || secret->back() == '\r')) {
      secret->pop_back();
    }
    return secret;
  }
  return std::string();
}

absl::Status ReplyTooLarge(size_t limit) {
  return absl::ResourceExhaustedError(
      absl::StrCat("reply larger than ", limit, " bytes"));
}

std::string ScrubSecret(const std::string& input, const std::string& secret) {
  constexpr size_t kShortestCut = 8;
  if (secret.empty()) return input;
  // Whole occurrences first, so that a cut-short match cannot swallow the
  // start of a whole one (secrets that repeat themselves).
  const std::string text = absl::StrReplaceAll(input, {{secret, "<secret>"}});
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t same = 0;
    while (same < secret.size() && i + same < text.size() &&
           text[i + same] == secret[same]) {
      ++same;
    }
    if (same == secret.size() || same >= kShortestCut) {
      out += "<secret>";
      i += same;
    } else {
      out += text[i++];
    }
  }
  return out;
}

absl::StatusOr<Config> ParseConfig(const std::string& text,
                                   const std::string& source_name,
                                   const KindRegistry& kinds) {
  Problems problems(source_name);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    problems.Add(e.mark, absl::StrCat("invalid YAML: ", e.msg));
    return absl::InvalidArgumentError(problems.Joined());
  }
  Config config;
  if (!root.IsMap()) {
    problems.Add(root.Mark(),
                 absl::StrCat("the configuration must be a map with "
                              "\"targets\", got ",
                              TypeName(root)));
    return absl::InvalidArgumentError(problems.Joined());
  }
  bool has_targets = false;
  std::set<std::string> names;
  try {
    ForEachKey(
        root, "configuration", problems,
        [&](const YAML::Node& key, const YAML::Node& value) {
          if (key.Scalar() == "modules") {
            has_targets = true;
            if (!value.IsMap()) {
              problems.Add(
                  value.Mark(),
                  absl::StrCat("\"modules\" must be a map of module names "
                               "to settings, got ",
                               TypeName(value)));
              return;
            }
            ForEachKey(value, "modules", problems,
                       [&](const YAML::Node& name, const YAML::Node& settings) {
                         ModuleConfig module;
                         module.name = name.Scalar();
                         std::set<std::string> unused;
                         ParseTarget(settings, 0, kinds, problems, unused,
                                     config, &module);
                         config.modules[module.name] = std::move(module);
                       });
            return;
          }
          if (key.Scalar() != "targets") {
            problems.Add(key.Mark(),
                         absl::StrCat("unknown key \"", key.Scalar(),
                                      "\" (expected targets or modules)"));
            return;
          }
          has_targets = true;
          if (!value.IsSequence()) {
            problems.Add(value.Mark(),
                         absl::StrCat("\"targets\" must be a list, got ",
                                      TypeName(value)));
            return;
          }
          if (value.size() == 0)
            problems.Add(value.Mark(), "\"targets\" is empty");
          for (size_t i = 0; i < value.size(); ++i) {
            ParseTarget(value[i], i, kinds, problems, names, config);
          }
        });
  } catch (const YAML::Exception& e) {
    problems.Add(e.mark, absl::StrCat("invalid configuration: ", e.msg));
  }
  if (!has_targets && problems.empty()) {
    problems.Add(root.Mark(), "\"targets\" or \"modules\" is required");
  }
  if (!problems.empty()) return absl::InvalidArgumentError(problems.Joined());
  return config;
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path,
                                      const KindRegistry& kinds) {
  auto content = ReadRegularFile(path, kMaxConfigFileBytes);
  if (!content.ok()) {
    return absl::Status(content.status().code(),
                        absl::StrCat(path, ": cannot read configuration: ",
                                     content.status().message()));
  }
  return ParseConfig(*content, path, kinds);
}

absl::StatusOr<HostPort> ParseHostPort(const std::string& address,
                                       int default_port) {
  HostPort result;
  std::string port_text;
  if (!address.empty() && address[0] == '[') {
    size_t close = address.find(']');
    if (close == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address, "\": missing \"]\""));
    }
    result.host = address.substr(1, close - 1);
    std::string rest = address.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        return absl::InvalidArgumentError(absl::StrCat(
            "address \"", address, "\": expected \":port\" after \"]\""));
      }
      port_text = rest.substr(1);
    }
  } else {
    size_t colon = address.rfind(':');
    if (colon != std::string::npos && address.find(':') != colon) {
      return absl::InvalidArgumentError(absl::StrCat(
          "address \"", address, "\": write IPv6 addresses as [host]:port"));
    }
    result.host = address.substr(0, colon);
    if (colon != std::string::npos) port_text = address.substr(colon + 1);
  }
  if (result.host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("address \"", address, "\": missing host"));
  }
  // Strict: what is matched against allow-lists is what gets connected to,
  // so no whitespace, signs or other bytes that a later parser would drop.
  if (address[0] == '[') {
    in6_addr v6;
    if (inet_pton(AF_INET6, result.host.c_str(), &v6) != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "address \"", address, "\": not an IPv6 address in brackets"));
    }
    // An IPv4 address written as IPv6 (::ffff:a.b.c.d, ::a.b.c.d) would
    // reach IPv4 hosts that no IPv4 pattern allowed.
    if (result.host.find('.') != std::string::npos ||
        IN6_IS_ADDR_V4MAPPED(&v6) || IN6_IS_ADDR_V4COMPAT(&v6)) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address,
                       "\": write IPv4 addresses as a.b.c.d, not inside IPv6"));
    }
  } else {
    for (char c : result.host) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
          c != '-' && c != '_') {
        return absl::InvalidArgumentError(absl::StrCat(
            "address \"", absl::CEscape(address),
            "\": the host may hold only letters, digits, '.', '-' and '_'"));
      }
    }
    // inet_aton's forms ("127.1", "0x7f.1", "2130706433") are IP addresses
    // to the resolver but not to the allow-list: refuse them.
    in_addr v4;
    if (inet_pton(AF_INET, result.host.c_str(), &v4) != 1 &&
        inet_aton(result.host.c_str(), &v4) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "address \"", address,
          "\": write IPv4 addresses as four decimal numbers (a.b.c.d)"));
    }
  }
  if (!port_text.empty() &&
      (port_text.size() > 5 ||
       !std::all_of(port_text.begin(), port_text.end(), [](char c) {
         return absl::ascii_isdigit(static_cast<unsigned char>(c));
       }))) {
    return absl::InvalidArgumentError(
        absl::StrCat("address \"", absl::CEscape(address),
                     "\": port must be a number from 1 to 65535"));
  }
  if (port_text.empty()) {
    if (default_port <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address, "\": missing port"));
    }
    result.port = default_port;
  } else if (!absl::SimpleAtoi(port_text, &result.port) || result.port <= 0 ||
             result.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "address \"", address, "\": port must be a number from 1 to 65535"));
  }
  return result;
}

absl::StatusOr<TargetConfig> TargetFromUrl(const std::string& url,
                                           const std::string& cluster_id,
                                           const KindRegistry& kinds) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--target: expected KIND://HOST:PORT, e.g. redis://127.0.0.1:6379"));
  }
  TargetConfig target;
  target.kind = url.substr(0, scheme_end);
  const Kind* kind = kinds.Find(target.kind);
  if (kind == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--target: unknown kind \"", target.kind,
                     "\" (known: ", absl::StrJoin(kinds.Names(), ", "), ")"));
  }
  std::string rest = url.substr(scheme_end + 3);
  std::string query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (size_t at = rest.rfind('@'); at != std::string::npos) {
    std::string user = rest.substr(0, at);
    if (user.find(':') != std::string::npos) {
      return absl::InvalidArgumentError(
          "--target: a password in the URL is not accepted (it would be "
          "visible in process listings); use --target.password-file or "
          "--target.password-env");
    }
    target.username = user;
    rest = rest.substr(at + 1);
  }
  auto host_port = ParseHostPort(rest, kind->default_port);
  if (!host_port.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--target: ", host_port.status().message()));
  }
  target.address = rest;
  target.name = rest;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    bool known = false;
    for (const auto& allowed : kind->option_keys) known |= allowed == kv.first;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("--target: unknown option \"", kv.first,
                       "\" for kind \"", target.kind, "\""));
    }
    target.options[kv.first] = kv.second;
  }
  target.cluster_id = cluster_id;
  if (!kind->native_cluster_id && cluster_id.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cluster-id is required for kind \"", target.kind,
                     "\" (it has no cluster ID of its own)"));
  }
  return target;
}

}  // namespace dse
