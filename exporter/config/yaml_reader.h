// The one strict YAML reader of the exporter's configuration files (the
// exporter configuration and the web configuration).
//
// Every problem of a load is collected, each with its place as
// "file:line:col: what", so that one run reports them all. A map is read by
// binding its keys to fields (MapReader): unknown keys, duplicate keys, keys
// that are not strings and values of the wrong type are problems.
#ifndef DATASTORE_EXPORTER_EXPORTER_CONFIG_YAML_READER_H_
#define DATASTORE_EXPORTER_EXPORTER_CONFIG_YAML_READER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "yaml-cpp/yaml.h"

namespace dse {

// The problems of one load, each tagged with its place in `source`.
class YamlProblems {
 public:
  explicit YamlProblems(std::string source) : source_(std::move(source)) {}

  void Add(const YAML::Mark& mark, const std::string& what);
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  // InvalidArgument holding every problem, one per line; OK when none.
  absl::Status ToStatus() const;

 private:
  std::string source_;
  std::vector<std::string> list_;
};

// "a map", "a list", "a string", "nothing": for messages.
std::string YamlTypeName(const YAML::Node& node);

// Parses `text` into `root`. A syntax error is added to `problems` (with its
// place) and false returned.
bool ParseYaml(const std::string& text, YamlProblems& problems,
               YAML::Node* root);

// Reads a scalar into `out`; otherwise reports
// `<where>: "<key>" must be a string, got <type>` and returns false.
bool ReadYamlString(const YAML::Node& node, const std::string& where,
                    const std::string& key, YamlProblems& problems,
                    std::string* out);

// Calls `entry` for each key of a map whose keys are names chosen by the
// user (module names, options, user names); reports keys that are not
// strings and duplicate keys (those are not passed on).
void ForEachYamlEntry(
    const YAML::Node& map, const std::string& where, YamlProblems& problems,
    const std::function<void(const YAML::Node& key, const YAML::Node& value)>&
        entry);

// Reads a map whose keys are fixed: each key is bound to a reader, and any
// other key is a problem ("<where>: unknown key \"k\"<hint>").
//
//   MapReader(node, "target \"a\"", problems)
//       .String("kind", &target.kind)
//       .Value("timeout", [&](const YAML::Node& v) { ... })
//       .Read();
class MapReader {
 public:
  using ValueReader = std::function<void(const YAML::Node& value)>;

  // `where` prefixes every message; empty for the document's root.
  MapReader(const YAML::Node& map, std::string where, YamlProblems& problems);

  // The key's value must be a string; it is stored in `out`.
  MapReader& String(const std::string& key, std::string* out);
  // The key's value is read by `read` (which reports its own problems).
  MapReader& Value(const std::string& key, ValueReader read);
  // Accepted and not read.
  MapReader& Ignore(const std::string& key);
  // Appended to the "unknown key" message, e.g. " (expected targets)".
  MapReader& UnknownKeyHint(std::string hint);

  // Reads the map. Returns false (after reporting it) when the node is not a
  // map; true otherwise, even when some keys had problems.
  bool Read();

  // After Read: whether the key was present, and where.
  bool Has(const std::string& key) const { return seen_.count(key) > 0; }
  YAML::Mark MarkOf(const std::string& key) const;

 private:
  std::string Prefix() const;

  const YAML::Node map_;
  const std::string where_;
  YamlProblems& problems_;
  std::map<std::string, ValueReader> readers_;
  std::string hint_;
  std::map<std::string, YAML::Mark> seen_;
};

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_CONFIG_YAML_READER_H_
