// The one place that turns collected models into Prometheus metric families,
// and their serialization in the Prometheus text format 0.0.4. Metric names
// and help texts are written here and nowhere else (see the metric contract in
// README.md).
#ifndef DATASTORE_EXPORTER_EXPORTER_METRICS_H_
#define DATASTORE_EXPORTER_EXPORTER_METRICS_H_

#include <string>
#include <vector>

#include "exporter/model.h"

namespace dse {

// The outcome of collecting one target in one scrape.
struct TargetResult {
  std::string target;  // Configured name, or the probed address.
  std::string kind;
  bool up = false;
  NodeModel model;  // Meaningful only when up.
  double duration_seconds = 0;
  std::string error;  // Why the target is down; empty when up.
};

// One label pair of a sample. Names are written as given (they are ours and
// valid); values are escaped when serialized.
struct LabelPair {
  std::string name;
  std::string value;
};

// One gauge sample: labels in output order, and the value.
struct GaugeSample {
  std::vector<LabelPair> labels;
  double value = 0;
};

// A gauge metric family: every family of the metric contract is a gauge.
struct MetricFamily {
  std::string name;
  std::string help;
  std::vector<GaugeSample> samples;
};

// Builds every family of the metric contract for the given results, plus
// datastore_exporter_build_info.
std::vector<MetricFamily> BuildFamilies(
    const std::vector<TargetResult>& results);

// Serializes families in the Prometheus text format 0.0.4: "# HELP" and
// "# TYPE <name> gauge" lines (no HELP line for an empty help), then one line
// per sample. Help text escapes backslash and newline (prometheus-cpp 1.0.1
// did not; our help texts have neither); label values escape backslash,
// double quote and newline. Values are written as AppendValue does.
std::string SerializeText(const std::vector<MetricFamily>& families);

// Appends a sample value as the text format writes it: "Nan", "+Inf", "-Inf",
// otherwise the shortest of plain or exponent notation with 16 significant
// digits and no trailing zeros (printf "%.16g"), as prometheus-cpp 1.0.1
// wrote them, so that the output did not change when it was replaced.
void AppendValue(std::string& out, double value);

// The version and revision the binary was built from.
const char* ExporterVersion();
const char* ExporterRevision();

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_METRICS_H_
