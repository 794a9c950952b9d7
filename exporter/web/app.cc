#include "exporter/web/app.h"

#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "exporter/config/allow_list.h"
#include "exporter/model/log.h"
#include "exporter/scrape/discovery.h"
#include "exporter/scrape/metrics.h"
#include "exporter/web/model_api.h"
#include "exporter/web/status_page.h"
#include "nlohmann/json.hpp"
#include "prometheus/text_serializer.h"

namespace dse {
namespace {

constexpr char kMetricsContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

HttpResponse Text(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

}  // namespace

std::string ServiceDiscoveryJson(const ModuleConfig& module,
                                 const Discovery& found) {
  // One group: the seed's cluster. Prometheus sends __param_module to
  // /probe; cluster_id and kind label the member's scrape (up included).
  nlohmann::json group = {{"targets", found.members},
                          {"labels",
                           {{"__param_module", module.name},
                            {"cluster_id", found.cluster_id},
                            {"kind", module.settings.kind}}}};
  return nlohmann::json::array({group}).dump() + "\n";
}

absl::Time ScrapeDeadline(const std::string& timeout_header, absl::Time now) {
  double seconds = 0;
  if (timeout_header.empty() || !absl::SimpleAtod(timeout_header, &seconds) ||
      !(seconds > 0)) {
    return absl::InfiniteFuture();
  }
  // Leave a quarter second (or a tenth of a short timeout) for the answer.
  double offset = std::min(0.25, seconds / 10);
  return now + absl::Seconds(seconds - offset);
}

App::App(std::string telemetry_path, const KindRegistry& kinds)
    : telemetry_path_(std::move(telemetry_path)), kinds_(kinds) {
  const std::vector<std::string> read = {"GET", "HEAD"};
  auto serve = [this](HttpResponse (App::*handler)(const HttpRequest&)) {
    return
        [this, handler](const HttpRequest& r) { return (this->*handler)(r); };
  };
  routes_["/probe"] = {read, serve(&App::Probe)};
  routes_["/sd"] = {read, serve(&App::ServiceDiscovery)};
  routes_["/-/healthy"] = {
      read, [](const HttpRequest&) { return Text(200, "Healthy\n"); }};
  routes_["/-/ready"] = {read, [this](const HttpRequest&) { return Ready(); }};
  routes_["/-/reload"] = {{"POST", "PUT"}, serve(&App::Reload)};
  routes_["/"] = {read, [this](const HttpRequest& request) {
                    return CollectAndServe(request, [&](const auto& targets,
                                                        absl::Time deadline) {
                      return ServeStatusPage(request, targets, deadline,
                                             telemetry_path_, Discoveries());
                    });
                  }};
  routes_["/api/status"] = {
      read, [this](const HttpRequest& request) {
        return CollectAndServe(
            request, [this](const auto& targets, absl::Time deadline) {
              return ServeStatusJson(targets, deadline, Discoveries());
            });
      }};
  for (const char* path : {kModelApiInfoPath, kModelApiShardsPath}) {
    routes_[path] = {read, [this](const HttpRequest& request) {
                       return CollectAndServe(
                           request,
                           [&](const auto& targets, absl::Time deadline) {
                             return ServeModelApi(request, targets, deadline);
                           });
                     }};
  }
  // Last: a telemetry path named like another route serves the metrics, as
  // --web.telemetry-path asks.
  routes_[telemetry_path_] = {read, serve(&App::Metrics)};
}

void App::SetConfig(const Config& config) {
  std::vector<std::shared_ptr<Target>> targets = MakeTargets(config, kinds_);
  // Counters of targets and modules that stay go on; the others' go.
  std::set<std::string> kept;
  for (const TargetConfig& target : config.targets) kept.insert(target.name);
  for (const auto& [name, unused] : config.modules)
    kept.insert("probe:" + name);
  std::lock_guard<std::mutex> lock(mutex_);
  targets_ = std::move(targets);
  modules_ = config.modules;
  probe_targets_.Clear();
  discoveries_.clear();
  refused_logged_.clear();
  ++config_generation_;
  telemetry_.KeepTargets(kept);
}

void App::SetReady(bool ready, std::string error) {
  telemetry_.ConfigLoaded(ready, absl::Now());
  std::lock_guard<std::mutex> lock(mutex_);
  ready_ = ready;
  ready_error_ = std::move(error);
}

void App::SetReloader(std::function<absl::Status()> reloader) {
  std::lock_guard<std::mutex> lock(mutex_);
  reloader_ = std::move(reloader);
}

std::vector<std::shared_ptr<Target>> App::Targets() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return targets_;
}

const App::Route* App::FindRoute(const std::string& path) const {
  auto it = routes_.find(path);
  return it == routes_.end() ? nullptr : &it->second;
}

HttpResponse App::Handle(const HttpRequest& request) {
  const Route* route = FindRoute(request.path);
  static const Route kUnknown = {{"GET", "HEAD"}, nullptr};
  const Route& allowed = route != nullptr ? *route : kUnknown;
  bool method_allowed = false;
  for (const std::string& method : allowed.methods) {
    method_allowed |= request.method == method;
  }
  if (!method_allowed) {
    HttpResponse response = Text(405, absl::StrCat("method not allowed: use ",
                                                   allowed.methods[0], "\n"));
    response.headers.emplace_back("Allow",
                                  absl::StrJoin(allowed.methods, ", "));
    return response;
  }
  if (route == nullptr) {
    return Text(404, absl::StrCat("not found: ", request.path, "\n"));
  }
  return route->handle(request);
}

template <typename Serve>
HttpResponse App::CollectAndServe(const HttpRequest& request, Serve serve) {
  absl::Time deadline = ScrapeDeadline(
      request.Header("X-Prometheus-Scrape-Timeout-Seconds"), absl::Now());
  return serve(Targets(), deadline);
}

void App::ObserveRequest(const HttpRequest& request, int code, double seconds) {
  telemetry_.ObserveRequest(
      FindRoute(request.path) != nullptr ? request.path : "other", code,
      seconds);
}

HttpResponse App::Metrics(const HttpRequest& request) {
  absl::Time deadline = ScrapeDeadline(
      request.Header("X-Prometheus-Scrape-Timeout-Seconds"), absl::Now());
  std::vector<std::shared_ptr<Target>> targets;
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    targets = targets_;
    generation = config_generation_;
  }
  std::vector<TargetResult> results = CollectAll(targets, deadline);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (generation == config_generation_) {
      for (const TargetResult& result : results) {
        telemetry_.CountCollection(result.target, result);
      }
    }
  }
  std::vector<prometheus::MetricFamily> families = BuildFamilies(results);
  for (prometheus::MetricFamily& family : telemetry_.Collect()) {
    families.push_back(std::move(family));
  }
  HttpResponse response;
  response.content_type = kMetricsContentType;
  response.body = prometheus::TextSerializer().Serialize(families);
  response.compressible = true;
  return response;
}

std::shared_ptr<Target> App::ProbeTarget(const ModuleConfig& module,
                                         const std::string& address,
                                         const HostPort& endpoint) {
  return probe_targets_.Get(
      module.name + "\n" + address, [&]() -> std::shared_ptr<Target> {
        TargetConfig config = module.settings;
        config.name = address;
        config.address = address;
        config.endpoint = endpoint;
        const Kind* kind = kinds_.Find(config.kind);
        if (kind == nullptr) return nullptr;  // Rejected when loaded.
        return std::make_shared<Target>(config, kind->make(config));
      });
}

std::optional<App::ModuleTarget> App::ResolveModuleTarget(
    const HttpRequest& request, const std::string& usage,
    HttpResponse* refusal) {
  ModuleTarget resolved;
  resolved.address = request.QueryParameter("target");
  const std::string module_name = request.QueryParameter("module");
  std::vector<std::string> missing;
  if (resolved.address.empty()) missing.push_back("target");
  if (module_name.empty()) missing.push_back("module");
  if (!missing.empty()) {
    *refusal = Text(
        400,
        absl::StrCat("missing parameter(s): ", absl::StrJoin(missing, ", "),
                     " (use ", usage, "?target=HOST:PORT&module=NAME)\n"));
    return std::nullopt;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = modules_.find(module_name);
    if (it == modules_.end()) {
      std::vector<std::string> names;
      for (const auto& [name, unused] : modules_) names.push_back(name);
      *refusal =
          Text(400, absl::StrCat("unknown module \"", module_name,
                                 "\" (configured: ", absl::StrJoin(names, ", "),
                                 ")\n"));
      return std::nullopt;
    }
    resolved.module = it->second;
    resolved.generation = config_generation_;
  }
  const Kind* kind = kinds_.Find(resolved.module.settings.kind);
  auto parsed =
      ParseHostPort(resolved.address, kind != nullptr ? kind->default_port : 0);
  if (!parsed.ok()) {
    *refusal =
        Text(400, absl::StrCat("target: ", parsed.status().message(), "\n"));
    return std::nullopt;
  }
  if (!ModuleAllows(resolved.module, *parsed)) {
    *refusal = Text(403, absl::StrCat("target \"", resolved.address,
                                      "\" is not allowed by module \"",
                                      module_name, "\"\n"));
    return std::nullopt;
  }
  resolved.endpoint = *std::move(parsed);
  return resolved;
}

HttpResponse App::Probe(const HttpRequest& request) {
  HttpResponse refusal;
  std::optional<ModuleTarget> probe =
      ResolveModuleTarget(request, "/probe", &refusal);
  if (!probe) return refusal;
  std::shared_ptr<Target> target =
      ProbeTarget(probe->module, probe->address, probe->endpoint);
  if (target == nullptr) return Text(500, "module has no usable kind\n");
  absl::Time deadline = ScrapeDeadline(
      request.Header("X-Prometheus-Scrape-Timeout-Seconds"), absl::Now());
  std::vector<TargetResult> results = {target->Collect(deadline)};
  {
    // By module: probed addresses are unbounded, label values must not be.
    std::lock_guard<std::mutex> lock(mutex_);
    if (probe->generation == config_generation_) {
      telemetry_.CountCollection("probe:" + probe->module.name, results[0]);
    }
  }
  HttpResponse response;
  response.content_type = kMetricsContentType;
  response.body =
      prometheus::TextSerializer().Serialize(BuildFamilies(results));
  response.compressible = true;
  return response;
}

HttpResponse App::ServiceDiscovery(const HttpRequest& request) {
  HttpResponse refusal;
  std::optional<ModuleTarget> seed =
      ResolveModuleTarget(request, "/sd", &refusal);
  if (!seed) return refusal;
  const ModuleConfig& module = seed->module;
  // Prometheus sends no timeout with a discovery request. Each call to a
  // member stops at the module's timeout, and the whole at three: members
  // not asked by then are still listed (they were named and allowed).
  absl::StatusOr<Discovery> found = Discover(
      module, seed->address, seed->endpoint,
      [&](const std::string& address, const HostPort& endpoint) {
        return ProbeTarget(module, address, endpoint);
      },
      absl::Now() + 3 * module.settings.timeout);
  const LogFields fields = {{"module", module.name}, {"seed", seed->address}};
  DiscoveryRecord record;
  record.module = module.name;
  record.kind = module.settings.kind;
  record.seed = seed->address;
  record.when = absl::Now();
  if (found.ok()) {
    record.cluster_id = found->cluster_id;
    record.members = found->members;
    record.refused = found->refused;
  } else {
    record.error = std::string(found.status().message());
  }
  RememberDiscovery(std::move(record), seed->generation);
  if (!found.ok()) {
    telemetry_.CountDiscovery(module.name, /*ok=*/false, 0);
    Log(LogLevel::kWarn, "discovery failed",
        {fields[0], fields[1], {"err", std::string(found.status().message())}});
    // Not 200: Prometheus keeps the targets of its last good refresh.
    const int code =
        found.status().code() == absl::StatusCode::kUnimplemented ? 400 : 503;
    return Text(code,
                absl::StrCat("discovery from ", seed->address,
                             " failed: ", found.status().message(), "\n"));
  }
  telemetry_.CountDiscovery(module.name, /*ok=*/true, found->refused.size());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::string& member : found->refused) {
      if (refused_logged_.size() >= 1024) break;
      if (refused_logged_.insert(module.name + "\n" + member).second) {
        Log(LogLevel::kWarn,
            "discovered member not in the module's allowed_targets: left out",
            {fields[0], fields[1], {"member", member}});
      }
    }
  }
  for (const std::string& unreachable : found->unreachable) {
    Log(LogLevel::kDebug, "discovered member not asked for its members",
        {fields[0], fields[1], {"err", unreachable}});
  }
  if (found->truncated) {
    Log(LogLevel::kWarn, "discovery stopped at the member limit", fields);
  }
  HttpResponse response;
  response.content_type = "application/json";
  response.body = ServiceDiscoveryJson(module, *found);
  return response;
}

void App::RememberDiscovery(DiscoveryRecord record, uint64_t generation) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (generation != config_generation_) return;  // A module since replaced.
  const std::string key = absl::StrCat(record.module, "\n", record.seed);
  discoveries_[key] = std::move(record);
  while (discoveries_.size() > kDiscoveriesKept) {
    auto oldest = discoveries_.begin();
    for (auto it = discoveries_.begin(); it != discoveries_.end(); ++it) {
      if (it->second.when < oldest->second.when) oldest = it;
    }
    discoveries_.erase(oldest);
  }
}

std::vector<DiscoveryRecord> App::Discoveries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<DiscoveryRecord> records;
  for (const auto& [key, record] : discoveries_) records.push_back(record);
  return records;
}

absl::Status App::ReloadConfig() {
  std::function<absl::Status()> reloader;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reloader = reloader_;
  }
  if (!reloader) return absl::UnimplementedError("reload is not available");
  std::lock_guard<std::mutex> one_at_a_time(reload_mutex_);
  return reloader();
}

HttpResponse App::Reload(const HttpRequest&) {
  absl::Status status = ReloadConfig();
  if (absl::IsUnimplemented(status)) {
    return Text(500, absl::StrCat(status.message(), "\n"));
  }
  if (!status.ok()) {
    return Text(500, absl::StrCat("reload failed; the previous configuration "
                                  "keeps serving:\n",
                                  status.message(), "\n"));
  }
  return Text(200, "configuration reloaded\n");
}

HttpResponse App::Ready() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (ready_) return Text(200, "Ready\n");
  return Text(503,
              absl::StrCat("not ready: the last configuration load failed: ",
                           ready_error_, "\n"));
}

}  // namespace dse
