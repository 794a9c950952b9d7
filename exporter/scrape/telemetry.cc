#include "exporter/scrape/telemetry.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "exporter/scrape/metric_names.h"

namespace dse {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// Prometheus's default buckets: a scrape takes a millisecond to seconds.
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *buckets;
}

// A small /proc file, read with plain system calls (an ifstream costs more
// than the read itself, on every scrape).
std::string ReadWhole(const char* path) {
  std::string text;
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[4096];
  for (ssize_t got; (got = read(fd, buffer, sizeof buffer)) > 0;) {
    text.append(buffer, static_cast<size_t>(got));
  }
  close(fd);
  return text;
}

// The fields of /proc/self/stat after the command (which may hold spaces
// and parentheses): fields[0] is the state, field N of proc(5) is
// fields[N - 3].
std::vector<std::string> StatFields() {
  const std::string stat = ReadWhole("/proc/self/stat");
  const size_t end_of_command = stat.rfind(')');
  if (end_of_command == std::string::npos) return {};
  return absl::StrSplit(stat.substr(end_of_command + 1), ' ',
                        absl::SkipEmpty());
}

double Field(const std::vector<std::string>& fields, size_t proc5_number) {
  double value = 0;
  if (proc5_number < 3 || proc5_number - 3 >= fields.size()) return 0;
  if (!absl::SimpleAtod(fields[proc5_number - 3], &value)) return 0;
  return value;
}

// Seconds since the epoch at which the machine booted (btime, /proc/stat).
double BootTime() {
  for (absl::string_view line : absl::StrSplit(ReadWhole("/proc/stat"), '\n')) {
    if (absl::ConsumePrefix(&line, "btime ")) {
      double seconds = 0;
      if (absl::SimpleAtod(line, &seconds)) return seconds;
    }
  }
  return 0;
}

double OpenFds() {
  DIR* directory = opendir("/proc/self/fd");
  if (directory == nullptr) return 0;
  double count = 0;
  while (const dirent* entry = readdir(directory)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(directory);
  return count - 1;  // The directory's own descriptor.
}

// A family of the telemetry, named and described from metric_names.h.
template <typename Builder>
auto& Registered(Builder builder, const metric::Name& name,
                 prometheus::Registry& registry) {
  return builder.Name(name.name).Help(name.help).Register(registry);
}

}  // namespace

Telemetry::Telemetry()
    : collections_(Registered(BuildCounter(), metric::kCollections, registry_)),
      collection_errors_(
          Registered(BuildCounter(), metric::kCollectionErrors, registry_)),
      discoveries_(Registered(BuildCounter(), metric::kDiscoveries, registry_)),
      discovery_refused_(
          Registered(BuildCounter(), metric::kDiscoveryRefused, registry_)),
      http_requests_(
          Registered(BuildCounter(), metric::kHttpRequests, registry_)),
      http_duration_(Registered(BuildHistogram(), metric::kHttpRequestDuration,
                                registry_)),
      reload_successful_(
          Registered(BuildGauge(), metric::kConfigReloadSuccessful, registry_)
              .Add({})),
      reload_success_time_(
          Registered(BuildGauge(), metric::kConfigReloadSuccessTime, registry_)
              .Add({})),
      cpu_seconds_(
          Registered(BuildCounter(), metric::kProcessCpu, registry_).Add({})),
      resident_bytes_(
          Registered(BuildGauge(), metric::kProcessResidentMemory, registry_)
              .Add({})),
      virtual_bytes_(
          Registered(BuildGauge(), metric::kProcessVirtualMemory, registry_)
              .Add({})),
      open_fds_(
          Registered(BuildGauge(), metric::kProcessOpenFds, registry_).Add({})),
      max_fds_(
          Registered(BuildGauge(), metric::kProcessMaxFds, registry_).Add({})),
      start_time_(Registered(BuildGauge(), metric::kProcessStartTime, registry_)
                      .Add({})) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (ticks > 0) start_time_.Set(BootTime() + Field(StatFields(), 22) / ticks);
}

void Telemetry::CountCollection(const std::string& target,
                                const TargetResult& result) {
  std::lock_guard<std::mutex> lock(targets_mutex_);
  prometheus::Counter& collections =
      collections_.Add({{"target", target}, {"kind", result.kind}});
  collections.Increment();
  collection_series_[target].insert(&collections);
  if (result.up) return;
  const FailureReason reason = result.reason == FailureReason::kNone
                                   ? FailureReason::kOther
                                   : result.reason;
  prometheus::Counter& errors = collection_errors_.Add(
      {{"target", target},
       {"kind", result.kind},
       {"reason", std::string(FailureReasonName(reason))}});
  errors.Increment();
  error_series_[target].insert(&errors);
}

void Telemetry::CountDiscovery(const std::string& module, bool ok,
                               size_t refused) {
  // prometheus-cpp's families are thread-safe.
  discoveries_.Add({{"module", module}, {"outcome", ok ? "ok" : "failed"}})
      .Increment();
  prometheus::Counter& left_out = discovery_refused_.Add({{"module", module}});
  left_out.Increment(static_cast<double>(refused));
}

void Telemetry::KeepTargets(const std::set<std::string>& kept) {
  std::lock_guard<std::mutex> lock(targets_mutex_);
  for (auto* series : {&collection_series_, &error_series_}) {
    auto& family =
        series == &collection_series_ ? collections_ : collection_errors_;
    for (auto it = series->begin(); it != series->end();) {
      if (kept.count(it->first) != 0) {
        ++it;
        continue;
      }
      for (prometheus::Counter* counter : it->second) family.Remove(counter);
      it = series->erase(it);
    }
  }
}

void Telemetry::ObserveRequest(const std::string& handler, int code,
                               double seconds) {
  http_requests_.Add({{"handler", handler}, {"code", std::to_string(code)}})
      .Increment();
  http_duration_.Add({{"handler", handler}}, DurationBuckets())
      .Observe(seconds);
}

void Telemetry::ConfigLoaded(bool ok, absl::Time when) {
  reload_successful_.Set(ok ? 1 : 0);
  if (ok)
    reload_success_time_.Set(absl::ToDoubleSeconds(when - absl::UnixEpoch()));
}

void Telemetry::ReadProcess() {
  const std::vector<std::string> fields = StatFields();
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::lock_guard<std::mutex> lock(process_mutex_);
  if (ticks > 0) {
    // utime + stime (fields 14 and 15); a counter only goes up.
    const double cpu = (Field(fields, 14) + Field(fields, 15)) / ticks;
    if (cpu > cpu_counted_) {
      cpu_seconds_.Increment(cpu - cpu_counted_);
      cpu_counted_ = cpu;
    }
  }
  virtual_bytes_.Set(Field(fields, 23));
  resident_bytes_.Set(Field(fields, 24) *
                      static_cast<double>(sysconf(_SC_PAGESIZE)));
  open_fds_.Set(OpenFds());
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    max_fds_.Set(files.rlim_cur == RLIM_INFINITY
                     ? -1
                     : static_cast<double>(files.rlim_cur));
  }
}

std::vector<prometheus::MetricFamily> Telemetry::Collect() {
  ReadProcess();
  return registry_.Collect();
}

}  // namespace dse
