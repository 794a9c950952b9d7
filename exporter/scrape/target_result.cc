#include "exporter/scrape/target_result.h"

namespace dse {

std::string_view FailureReasonName(FailureReason reason) {
  switch (reason) {
    case FailureReason::kNone:
      return "";
    case FailureReason::kConnect:
      return "connect";
    case FailureReason::kTimeout:
      return "timeout";
    case FailureReason::kAuth:
      return "auth";
    case FailureReason::kProtocol:
      return "protocol";
    case FailureReason::kModel:
      return "model";
    case FailureReason::kOther:
      break;
  }
  return "other";
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
