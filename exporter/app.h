// The exporter's HTTP routes over a set of targets: /metrics, the landing
// page, /-/healthy.
#ifndef DATASTORE_EXPORTER_EXPORTER_APP_H_
#define DATASTORE_EXPORTER_EXPORTER_APP_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exporter/http_server.h"
#include "exporter/scrape.h"

namespace dse {

class App {
 public:
  App(std::string telemetry_path, std::vector<std::shared_ptr<Target>> targets);

  HttpResponse Handle(const HttpRequest& request);

 private:
  HttpResponse Metrics(const HttpRequest& request);
  HttpResponse LandingPage();

  std::vector<std::shared_ptr<Target>> Targets() const;

  const std::string telemetry_path_;
  mutable std::mutex targets_mutex_;
  std::vector<std::shared_ptr<Target>> targets_;
};

// Deadline of a scrape: the Prometheus-sent timeout less a safety offset, so
// the answer arrives before Prometheus gives up; no header means no limit
// beyond each target's own timeout.
absl::Time ScrapeDeadline(const std::string& timeout_header, absl::Time now);

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_APP_H_
