// The one place that turns collected models into Prometheus metric families
// (prometheus-cpp's, which prometheus::TextSerializer writes in the text
// format 0.0.4). Every metric's name and help text is in metric_names.h; the
// exporter's own telemetry is built in telemetry.h.
#ifndef DATASTORE_EXPORTER_EXPORTER_METRICS_H_
#define DATASTORE_EXPORTER_EXPORTER_METRICS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "exporter/model.h"
#include "prometheus/metric_family.h"

namespace dse {

// Why a collection failed, from a small fixed set: the `reason` label of
// datastore_exporter_collection_errors_total.
enum class FailureReason {
  kNone,
  kConnect,   // Not reached, or the connection was lost.
  kTimeout,   // The deadline passed.
  kAuth,      // Credentials or privileges refused.
  kProtocol,  // A reply that could not be read (malformed, too large).
  kModel,     // Read, but not a model (no cluster ID).
  kOther,
};
std::string_view FailureReasonName(FailureReason reason);
// The reason of a collector's error status.
FailureReason ReasonOf(absl::StatusCode code);

// The outcome of collecting one target in one scrape.
struct TargetResult {
  std::string target;  // Configured name, or the probed address.
  std::string kind;
  bool up = false;
  NodeModel model;  // Meaningful only when up.
  double duration_seconds = 0;
  std::string error;  // Why the target is down; empty when up.
  FailureReason reason = FailureReason::kNone;
};

// Builds every family of the metric contract for the given results, plus
// datastore_exporter_build_info: gauges, in the contract's order, labels in
// output order. prometheus::TextSerializer writes them.
std::vector<prometheus::MetricFamily> BuildFamilies(
    const std::vector<TargetResult>& results);

// The version and revision the binary was built from.
const char* ExporterVersion();
const char* ExporterRevision();

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_METRICS_H_
