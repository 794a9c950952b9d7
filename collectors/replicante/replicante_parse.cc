#include "collectors/replicante/replicante_parse.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace dse::replicante {
namespace {

using nlohmann::json;

constexpr char kSeconds[] = "seconds";
constexpr char kMilliseconds[] = "milliseconds";

std::string TypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "a list";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number with a fraction";
    default:
      return "an undefined value";
  }
}

absl::Status Wrong(const std::string& where, const std::string& expected,
                   const json& got) {
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": expected ", expected, ", got ", TypeName(got)));
}

absl::StatusOr<json> ParseDocument(absl::string_view text) {
  // No exceptions: a parse error gives a "discarded" value.
  json document = json::parse(text.begin(), text.end(), nullptr,
                              /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return absl::InvalidArgumentError("not valid JSON");
  }
  if (!document.is_object()) return Wrong("document", "an object", document);
  return document;
}

// Reads an optional string field: absent and null give "".
absl::Status OptionalString(const json& object, const char* key,
                            std::string* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return Wrong(key, "a string", *it);
  *out = it->get<std::string>();
  return absl::OkStatus();
}

// "seconds", "milliseconds" or {"unit": NAME}.
absl::StatusOr<std::string> ParseUnit(const json& value,
                                      const std::string& where) {
  if (value.is_string()) {
    std::string name = absl::AsciiStrToLower(value.get<std::string>());
    if (name == kSeconds || name == kMilliseconds) return name;
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": expected \"seconds\" or {\"unit\": NAME}, got \"",
        value.get<std::string>(), "\""));
  }
  if (value.is_object() && value.size() == 1) {
    auto it = value.find("unit");
    if (it != value.end() && it->is_string() && !it->get<std::string>().empty())
      return it->get<std::string>();
  }
  return Wrong(where, "\"seconds\" or {\"unit\": NAME}", value);
}

absl::StatusOr<Role> ParseRole(const json& value, const std::string& where,
                               std::string* detail) {
  if (value.is_string()) {
    std::string name = absl::AsciiStrToLower(value.get<std::string>());
    if (name == "primary") return Role::kPrimary;
    if (name == "secondary") return Role::kSecondary;
    if (name == "recovering") return Role::kRecovering;
    *detail = value.get<std::string>();
    return Role::kUnknown;
  }
  if (value.is_object() && value.size() == 1) {
    std::string key = absl::AsciiStrToLower(value.begin().key());
    const json& state = value.begin().value();
    if ((key == "unknown" || key == "other") && state.is_string()) {
      *detail = state.get<std::string>();
      return Role::kUnknown;
    }
  }
  return Wrong(where,
               "\"primary\", \"secondary\", \"recovering\" or "
               "{\"unknown\": STATE}",
               value);
}

// The unit and the (unchecked) value of {"unit": ..., "value": ...}, the
// shape of commit offsets and lags.
struct UnitAndValue {
  std::string unit;
  const json* value = nullptr;
};

absl::StatusOr<UnitAndValue> ParseUnitAndValue(const json& value,
                                               const std::string& where) {
  if (!value.is_object()) return Wrong(where, "an object or null", value);
  auto unit = value.find("unit");
  if (unit == value.end()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": missing unit"));
  }
  auto name = ParseUnit(*unit, where + ".unit");
  if (!name.ok()) return name.status();
  auto number = value.find("value");
  if (number == value.end()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": missing value"));
  }
  return UnitAndValue{*std::move(name), &*number};
}

absl::StatusOr<CommitOffset> ParseCommitOffset(const json& value,
                                               const std::string& where) {
  auto parsed = ParseUnitAndValue(value, where);
  if (!parsed.ok()) return parsed.status();
  const std::string& name = parsed->unit;
  const json* number = parsed->value;
  if (number->is_number_unsigned()) {
    return CommitOffset{name, number->get<uint64_t>()};
  }
  if (number->is_number_integer()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".value: a commit offset cannot be negative, got ",
                     number->get<int64_t>()));
  }
  return Wrong(where + ".value", "an integer", *number);
}

absl::StatusOr<Lag> ParseLag(const json& value, const std::string& where) {
  auto parsed = ParseUnitAndValue(value, where);
  if (!parsed.ok()) return parsed.status();
  const json& number = *parsed->value;
  if (!number.is_number()) return Wrong(where + ".value", "a number", number);
  Lag lag{parsed->unit, number.get<double>()};
  // Values use base units (the metric contract): seconds, never milliseconds.
  if (lag.unit == kMilliseconds) lag = Lag{kSeconds, lag.value / 1000};
  return lag;
}

absl::StatusOr<Shard> ParseShard(const json& value, const std::string& where) {
  if (!value.is_object()) return Wrong(where, "an object", value);
  Shard shard;
  auto id = value.find("id");
  if (id == value.end() || !id->is_string() || id->get<std::string>().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".id: expected a non-empty string"));
  }
  shard.id = id->get<std::string>();
  auto role = value.find("role");
  if (role == value.end()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": missing role"));
  }
  auto parsed_role = ParseRole(*role, where + ".role", &shard.role_detail);
  if (!parsed_role.ok()) return parsed_role.status();
  shard.role = *parsed_role;

  auto offset = value.find("commit_offset");
  if (offset != value.end() && !offset->is_null()) {
    auto parsed = ParseCommitOffset(*offset, where + ".commit_offset");
    if (!parsed.ok()) return parsed.status();
    shard.commit_offset = *std::move(parsed);
  }
  // Our own extension "lags" carries every lag when a node gives several;
  // "lag" alone is what other agents give.
  auto lags = value.find("lags");
  if (lags != value.end() && !lags->is_null()) {
    if (!lags->is_array()) return Wrong(where + ".lags", "a list", *lags);
    for (size_t i = 0; i < lags->size(); ++i) {
      auto lag = ParseLag((*lags)[i], absl::StrCat(where, ".lags[", i, "]"));
      if (!lag.ok()) return lag.status();
      shard.lags.push_back(*std::move(lag));
    }
  } else if (auto lag = value.find("lag");
             lag != value.end() && !lag->is_null()) {
    auto parsed = ParseLag(*lag, where + ".lag");
    if (!parsed.ok()) return parsed.status();
    shard.lags.push_back(*std::move(parsed));
  }
  return shard;
}

}  // namespace

absl::StatusOr<AgentDatastoreInfo> ParseDatastoreInfo(absl::string_view text) {
  auto document = ParseDocument(text);
  if (!document.ok()) return document.status();
  AgentDatastoreInfo info;
  for (auto [key, out] :
       {std::make_pair("cluster_id", &info.cluster_id),
        std::make_pair("cluster_display_name", &info.cluster_display_name),
        std::make_pair("kind", &info.kind),
        std::make_pair("node_id", &info.node),
        std::make_pair("version", &info.version)}) {
    absl::Status status = OptionalString(*document, key, out);
    if (!status.ok()) return status;
  }
  return info;
}

absl::StatusOr<std::vector<Shard>> ParseShards(absl::string_view text) {
  auto document = ParseDocument(text);
  if (!document.ok()) return document.status();
  auto list = document->find("shards");
  if (list == document->end()) {
    return absl::InvalidArgumentError("missing \"shards\"");
  }
  if (!list->is_array()) return Wrong("shards", "a list", *list);
  std::vector<Shard> shards;
  std::set<std::string> ids;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string where = absl::StrCat("shards[", i, "]");
    auto shard = ParseShard((*list)[i], where);
    if (!shard.ok()) return shard.status();
    if (!ids.insert(shard->id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".id: duplicate shard \"", shard->id, "\""));
    }
    shards.push_back(*std::move(shard));
  }
  return shards;
}

}  // namespace dse::replicante
