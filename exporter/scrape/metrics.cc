#include "exporter/scrape/metrics.h"

#include <utility>

#include "exporter/scrape/metric_names.h"

namespace dse {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;

MetricFamily Family(const metric::Name& name) {
  return MetricFamily{name.name, name.help, prometheus::MetricType::Gauge, {}};
}

void AddSample(MetricFamily& family, std::vector<ClientMetric::Label> labels,
               double value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  family.metric.push_back(std::move(metric));
}

constexpr Role kAllRoles[] = {Role::kPrimary, Role::kSecondary,
                              Role::kRecovering, Role::kUnknown};

}  // namespace

const char* ExporterVersion() { return DSE_VERSION; }
const char* ExporterRevision() { return DSE_REVISION; }

std::vector<MetricFamily> BuildFamilies(
    const std::vector<TargetResult>& results) {
  MetricFamily up = Family(metric::kUp);
  MetricFamily info = Family(metric::kInfo);
  MetricFamily role = Family(metric::kShardRole);
  MetricFamily offset = Family(metric::kShardCommitOffset);
  MetricFamily lag = Family(metric::kShardReplicationLag);
  MetricFamily duration = Family(metric::kCollectDuration);
  MetricFamily build = Family(metric::kBuildInfo);

  for (const TargetResult& result : results) {
    AddSample(up, {{"target", result.target}, {"kind", result.kind}},
              result.up ? 1 : 0);
    AddSample(duration, {{"target", result.target}, {"kind", result.kind}},
              result.duration_seconds);
    if (!result.up) continue;
    const NodeModel& model = result.model;
    AddSample(info,
              {{"target", result.target},
               {"kind", result.kind},
               {"cluster_id", model.cluster_id},
               {"cluster_display_name", model.cluster_display_name},
               {"node", model.node},
               {"version", model.version}},
              1);
    for (const Shard& shard : model.shards) {
      for (Role each : kAllRoles) {
        AddSample(role,
                  {{"target", result.target},
                   {"cluster_id", model.cluster_id},
                   {"node", model.node},
                   {"shard", shard.id},
                   {"role", std::string(RoleName(each))}},
                  each == shard.role ? 1 : 0);
      }
      if (shard.commit_offset) {
        AddSample(offset,
                  {{"target", result.target},
                   {"cluster_id", model.cluster_id},
                   {"node", model.node},
                   {"shard", shard.id},
                   {"unit", shard.commit_offset->unit}},
                  static_cast<double>(shard.commit_offset->value));
      }
      for (const Lag& each : shard.lags) {
        AddSample(lag,
                  {{"target", result.target},
                   {"cluster_id", model.cluster_id},
                   {"node", model.node},
                   {"shard", shard.id},
                   {"unit", each.unit}},
                  each.value);
      }
    }
  }
  AddSample(build, {{"version", DSE_VERSION}, {"revision", DSE_REVISION}}, 1);

  std::vector<MetricFamily> families;
  for (MetricFamily* family :
       {&up, &info, &role, &offset, &lag, &duration, &build}) {
    if (!family->metric.empty()) families.push_back(std::move(*family));
  }
  return families;
}

}  // namespace dse
