#include "exporter/scrape/telemetry.h"

#include <sys/resource.h>

#include <cmath>
#include <ctime>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace dse {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Text(Telemetry& telemetry) {
  return prometheus::TextSerializer().Serialize(telemetry.Collect());
}

// The value of the one line starting with `series` + " ", or NaN.
double Value(const std::string& text, const std::string& series) {
  const std::string prefix = "\n" + series + " ";
  const size_t at = ("\n" + text).find(prefix);
  if (at == std::string::npos) return std::nan("");
  return std::stod(text.substr(at + prefix.size() - 1));
}

// datastore_exporter_collections_total of a redis `target`.
double Collections(const std::string& text, const std::string& target) {
  return Value(text, absl::StrCat("datastore_exporter_collections_total{kind="
                                  "\"redis\",target=\"",
                                  target, "\"}"));
}

// datastore_exporter_collection_errors_total of a redis `target`.
double Errors(const std::string& text, const std::string& reason,
              const std::string& target) {
  return Value(text,
               absl::StrCat("datastore_exporter_collection_errors_total{kind="
                            "\"redis\",reason=\"",
                            reason, "\",target=\"", target, "\"}"));
}

TEST(ReasonOf, EveryStatusCodeHasAReasonFromTheSet) {
  EXPECT_EQ(ReasonOf(absl::StatusCode::kUnavailable), FailureReason::kConnect);
  EXPECT_EQ(ReasonOf(absl::StatusCode::kDeadlineExceeded),
            FailureReason::kTimeout);
  EXPECT_EQ(ReasonOf(absl::StatusCode::kPermissionDenied),
            FailureReason::kAuth);
  EXPECT_EQ(ReasonOf(absl::StatusCode::kUnauthenticated), FailureReason::kAuth);
  EXPECT_EQ(ReasonOf(absl::StatusCode::kInvalidArgument),
            FailureReason::kProtocol);
  EXPECT_EQ(ReasonOf(absl::StatusCode::kResourceExhausted),
            FailureReason::kProtocol);
  EXPECT_EQ(ReasonOf(absl::StatusCode::kFailedPrecondition),
            FailureReason::kOther);
  for (FailureReason reason : {FailureReason::kConnect, FailureReason::kTimeout,
                               FailureReason::kAuth, FailureReason::kProtocol,
                               FailureReason::kModel, FailureReason::kOther}) {
    EXPECT_THAT(std::string(FailureReasonName(reason)),
                ::testing::AnyOf("connect", "timeout", "auth", "protocol",
                                 "model", "other"));
  }
}

TEST(Telemetry, CountsCollectionsAndErrorsByReason) {
  Telemetry telemetry;
  TargetResult up;
  up.kind = "redis";
  up.up = true;
  TargetResult refused = up;
  refused.up = false;
  refused.reason = FailureReason::kAuth;
  telemetry.CountCollection("a", up);
  telemetry.CountCollection("a", refused);
  telemetry.CountCollection("a", refused);
  telemetry.CountCollection("probe:cache", up);
  std::string text = Text(telemetry);
  EXPECT_EQ(Collections(text, "a"), 3);
  EXPECT_EQ(Errors(text, "auth", "a"), 2);
  EXPECT_EQ(Collections(text, "probe:cache"), 1);
  EXPECT_THAT(text, HasSubstr("# TYPE datastore_exporter_collections_total "
                              "counter\n"));
}

TEST(Telemetry, ReloadKeepsTheCountsOfTargetsThatStayOnly) {
  Telemetry telemetry;
  TargetResult down;
  down.kind = "redis";
  down.reason = FailureReason::kConnect;
  TargetResult up = down;
  up.up = true;
  telemetry.CountCollection("stays", up);
  telemetry.CountCollection("stays", down);
  telemetry.CountCollection("goes", down);
  telemetry.CountCollection("probe:gone", up);
  telemetry.KeepTargets({"stays", "new"});
  telemetry.CountCollection("stays", up);
  std::string text = Text(telemetry);
  EXPECT_EQ(Collections(text, "stays"), 3);
  EXPECT_EQ(Errors(text, "connect", "stays"), 1);
  EXPECT_THAT(text, Not(HasSubstr("target=\"goes\"")));
  EXPECT_THAT(text, Not(HasSubstr("target=\"probe:gone\"")));
  // A removed target that comes back starts again from zero.
  telemetry.CountCollection("goes", up);
  EXPECT_EQ(Value(Text(telemetry),
                  "datastore_exporter_collections_total{kind=\"redis\","
                  "target=\"goes\"}"),
            1);
}

TEST(Telemetry, RequestsAndTheirDurations) {
  Telemetry telemetry;
  telemetry.ObserveRequest("/metrics", 200, 0.003);
  telemetry.ObserveRequest("/metrics", 200, 0.2);
  telemetry.ObserveRequest("/metrics", 401, 0.001);
  std::string text = Text(telemetry);
  EXPECT_EQ(Value(text,
                  "datastore_exporter_http_requests_total{code=\"200\","
                  "handler=\"/metrics\"}"),
            2);
  EXPECT_EQ(Value(text,
                  "datastore_exporter_http_requests_total{code=\"401\","
                  "handler=\"/metrics\"}"),
            1);
  EXPECT_EQ(Value(text,
                  "datastore_exporter_http_request_duration_seconds_count{"
                  "handler=\"/metrics\"}"),
            3);
  EXPECT_EQ(Value(text,
                  "datastore_exporter_http_request_duration_seconds_bucket{"
                  "handler=\"/metrics\",le=\"0.005\"}"),
            2);
  EXPECT_EQ(Value(text,
                  "datastore_exporter_http_request_duration_seconds_bucket{"
                  "handler=\"/metrics\",le=\"+Inf\"}"),
            3);
}

TEST(Telemetry, ReloadOutcome) {
  Telemetry telemetry;
  const absl::Time first = absl::FromUnixSeconds(1700000000);
  telemetry.ConfigLoaded(true, first);
  std::string text = Text(telemetry);
  EXPECT_EQ(Value(text, "datastore_exporter_config_last_reload_successful"), 1);
  EXPECT_EQ(
      Value(text,
            "datastore_exporter_config_last_reload_success_timestamp_seconds"),
      1700000000);
  telemetry.ConfigLoaded(false, first + absl::Seconds(60));
  text = Text(telemetry);
  EXPECT_EQ(Value(text, "datastore_exporter_config_last_reload_successful"), 0);
  // The time of the last success stays.
  EXPECT_EQ(
      Value(text,
            "datastore_exporter_config_last_reload_success_timestamp_seconds"),
      1700000000);
}

TEST(Telemetry, ProcessFiguresAreThisProcesss) {
  Telemetry telemetry;
  std::string text = Text(telemetry);
  EXPECT_GT(Value(text, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(Value(text, "process_virtual_memory_bytes"),
            Value(text, "process_resident_memory_bytes"));
  EXPECT_GE(Value(text, "process_open_fds"), 3);
  rlimit files{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
  EXPECT_EQ(Value(text, "process_max_fds"),
            static_cast<double>(files.rlim_cur));
  // Started before now, and not before the machine booted long ago.
  const double now = absl::ToUnixSeconds(absl::Now());
  const double start = Value(text, "process_start_time_seconds");
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 3600) << "this test process started an hour ago?";
  // CPU time only grows: burn some and read again.
  const double before = Value(text, "process_cpu_seconds_total");
  // 50 ms of this process's CPU (5 clock ticks), at most 10 s of waiting.
  volatile double sink = 0;
  const std::clock_t spent = std::clock();
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (std::clock() - spent < CLOCKS_PER_SEC / 20 && absl::Now() < give_up)
    sink = sink + std::sqrt(sink + 2);
  const double after = Value(Text(telemetry), "process_cpu_seconds_total");
  EXPECT_GT(after, before);
  EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter\n"));
  EXPECT_THAT(text, Not(HasSubstr("datastore_up")));
}

}  // namespace
}  // namespace dse
