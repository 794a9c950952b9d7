#include "exporter/model/model_json.h"

#include <cmath>
#include <cstdint>
#include <utility>

namespace dse {
namespace {

using nlohmann::json;

constexpr char kSeconds[] = "seconds";

// An integral value is written as a JSON integer (the API's i64); a fraction
// is kept rather than rounded away (a lag of 0.25 s is not 0 s).
json NumberToJson(double value) {
  if (std::trunc(value) == value && std::fabs(value) < 9.0e18) {
    return static_cast<int64_t>(value);
  }
  return value;
}

json OffsetToJson(const std::string& unit, json value) {
  return json{{"unit", UnitToJson(unit)}, {"value", std::move(value)}};
}

json LagToJson(const Lag& lag) {
  return OffsetToJson(lag.unit, NumberToJson(lag.value));
}

}  // namespace

json UnitToJson(const std::string& unit) {
  if (unit == kSeconds) return kSeconds;
  return json{{"unit", unit}};
}

json RoleToJson(Role role, const std::string& role_detail) {
  if (role == Role::kUnknown) return json{{"unknown", role_detail}};
  return std::string(RoleName(role));
}

json ShardToJson(const Shard& shard) {
  json out = json::object();
  out["id"] = shard.id;
  out["role"] = RoleToJson(shard.role, shard.role_detail);
  out["commit_offset"] =
      shard.commit_offset
          ? OffsetToJson(shard.commit_offset->unit, shard.commit_offset->value)
          : json(nullptr);
  std::vector<const Lag*> lags;
  for (const Lag& lag : shard.lags) {
    if (std::isfinite(lag.value)) lags.push_back(&lag);
  }
  out["lag"] = lags.empty() ? json(nullptr) : LagToJson(*lags[0]);
  if (lags.size() > 1) {
    json all = json::array();
    for (const Lag* lag : lags) all.push_back(LagToJson(*lag));
    out["lags"] = std::move(all);
  }
  return out;
}

json ShardsToJson(const NodeModel& model) {
  json shards = json::array();
  for (const Shard& shard : model.shards) shards.push_back(ShardToJson(shard));
  return json{{"shards", std::move(shards)}};
}

json DatastoreInfoToJson(const NodeModel& model, absl::string_view kind) {
  json out = json::object();
  out["cluster_display_name"] = model.cluster_display_name.empty()
                                    ? json(nullptr)
                                    : json(model.cluster_display_name);
  out["cluster_id"] = model.cluster_id;
  out["kind"] = std::string(kind);
  out["node_id"] = model.node;
  out["version"] = model.version;
  return out;
}

std::string DumpJson(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace dse
