// The exporter's own telemetry, served on /metrics after the model's
// families (never on /probe): the process (read from /proc at scrape time),
// collections and their errors by reason, HTTP requests, and configuration
// reloads. Kept in a prometheus::Registry; names and help texts are in
// metric_names.h.
#ifndef DATASTORE_EXPORTER_EXPORTER_SCRAPE_TELEMETRY_H_
#define DATASTORE_EXPORTER_EXPORTER_SCRAPE_TELEMETRY_H_

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "exporter/scrape/metrics.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace dse {

class Telemetry {
 public:
  Telemetry();
  Telemetry(const Telemetry&) = delete;
  Telemetry& operator=(const Telemetry&) = delete;

  // One collection; a failed one also counts under its reason.
  // `target` is the label: the configured name, or "probe:MODULE" for a
  // /probe (whose addresses are unbounded).
  void CountCollection(const std::string& target, const TargetResult& result);
  // After a reload: the collection series of every target label not in
  // `kept` are removed (those of kept targets go on counting).
  void KeepTargets(const std::set<std::string>& kept);
  // One discovery (/sd) of `module`; `refused` members were left out.
  void CountDiscovery(const std::string& module, bool ok, size_t refused);
  // One HTTP request, answered with `code` after `seconds`.
  void ObserveRequest(const std::string& handler, int code, double seconds);
  // The outcome of a configuration load (at start and on every reload).
  void ConfigLoaded(bool ok, absl::Time when);

  // Every family, the process's read now.
  std::vector<prometheus::MetricFamily> Collect();

 private:
  void ReadProcess();

  prometheus::Registry registry_;
  prometheus::Family<prometheus::Counter>& collections_;
  prometheus::Family<prometheus::Counter>& collection_errors_;
  prometheus::Family<prometheus::Counter>& discoveries_;
  prometheus::Family<prometheus::Counter>& discovery_refused_;
  prometheus::Family<prometheus::Counter>& http_requests_;
  prometheus::Family<prometheus::Histogram>& http_duration_;
  prometheus::Gauge& reload_successful_;
  prometheus::Gauge& reload_success_time_;
  prometheus::Counter& cpu_seconds_;
  prometheus::Gauge& resident_bytes_;
  prometheus::Gauge& virtual_bytes_;
  prometheus::Gauge& open_fds_;
  prometheus::Gauge& max_fds_;
  prometheus::Gauge& start_time_;
  // The series of each target label, for KeepTargets.
  std::mutex targets_mutex_;
  std::map<std::string, std::set<prometheus::Counter*>> collection_series_;
  std::map<std::string, std::set<prometheus::Counter*>> error_series_;
  std::mutex process_mutex_;
  double cpu_counted_ = 0;  // Of process_cpu_seconds_total, so far.
};

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_SCRAPE_TELEMETRY_H_
