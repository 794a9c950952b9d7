// Google Benchmark micro-benchmarks of the hot paths: Redis reply parsing and
// mapping, model → metric families, and text serialization (up to 100,000
// series). Run: build/tests/bench/dse_micro_bench
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "collectors/redis/redis_parse.h"
#include "exporter/scrape/metrics.h"
#include "exporter/scrape/telemetry.h"
#include "prometheus/text_serializer.h"

namespace dse {
namespace {

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(DSE_SOURCE_DIR) + "/collectors/redis/fixtures/" +
                   name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void BM_RedisInfoToModel(benchmark::State& state) {
  const std::string info_text = Fixture("info_7.0.15_replica.txt");
  for (auto _ : state) {
    auto info = redis::ParseInfo(info_text);
    auto model = redis::BuildModel(*info, nullptr, {"cache", "127.0.0.1:6379"});
    benchmark::DoNotOptimize(model);
  }
}
BENCHMARK(BM_RedisInfoToModel);

void BM_RedisClusterNodesToModel(benchmark::State& state) {
  const std::string info_text = Fixture("info_7.0.15_cluster_replica.txt");
  const std::string nodes_text = Fixture("cluster_nodes_7.0.15_replica.txt");
  for (auto _ : state) {
    auto info = redis::ParseInfo(info_text);
    auto nodes = redis::ParseClusterNodes(nodes_text);
    auto model = redis::BuildModel(*info, &*nodes, {"cache", "n"});
    benchmark::DoNotOptimize(model);
  }
}
BENCHMARK(BM_RedisClusterNodesToModel);

// Results for `targets` targets with one shard each: 7 series per target
// (up, duration, info, 4 roles, offset) plus one lag on replicas.
std::vector<TargetResult> Results(int targets) {
  std::vector<TargetResult> results;
  for (int i = 0; i < targets; ++i) {
    TargetResult result;
    result.target = absl::StrCat("node-", i);
    result.kind = "redis";
    result.up = true;
    result.duration_seconds = 0.0003;
    result.model.cluster_id = absl::StrCat("cluster-", i / 3);
    result.model.node = result.target;
    result.model.version = "7.0.15";
    Shard shard;
    shard.id = result.model.cluster_id;
    shard.role = i % 3 == 0 ? Role::kPrimary : Role::kSecondary;
    shard.commit_offset = CommitOffset{"bytes", 123456789ull + i};
    if (i % 3 != 0) shard.lags.push_back(Lag{"seconds", 0.5});
    result.model.shards.push_back(shard);
    results.push_back(std::move(result));
  }
  return results;
}

size_t SeriesCount(const std::vector<prometheus::MetricFamily>& families) {
  size_t count = 0;
  for (const auto& family : families) count += family.metric.size();
  return count;
}

// The series per iteration, and per second.
void CountSeries(benchmark::State& state, size_t series) {
  state.counters["series"] = static_cast<double>(series);
  state.counters["series_per_s"] =
      benchmark::Counter(static_cast<double>(series) * state.iterations(),
                         benchmark::Counter::kIsRate);
}

void BM_BuildFamilies(benchmark::State& state) {
  const auto results = Results(static_cast<int>(state.range(0)));
  size_t series = 0;
  for (auto _ : state) {
    auto families = BuildFamilies(results);
    series = SeriesCount(families);
    benchmark::DoNotOptimize(families);
  }
  CountSeries(state, series);
}
BENCHMARK(BM_BuildFamilies)->Arg(2)->Arg(200)->Arg(13000);

void BM_TextSerializer(benchmark::State& state) {
  const auto families =
      BuildFamilies(Results(static_cast<int>(state.range(0))));
  const size_t series = SeriesCount(families);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = prometheus::TextSerializer().Serialize(families);
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  CountSeries(state, series);
  state.counters["bytes"] = static_cast<double>(bytes);
}
// 13,000 targets give about 100,000 series.
BENCHMARK(BM_TextSerializer)->Arg(2)->Arg(200)->Arg(13000);

// The exporter's own telemetry as one /metrics adds it: /proc read, the
// registry collected and serialized (a few targets and handlers counted).
void BM_TelemetryCollectAndSerialize(benchmark::State& state) {
  Telemetry telemetry;
  for (const TargetResult& result : Results(static_cast<int>(state.range(0)))) {
    telemetry.CountCollection(result.target, result);
  }
  telemetry.ObserveRequest("/metrics", 200, 0.001);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text =
        prometheus::TextSerializer().Serialize(telemetry.Collect());
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_TelemetryCollectAndSerialize)->Arg(2)->Arg(200);

}  // namespace
}  // namespace dse

BENCHMARK_MAIN();
