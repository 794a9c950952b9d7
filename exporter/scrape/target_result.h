// The outcome of collecting one target in one scrape, and why it failed.
#ifndef DATASTORE_EXPORTER_EXPORTER_SCRAPE_TARGET_RESULT_H_
#define DATASTORE_EXPORTER_EXPORTER_SCRAPE_TARGET_RESULT_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "exporter/model/model.h"

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

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_SCRAPE_TARGET_RESULT_H_
