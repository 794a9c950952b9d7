// The exporter's HTTP routes: /metrics, /probe, the status page (/ and
// /api/status), the model API (/api/unstable/...), /-/healthy, /-/ready and
// /-/reload, over the targets of the current configuration.
#ifndef DATASTORE_EXPORTER_EXPORTER_WEB_APP_H_
#define DATASTORE_EXPORTER_EXPORTER_WEB_APP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "exporter/config/config.h"
#include "exporter/model/collector.h"
#include "exporter/scrape/discovery.h"
#include "exporter/scrape/scrape.h"
#include "exporter/scrape/target_cache.h"
#include "exporter/scrape/telemetry.h"
#include "exporter/web/http_server.h"
#include "exporter/web/status_page.h"

namespace dse {

class App {
 public:
  App(std::string telemetry_path, const KindRegistry& kinds);

  // Installs a new configuration: new targets and modules serve from the next
  // request on; collections under way finish on the old ones.
  void SetConfig(const Config& config);
  // Records whether the last configuration load succeeded (/-/ready, and
  // the reload telemetry).
  void SetReady(bool ready, std::string error = "");
  // Called by POST /-/reload; returns the load's outcome.
  void SetReloader(std::function<absl::Status()> reloader);
  // Runs the reloader (one reload at a time), as POST /-/reload and SIGHUP
  // do.
  absl::Status ReloadConfig();

  // Answers a request through the route of its path.
  HttpResponse Handle(const HttpRequest& request);
  // Counts an answered request in the telemetry, under its route's path
  // (or "other": label values stay a fixed set).
  void ObserveRequest(const HttpRequest& request, int code, double seconds);

  // The targets of the current configuration.
  std::vector<std::shared_ptr<Target>> Targets() const;

 private:
  // One path and what answers it.
  struct Route {
    std::vector<std::string> methods;  // The first is named in a 405.
    std::function<HttpResponse(const HttpRequest&)> handle;
  };

  const Route* FindRoute(const std::string& path) const;
  HttpResponse Metrics(const HttpRequest& request);
  HttpResponse Probe(const HttpRequest& request);
  HttpResponse ServiceDiscovery(const HttpRequest& request);
  // What /probe and /sd take: the module and its allowed target.
  struct ModuleTarget {
    ModuleConfig module;
    uint64_t generation = 0;  // Of the configuration the module is from.
    std::string address;      // As given.
    HostPort endpoint;        // Parsed.
  };
  // The module and target of `request`, or (in *refusal) the answer that
  // refuses it: 400 for a missing or bad parameter or an unknown module,
  // 403 for a target the module does not allow.
  std::optional<ModuleTarget> ResolveModuleTarget(const HttpRequest& request,
                                                  const std::string& usage,
                                                  HttpResponse* refusal);
  HttpResponse Reload(const HttpRequest& request);
  HttpResponse Ready() const;
  std::shared_ptr<Target> ProbeTarget(const ModuleConfig& module,
                                      const std::string& address,
                                      const HostPort& endpoint);
  // The status page, its JSON and the model API: collected now, like
  // /metrics, as they show the present.
  template <typename Serve>
  HttpResponse CollectAndServe(const HttpRequest& request, Serve serve);

  const std::string telemetry_path_;
  const KindRegistry& kinds_;
  std::map<std::string, Route> routes_;  // By path; fixed at construction.
  Telemetry telemetry_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Target>> targets_;
  std::map<std::string, ModuleConfig> modules_;
  bool ready_ = false;
  std::string ready_error_;
  std::function<absl::Status()> reloader_;
  // Probed targets keep their connection between probes (and discovery).
  TargetCache probe_targets_{256};
  // Members /sd left out as not allowed, logged once each (bounded).
  std::set<std::string> refused_logged_;
  // The last /sd answer per module and seed, for the status page (at most
  // kDiscoveriesKept, the oldest dropped first; cleared by a new
  // configuration).
  static constexpr size_t kDiscoveriesKept = 64;
  std::map<std::string, DiscoveryRecord> discoveries_;
  void RememberDiscovery(DiscoveryRecord record, uint64_t generation);
  std::vector<DiscoveryRecord> Discoveries() const;
  std::mutex reload_mutex_;
  // Bumped by SetConfig (under mutex_): a scrape that straddled a reload
  // does not count its collections, so that a removed target's series
  // cannot come back.
  uint64_t config_generation_ = 0;
};

// The answer of /sd: Prometheus's HTTP service discovery JSON, one group
// of the discovered members labelled for /probe.
std::string ServiceDiscoveryJson(const ModuleConfig& module,
                                 const Discovery& found);

// Deadline of a scrape: the Prometheus-sent timeout less a safety offset, so
// the answer arrives before Prometheus gives up; no header means no limit
// beyond each target's own timeout.
absl::Time ScrapeDeadline(const std::string& timeout_header, absl::Time now);

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_WEB_APP_H_
