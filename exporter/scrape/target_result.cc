#include "exporter/scrape/target_result.h"

namespace dse {

std::string_view FailureReasonName(FailureReason reason) {
  // In the order of the enum.
  static constexpr std::string_view kNames[] = {
      "", "connect", "timeout", "auth", "protocol", "model", "other"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) ==
                static_cast<size_t>(FailureReason::kOther) + 1);
  return kNames[static_cast<size_t>(reason)];
}

FailureReason ReasonOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return FailureReason::kNone;
    case absl::StatusCode::kUnavailable:
      return FailureReason::kConnect;
    case absl::StatusCode::kDeadlineExceeded:
      return FailureReason::kTimeout;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return FailureReason::kAuth;
    // Parsers say InvalidArgument; reply limits ResourceExhausted; a reply
    // of the wrong shape Internal or DataLoss.
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kOutOfRange:
      return FailureReason::kProtocol;
    default:
      return FailureReason::kOther;
  }
}

}  // namespace dse
