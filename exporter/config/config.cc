#include "exporter/config/config.h"

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
#include "exporter/config/allow_list.h"
#include "exporter/config/yaml_reader.h"
#include "exporter/model/collector.h"
#include "exporter/model/model.h"

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

// Parses a target, or with `module` set a /probe module (named by its key,
// without address or node, with allowed_targets).
void ParseTarget(const YAML::Node& node, size_t index,
                 const KindRegistry& kinds, YamlProblems& problems,
                 std::set<std::string>& names, Config& config,
                 ModuleConfig* module = nullptr) {
  std::string where = module != nullptr
                          ? absl::StrCat("module \"", module->name, "\"")
                          : absl::StrCat("target #", index + 1);
  // Name the target in every message when its name can be read at all.
  if (module == nullptr && node.IsMap()) {
    const YAML::Node name = node["name"];
    if (name.IsDefined() && name.IsScalar() && !name.Scalar().empty()) {
      where = absl::StrCat("target \"", name.Scalar(), "\"");
    }
  }
  const size_t problems_before = problems.size();
  TargetConfig target;
  std::string timeout, max_reply_bytes;
  std::map<std::string, YAML::Mark> option_marks;
  MapReader reader(node, where, problems);
  reader.String("kind", &target.kind)
      .String("cluster_id", &target.cluster_id)
      .String("cluster_display_name", &target.cluster_display_name)
      .String("username", &target.username)
      .String("password_file", &target.password.file)
      .String("password_env", &target.password.env)
      .String("timeout", &timeout)
      .String("max_reply_bytes", &max_reply_bytes)
      .Value("options", [&](const YAML::Node& value) {
        if (!value.IsMap()) {
          problems.Add(value.Mark(),
                       absl::StrCat(where, ": \"options\" must be a map, got ",
                                    YamlTypeName(value)));
          return;
        }
        const std::string options_where = where + " options";
        ForEachYamlEntry(value, options_where, problems,
                         [&](const YAML::Node& key, const YAML::Node& option) {
                           std::string text;
                           if (ReadYamlString(option, options_where,
                                              key.Scalar(), problems, &text)) {
                             target.options[key.Scalar()] = text;
                             option_marks[key.Scalar()] = key.Mark();
                           }
                         });
      });
  if (module != nullptr) {
    reader.Value("allowed_targets", [&](const YAML::Node& value) {
      if (!value.IsSequence()) {
        problems.Add(value.Mark(),
                     absl::StrCat(where,
                                  ": \"allowed_targets\" must be a "
                                  "list of HOST:PORT patterns, got ",
                                  YamlTypeName(value)));
        return;
      }
      for (const auto& pattern : value) {
        std::string text;
        if (!ReadYamlString(pattern, where, "allowed_targets", problems,
                            &text)) {
          continue;
        }
        absl::Status valid = CheckAllowPattern(text);
        if (!valid.ok()) {
          problems.Add(pattern.Mark(),
                       absl::StrCat(where, ": ", valid.message()));
        }
        module->allowed_targets.push_back(text);
      }
    });
  } else {
    reader.String("name", &target.name)
        .String("address", &target.address)
        .String("node", &target.node);
  }
  if (!reader.Read()) return;
  if (reader.Has("max_reply_bytes") && !max_reply_bytes.empty()) {
    auto bytes = ParseByteSize(max_reply_bytes);
    if (!bytes.ok()) {
      problems.Add(reader.MarkOf("max_reply_bytes"),
                   absl::StrCat(where, ": \"max_reply_bytes\" ",
                                bytes.status().message()));
    } else {
      target.max_reply_bytes = *bytes;
    }
  }
  if (reader.Has("timeout")) {
    absl::Duration d;
    if (!absl::ParseDuration(timeout, &d) || d <= absl::ZeroDuration()) {
      problems.Add(reader.MarkOf("timeout"),
                   absl::StrCat(where,
                                ": \"timeout\" must be a positive "
                                "duration such as 2s or 500ms, got \"",
                                timeout, "\""));
    } else {
      target.timeout = d;
    }
  }
  const bool ok = problems.size() == problems_before;

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
          reader.MarkOf("kind"),
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
      problems.Add(reader.MarkOf("address"),
                   absl::StrCat(where, ": ", parsed.status().message()));
    } else {
      target.endpoint = *std::move(parsed);
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
      problems.Add(
          reader.Has("options") ? reader.MarkOf("options") : node.Mark(),
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

absl::StatusOr<Config> ParseConfig(const std::string& text,
                                   const std::string& source_name,
                                   const KindRegistry& kinds) {
  YamlProblems problems(source_name);
  YAML::Node root;
  if (!ParseYaml(text, problems, &root)) return problems.ToStatus();
  Config config;
  if (!root.IsMap()) {
    problems.Add(root.Mark(),
                 absl::StrCat("the configuration must be a map with "
                              "\"targets\", got ",
                              YamlTypeName(root)));
    return problems.ToStatus();
  }
  std::set<std::string> names;
  MapReader reader(root, "", problems);
  reader.UnknownKeyHint(" (expected targets or modules)")
      .Value("targets",
             [&](const YAML::Node& value) {
               if (!value.IsSequence()) {
                 problems.Add(value.Mark(),
                              absl::StrCat("\"targets\" must be a list, got ",
                                           YamlTypeName(value)));
                 return;
               }
               if (value.size() == 0) {
                 problems.Add(value.Mark(), "\"targets\" is empty");
               }
               for (size_t i = 0; i < value.size(); ++i) {
                 ParseTarget(value[i], i, kinds, problems, names, config);
               }
             })
      .Value("modules", [&](const YAML::Node& value) {
        if (!value.IsMap()) {
          problems.Add(value.Mark(),
                       absl::StrCat("\"modules\" must be a map of module "
                                    "names to settings, got ",
                                    YamlTypeName(value)));
          return;
        }
        ForEachYamlEntry(
            value, "modules", problems,
            [&](const YAML::Node& name, const YAML::Node& settings) {
              ModuleConfig module;
              module.name = name.Scalar();
              std::set<std::string> unused;
              ParseTarget(settings, 0, kinds, problems, unused, config,
                          &module);
              config.modules[module.name] = std::move(module);
            });
      });
  try {
    reader.Read();
  } catch (const YAML::Exception& e) {
    problems.Add(e.mark, absl::StrCat("invalid configuration: ", e.msg));
  }
  if (!reader.Has("targets") && !reader.Has("modules") && problems.empty()) {
    problems.Add(root.Mark(), "\"targets\" or \"modules\" is required");
  }
  if (!problems.empty()) return problems.ToStatus();
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
  target.endpoint = *std::move(host_port);
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
