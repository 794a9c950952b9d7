// Replies in the Prometheus text exposition format (version 0.0.4), for the
// kinds that read a datastore's own metrics endpoint (rabbitmq): a small,
// strict parser of the sample lines, with errors as values naming the line.
#ifndef DATASTORE_EXPORTER_COLLECTORS_PROMETHEUS_TEXT_PROMETHEUS_TEXT_H_
#define DATASTORE_EXPORTER_COLLECTORS_PROMETHEUS_TEXT_PROMETHEUS_TEXT_H_

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dse {

// One sample line: `name{label="value",...} value [timestamp]`.
struct PrometheusSample {
  int line = 0;  // 1-based line number in the text, for error messages.
  std::string name;
  // In the order written, values unescaped (\\, \" and \n).
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;  // NaN, +Inf and -Inf included.

  // The value of label `label`, nullptr when the sample has none.
  const std::string* Label(absl::string_view label) const;
};

// Parses `text` and returns, in the order written, the samples whose metric
// name is in `names`. Every line is checked, kept or not: a sample line must
// be a metric name, an optional label set (a trailing comma allowed, no label
// twice), a value (a decimal number, NaN, +Inf or -Inf) and an optional
// integer timestamp, separated by blanks; `# TYPE` lines must name a metric
// and a known type; `# HELP` lines must name a metric; other comments and
// blank lines are skipped. Errors name the line and what is wrong:
// `line 12: label "queue": expected '"', got 'q'`.
absl::StatusOr<std::vector<PrometheusSample>> ParsePrometheusText(
    absl::string_view text, const std::set<std::string, std::less<>>& names);

}  // namespace dse

#endif  // DATASTORE_EXPORTER_COLLECTORS_PROMETHEUS_TEXT_PROMETHEUS_TEXT_H_
