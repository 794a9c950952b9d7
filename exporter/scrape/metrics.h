// The one place that turns collected models into Prometheus metric families
// (prometheus-cpp's, which prometheus::TextSerializer writes in the text
// format 0.0.4). Every metric's name and help text is in metric_names.h; the
// exporter's own telemetry is built in telemetry.h.
#ifndef DATASTORE_EXPORTER_EXPORTER_SCRAPE_METRICS_H_
#define DATASTORE_EXPORTER_EXPORTER_SCRAPE_METRICS_H_

#include <string>
#include <string_view>
#include <vector>

#include "exporter/scrape/target_result.h"
#include "prometheus/metric_family.h"

namespace dse {

// Builds every family of the metric contract for the given results, plus
// datastore_exporter_build_info: gauges, in the contract's order, labels in
// output order. prometheus::TextSerializer writes them.
std::vector<prometheus::MetricFamily> BuildFamilies(
    const std::vector<TargetResult>& results);

// The version and revision the binary was built from.
const char* ExporterVersion();
const char* ExporterRevision();

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_SCRAPE_METRICS_H_
