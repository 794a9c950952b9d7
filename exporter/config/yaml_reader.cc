#include "exporter/config/yaml_reader.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dse {

void YamlProblems::Add(const YAML::Mark& mark, const std::string& what) {
  if (mark.is_null()) {
    list_.push_back(absl::StrCat(source_, ": ", what));
  } else {
    list_.push_back(absl::StrCat(source_, ":", mark.line + 1, ":",
                                 mark.column + 1, ": ", what));
  }
}

absl::Status YamlProblems::ToStatus() const {
  if (list_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(list_, "\n"));
}

std::string YamlTypeName(const YAML::Node& node) {
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

bool ParseYaml(const std::string& text, YamlProblems& problems,
               YAML::Node* root) {
  try {
    *root = YAML::Load(text);
    return true;
  } catch (const YAML::Exception& e) {
    problems.Add(e.mark, absl::StrCat("invalid YAML: ", e.msg));
    return false;
  }
}

bool ReadYamlString(const YAML::Node& node, const std::string& where,
                    const std::string& key, YamlProblems& problems,
                    std::string* out) {
  if (!node.IsScalar()) {
    problems.Add(node.Mark(),
                 absl::StrCat(where.empty() ? "" : where + ": ", "\"", key,
                              "\" must be a string, got ", YamlTypeName(node)));
    return false;
  }
  *out = node.Scalar();
  return true;
}

void ForEachYamlEntry(
    const YAML::Node& map, const std::string& where, YamlProblems& problems,
    const std::function<void(const YAML::Node& key, const YAML::Node& value)>&
        entry) {
  const std::string prefix = where.empty() ? "" : where + ": ";
  std::set<std::string> seen;
  for (const auto& pair : map) {
    const YAML::Node& key = pair.first;
    if (!key.IsScalar()) {
      problems.Add(key.Mark(), prefix + "keys must be strings");
      continue;
    }
    if (!seen.insert(key.Scalar()).second) {
      problems.Add(key.Mark(), absl::StrCat(prefix, "duplicate key \"",
                                            key.Scalar(), "\""));
      continue;
    }
    entry(key, pair.second);
  }
}

MapReader::MapReader(const YAML::Node& map, std::string where,
                     YamlProblems& problems)
    : map_(map), where_(std::move(where)), problems_(problems) {}

MapReader& MapReader::String(const std::string& key, std::string* out) {
  readers_[key] = [this, key, out](const YAML::Node& value) {
    ReadYamlString(value, where_, key, problems_, out);
  };
  return *this;
}

MapReader& MapReader::Value(const std::string& key, ValueReader read) {
  readers_[key] = std::move(read);
  return *this;
}

MapReader& MapReader::Ignore(const std::string& key) {
  readers_[key] = [](const YAML::Node&) {};
  return *this;
}

MapReader& MapReader::UnknownKeyHint(std::string hint) {
  hint_ = std::move(hint);
  return *this;
}

std::string MapReader::Prefix() const {
  return where_.empty() ? "" : where_ + ": ";
}

bool MapReader::Read() {
  if (!map_.IsMap()) {
    problems_.Add(map_.Mark(), absl::StrCat(Prefix(), "must be a map, got ",
                                            YamlTypeName(map_)));
    return false;
  }
  ForEachYamlEntry(map_, where_, problems_,
                   [&](const YAML::Node& key, const YAML::Node& value) {
                     auto reader = readers_.find(key.Scalar());
                     if (reader == readers_.end()) {
                       problems_.Add(key.Mark(),
                                     absl::StrCat(Prefix(), "unknown key \"",
                                                  key.Scalar(), "\"", hint_));
                       return;
                     }
                     seen_[key.Scalar()] = value.Mark();
                     reader->second(value);
                   });
  return true;
}

YAML::Mark MapReader::MarkOf(const std::string& key) const {
  auto it = seen_.find(key);
  return it == seen_.end() ? YAML::Mark::null_mark() : it->second;
}

}  // namespace dse
