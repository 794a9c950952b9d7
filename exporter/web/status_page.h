// The live status page (`/`) and its JSON (`/api/status`).
//
// The server renders the page: it is complete without JavaScript (every
// cluster, shard and target). With JavaScript it refreshes in place from a
// fragment the server renders with the same code (`/?fragment=1`), and lists
// the role and state changes it has seen. Its HTML, CSS and script are the
// files in status/, compiled in: the page needs no other asset.
#ifndef DATASTORE_EXPORTER_EXPORTER_WEB_STATUS_PAGE_H_
#define DATASTORE_EXPORTER_EXPORTER_WEB_STATUS_PAGE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "exporter/model/model.h"
#include "exporter/scrape/metrics.h"
#include "exporter/scrape/scrape.h"
#include "exporter/web/http_server.h"

namespace dse {

// One configured target and the outcome of collecting it.
struct TargetStatus {
  std::string name;
  std::string kind;
  std::string address;
  std::string configured_cluster_id;  // "" when the kind gives its own.
  TargetResult result;
};

// The last /sd answer for one module and seed (App keeps the recent ones).
struct DiscoveryRecord {
  std::string module;
  std::string kind;
  std::string seed;
  absl::Time when;
  std::string error;  // Empty when the discovery succeeded.
  std::string cluster_id;
  std::vector<std::string> members;  // Listed: the seed first.
  std::vector<std::string> refused;  // Left out: not allowed.
};

// What the page shows, derived once from the statuses and rendered as HTML
// (the page and its fragment) or as JSON (/api/status).
struct NodeView {
  const TargetStatus* target = nullptr;
  const Shard* shard = nullptr;
  // Primary's commit offset minus this node's, when the shard has exactly
  // one primary and both offsets share a unit. Absent for the primary.
  std::optional<double> behind_primary;
};

struct ShardView {
  std::string id;
  std::vector<NodeView> nodes;  // Primaries first, then by node name.
  int primaries = 0;
};

struct ClusterView {
  std::string cluster_id;
  std::string display_name;  // The first non-empty one of its nodes.
  std::vector<ShardView> shards;
  // Down targets configured with this cluster ID.
  std::vector<const TargetStatus*> unreachable;
};

// Groups the up targets' models by cluster and shard (sorted by ID). The
// views point into `targets`, which must outlive them.
std::vector<ClusterView> BuildClusterViews(
    const std::vector<TargetStatus>& targets);

std::string StatusJson(const std::vector<TargetStatus>& targets, absl::Time now,
                       const std::vector<DiscoveryRecord>& discoveries = {});

struct StatusPageOptions {
  std::string telemetry_path = "/metrics";
  int refresh_seconds = 5;  // The script's polling interval.
};

// The whole page: status/status.html with its placeholders filled.
std::string StatusPageHtml(
    const std::vector<TargetStatus>& targets, absl::Time now,
    const StatusPageOptions& options,
    const std::vector<DiscoveryRecord>& discoveries = {});

// The page's live parts (summary, clusters, target rows), as the page has
// them, each in a <template> with the id of its element in the page, inside
// a <body> that carries the time of the collection (data-generated-at).
std::string StatusFragmentHtml(
    const std::vector<TargetStatus>& targets, absl::Time now,
    const std::vector<DiscoveryRecord>& discoveries = {});

// Collects every target now, concurrently (as /metrics does).
std::vector<TargetStatus> CollectStatus(
    const std::vector<std::shared_ptr<Target>>& targets, absl::Time deadline);

// GET /: the page; `?refresh=SECONDS` (1 to 3600) sets the polling interval.
// GET /?fragment=1: its live parts only (StatusFragmentHtml), for the script.
HttpResponse ServeStatusPage(
    const HttpRequest& request,
    const std::vector<std::shared_ptr<Target>>& targets, absl::Time deadline,
    const std::string& telemetry_path,
    const std::vector<DiscoveryRecord>& discoveries = {});

// GET /api/status: every target, its state, error and model.
HttpResponse ServeStatusJson(
    const std::vector<std::shared_ptr<Target>>& targets, absl::Time deadline,
    const std::vector<DiscoveryRecord>& discoveries = {});

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_WEB_STATUS_PAGE_H_
