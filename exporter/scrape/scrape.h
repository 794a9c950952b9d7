// Targets at run time and concurrent collection of all of them.
#ifndef DATASTORE_EXPORTER_EXPORTER_SCRAPE_SCRAPE_H_
#define DATASTORE_EXPORTER_EXPORTER_SCRAPE_SCRAPE_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "exporter/config/config.h"
#include "exporter/model/collector.h"
#include "exporter/scrape/metrics.h"

namespace dse {

// One configured target with its collector and the outcome of its last
// collection (shown on the landing page).
class Target {
 public:
  Target(TargetConfig config, std::unique_ptr<Collector> collector);

  const TargetConfig& config() const { return config_; }

  // Collects the target, stopping by min(now + configured timeout, deadline).
  // Concurrent calls are serialized; a call that cannot get its turn before
  // its deadline reports the target down. Never throws.
  TargetResult Collect(absl::Time deadline);
  // The members of the target's cluster as the target names them
  // (Collector::Members), by min(now + configured timeout, deadline),
  // serialized with Collect. Errors hold no secret.
  absl::StatusOr<std::vector<std::string>> Members(absl::Time deadline);

  struct LastState {
    bool ever = false;  // False until the first collection ends.
    absl::Time when;
    TargetResult result;
  };
  LastState last() const;

 private:
  void Remember(const TargetResult& result);
  // `error` without the target's secret, as valid UTF-8.
  std::string Printable(std::string error) const;

  const TargetConfig config_;
  std::unique_ptr<Collector> collector_;
  std::timed_mutex collect_mutex_;
  mutable std::mutex last_mutex_;
  LastState last_;
};

// Builds the targets of a configuration with the kinds' factories.
std::vector<std::shared_ptr<Target>> MakeTargets(const Config& config,
                                                 const KindRegistry& kinds);

// Opens the client libraries of every kind the configuration's targets and
// modules use (Kind::load). The error names the target or module.
absl::Status LoadClientLibraries(const Config& config,
                                 const KindRegistry& kinds);

// Collects every target concurrently and returns their results in order.
// Returns by `deadline` plus a small grace even if a collector misbehaves.
std::vector<TargetResult> CollectAll(
    const std::vector<std::shared_ptr<Target>>& targets, absl::Time deadline);

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_SCRAPE_SCRAPE_H_
