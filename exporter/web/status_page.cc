#include "exporter/web/status_page.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "exporter/model/model_json.h"
#include "exporter/scrape/metrics.h"
#include "exporter/web/status_assets.h"

namespace dse {
namespace {

using nlohmann::json;

constexpr char kDash[] = "\u2013";

// ---- Derived facts and times ----

std::string HealthClass(int primaries) { return primaries == 1 ? "ok" : "bad"; }

std::string HealthText(int primaries) {
  if (primaries == 0) return "no primary";
  if (primaries == 1) return "1 primary";
  return absl::StrCat(primaries, " primaries");
}

struct Summary {
  size_t clusters = 0;
  size_t shards = 0;
  size_t targets_up = 0;
  size_t targets = 0;
  size_t problem_shards = 0;  // Without exactly one primary.
};

Summary Summarize(const std::vector<ClusterView>& clusters,
                  const std::vector<TargetStatus>& targets) {
  Summary summary;
  summary.clusters = clusters.size();
  for (const ClusterView& cluster : clusters) {
    summary.shards += cluster.shards.size();
    for (const ShardView& shard : cluster.shards) {
      if (shard.primaries != 1) ++summary.problem_shards;
    }
  }
  summary.targets = targets.size();
  for (const TargetStatus& target : targets) {
    if (target.result.up) ++summary.targets_up;
  }
  return summary;
}

std::string Plural(size_t count, const char* one, const char* many) {
  return absl::StrCat(count, " ", count == 1 ? one : many);
}

std::string IsoTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

std::string ClockTime(absl::Time time) {
  return absl::FormatTime("%H:%M:%S UTC", time, absl::UTCTimeZone());
}

// ---- JSON ----

json QuantityJson(const std::string& unit, double value) {
  // Integral values as integers, so that the script shows "1,024", not
  // "1,024.0", and offsets above 2^53 keep their digits in the text.
  json number = value;
  if (std::trunc(value) == value && std::fabs(value) < 9.0e18) {
    number = static_cast<int64_t>(value);
  }
  return json{{"unit", unit}, {"value", std::move(number)}};
}

json NodeJson(const NodeView& view) {
  const TargetResult& result = view.target->result;
  const Shard& shard = *view.shard;
  json lags = json::array();
  for (const Lag& lag : shard.lags) {
    if (std::isfinite(lag.value)) {
      lags.push_back(QuantityJson(lag.unit, lag.value));
    }
  }
  json offset = nullptr;
  if (shard.commit_offset) {
    offset = json{{"unit", shard.commit_offset->unit},
                  {"value", shard.commit_offset->value}};
  }
  return json{
      {"target", view.target->name},
      {"kind", result.kind},
      {"node_id", result.model.node},
      {"version", result.model.version},
      {"role", std::string(RoleName(shard.role))},
      {"role_detail", shard.role_detail},
      {"commit_offset", std::move(offset)},
      {"lags", std::move(lags)},
      {"behind_primary",
       view.behind_primary
           ? QuantityJson(shard.commit_offset->unit, *view.behind_primary)
           : json(nullptr)},
  };
}

json ClusterJson(const ClusterView& cluster) {
  json shards = json::array();
  for (const ShardView& shard : cluster.shards) {
    json nodes = json::array();
    for (const NodeView& node : shard.nodes) nodes.push_back(NodeJson(node));
    shards.push_back(json{{"id", shard.id},
                          {"primaries", shard.primaries},
                          {"nodes", std::move(nodes)}});
  }
  json unreachable = json::array();
  for (const TargetStatus* target : cluster.unreachable) {
    unreachable.push_back(json{{"target", target->name},
                               {"address", target->address},
                               {"error", target->result.error}});
  }
  return json{{"cluster_id", cluster.cluster_id},
              {"cluster_display_name", cluster.display_name},
              {"shards", std::move(shards)},
              {"unreachable", std::move(unreachable)}};
}

json TargetJson(const TargetStatus& target) {
  const TargetResult& result = target.result;
  return json{
      {"name", target.name},
      {"kind", target.kind},
      {"address", target.address},
      {"up", result.up},
      {"error", result.error},
      {"duration_seconds", result.duration_seconds},
      {"cluster_id",
       result.up ? result.model.cluster_id : target.configured_cluster_id},
      {"node_id", result.up ? result.model.node : std::string()},
  };
}

json DiscoveryJson(const DiscoveryRecord& record) {
  return json{{"module", record.module},   {"kind", record.kind},
              {"seed", record.seed},       {"at", IsoTime(record.when)},
              {"error", record.error},     {"cluster_id", record.cluster_id},
              {"members", record.members}, {"refused", record.refused}};
}

json StatusDocument(const std::vector<TargetStatus>& targets,
                    const std::vector<ClusterView>& clusters, absl::Time now,
                    const std::vector<DiscoveryRecord>& discoveries) {
  json discovery_list = json::array();
  for (const DiscoveryRecord& record : discoveries) {
    discovery_list.push_back(DiscoveryJson(record));
  }
  json cluster_list = json::array();
  for (const ClusterView& cluster : clusters) {
    cluster_list.push_back(ClusterJson(cluster));
  }
  json target_list = json::array();
  for (const TargetStatus& target : targets) {
    target_list.push_back(TargetJson(target));
  }
  return json{
      {"generated_at", IsoTime(now)},
      {"exporter",
       json{{"version", ExporterVersion()}, {"revision", ExporterRevision()}}},
      {"clusters", std::move(cluster_list)},
      {"targets", std::move(target_list)},
      {"discoveries", std::move(discovery_list)},
  };
}

// ---- HTML: one renderer, for the page and for its fragment ----

std::string Esc(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string GroupDigits(absl::string_view digits) {
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// "1,234.5": digits grouped by three, at most three decimals, no trailing
// zeros (as JavaScript's toLocaleString("en-US") shows a number).
std::string FormatNumber(double value) {
  std::string text = absl::StrFormat("%.3f", std::fabs(value));
  absl::string_view view(text);
  while (!view.empty() && view.back() == '0') view.remove_suffix(1);
  if (!view.empty() && view.back() == '.') view.remove_suffix(1);
  size_t dot = view.find('.');
  std::string whole(view.substr(0, dot));
  std::string out =
      absl::StrCat(value < 0 && view != "0" ? "-" : "", GroupDigits(whole));
  if (dot != absl::string_view::npos) absl::StrAppend(&out, view.substr(dot));
  return out;
}

std::string Quantity(const std::string& unit, const std::string& number) {
  return absl::StrCat(number, " ", unit == "seconds" ? "s" : unit);
}

std::string RoleBadge(Role role, const std::string& detail) {
  std::string name(RoleName(role));
  std::string text = name;
  if (role == Role::kUnknown && !detail.empty()) {
    text = absl::StrCat(name, " (", detail, ")");
  }
  return absl::StrCat("<span class=\"role role-", name, "\">", Esc(text),
                      "</span>");
}

std::string NodeRowHtml(const NodeView& view) {
  const TargetResult& result = view.target->result;
  const Shard& shard = *view.shard;
  std::string offset = kDash;
  if (shard.commit_offset) {
    offset = Quantity(shard.commit_offset->unit,
                      GroupDigits(std::to_string(shard.commit_offset->value)));
  }
  std::string behind = kDash;
  if (view.behind_primary) {
    behind =
        Quantity(shard.commit_offset->unit, FormatNumber(*view.behind_primary));
  }
  std::vector<std::string> lags;
  for (const Lag& lag : shard.lags) {
    if (std::isfinite(lag.value)) {
      lags.push_back(Quantity(lag.unit, FormatNumber(lag.value)));
    }
  }
  return absl::StrCat("<tr data-target=\"", Esc(view.target->name),
                      "\" data-node=\"", Esc(result.model.node),
                      "\" data-role=\"", std::string(RoleName(shard.role)),
                      "\"><td class=\"node\">", Esc(result.model.node),
                      "</td><td>", RoleBadge(shard.role, shard.role_detail),
                      "</td><td class=\"num\">", Esc(offset),
                      "</td><td class=\"num\">", Esc(behind),
                      "</td><td class=\"num\">",
                      lags.empty() ? kDash : Esc(absl::StrJoin(lags, ", ")),
                      "</td><td>", Esc(view.target->name), "</td><td>",
                      Esc(result.model.version), "</td></tr>");
}

std::string ClusterHtml(const ClusterView& cluster) {
  std::string out = absl::StrCat("<article class=\"cluster\" data-cluster=\"",
                                 Esc(cluster.cluster_id), "\"><h2>");
  if (cluster.display_name.empty()) {
    absl::StrAppend(&out, Esc(cluster.cluster_id));
  } else {
    absl::StrAppend(&out, Esc(cluster.display_name), " <small>cluster ",
                    Esc(cluster.cluster_id), "</small>");
  }
  absl::StrAppend(&out, "</h2>");
  for (const ShardView& shard : cluster.shards) {
    absl::StrAppend(
        &out, "<section class=\"shard\" data-shard=\"", Esc(shard.id),
        "\"><h3>Shard <code>", Esc(shard.id), "</code> <span class=\"health ",
        HealthClass(shard.primaries), "\">", HealthText(shard.primaries),
        "</span></h3><table><thead><tr><th>Node</th><th>Role</th>"
        "<th class=\"num\">Commit offset</th><th class=\"num\">Behind "
        "primary</th><th class=\"num\">Lag</th><th>Target</th>"
        "<th>Version</th></tr></thead><tbody>");
    for (const NodeView& node : shard.nodes) {
      absl::StrAppend(&out, NodeRowHtml(node));
    }
    absl::StrAppend(&out, "</tbody></table></section>");
  }
  if (!cluster.unreachable.empty()) {
    absl::StrAppend(&out, "<ul class=\"unreachable\">");
    for (const TargetStatus* target : cluster.unreachable) {
      absl::StrAppend(&out, "<li data-target=\"", Esc(target->name),
                      "\"><span class=\"role role-down\">down</span> <b>",
                      Esc(target->name), "</b> (", Esc(target->address),
                      "): <span class=\"error\">", Esc(target->result.error),
                      "</span></li>");
    }
    absl::StrAppend(&out, "</ul>");
  }
  absl::StrAppend(&out, "</article>");
  return out;
}

std::string TargetRowHtml(const TargetStatus& target) {
  const TargetResult& result = target.result;
  const char* state = result.up ? "up" : "down";
  return absl::StrCat(
      "<tr data-target=\"", Esc(target.name), "\" data-state=\"", state,
      "\"><td>", Esc(target.name), "</td><td>", Esc(target.kind), "</td><td>",
      Esc(target.address), "</td><td><span class=\"state state-", state, "\">",
      state, "</span></td><td>",
      result.up ? Esc(result.model.node) : std::string(kDash),
      "</td><td class=\"num\">",
      absl::StrFormat("%.1f ms", result.duration_seconds * 1000),
      "</td><td class=\"error\">", Esc(result.error), "</td></tr>");
}

// The clusters /sd found recently, with the seed each came from; nothing
// when /sd was not used.
std::string DiscoveriesHtml(const std::vector<DiscoveryRecord>& discoveries) {
  if (discoveries.empty()) return "";
  std::string rows;
  for (const DiscoveryRecord& record : discoveries) {
    const bool ok = record.error.empty();
    std::string members;
    for (const std::string& member : record.members) {
      absl::StrAppend(&members, members.empty() ? "" : " ", "<code>",
                      Esc(member), "</code>");
    }
    std::string refused;
    for (const std::string& member : record.refused) {
      absl::StrAppend(&refused, refused.empty() ? "" : " ", "<code>",
                      Esc(member), "</code>");
    }
    absl::StrAppend(
        &rows, "<tr data-module=\"", Esc(record.module), "\" data-seed=\"",
        Esc(record.seed), "\"><td>", Esc(record.module), "</td><td>",
        Esc(record.kind), "</td><td><code>", Esc(record.seed),
        "</code></td><td><span class=\"state state-", ok ? "up" : "down", "\">",
        ok ? "found" : "failed", "</span></td><td>",
        ok ? Esc(record.cluster_id) : std::string(kDash), "</td><td>",
        ok ? members : std::string(kDash), "</td><td>",
        refused.empty() ? std::string(kDash) : refused, "</td><td>",
        ClockTime(record.when), "</td><td class=\"error\">", Esc(record.error),
        "</td></tr>");
  }
  return absl::StrCat(
      "<section><h2 class=\"section\">Discovered clusters (<code>/sd</code>)"
      "</h2><table><thead><tr><th>Module</th><th>Kind</th><th>Seed</th>"
      "<th>State</th><th>Cluster</th><th>Members</th><th>Left out (not "
      "allowed)</th><th>Asked</th><th>Error</th></tr></thead><tbody>",
      rows, "</tbody></table></section>");
}

std::string SummaryHtml(const Summary& summary) {
  std::string out =
      absl::StrCat(Plural(summary.clusters, "cluster", "clusters"), " \u00b7 ",
                   Plural(summary.shards, "shard", "shards"), " \u00b7 ",
                   summary.targets_up, " of ", summary.targets, " targets up");
  if (summary.problem_shards > 0) {
    absl::StrAppend(&out, " <span class=\"health bad\">",
                    Plural(summary.problem_shards, "shard", "shards"),
                    " without exactly one primary</span>");
  }
  if (summary.targets_up < summary.targets) {
    absl::StrAppend(
        &out, " <span class=\"health bad\">",
        Plural(summary.targets - summary.targets_up, "target", "targets"),
        " down</span>");
  }
  return out;
}

// The parts of the page that change between refreshes, each named by the id
// of the element that holds it in status.html (where `{{id}}` marks its
// place) and in the fragment.
struct LivePart {
  const char* id;
  std::string html;
};

std::vector<LivePart> LiveParts(
    const std::vector<TargetStatus>& targets,
    const std::vector<DiscoveryRecord>& discoveries) {
  std::vector<ClusterView> clusters = BuildClusterViews(targets);
  std::string cluster_html;
  for (const ClusterView& cluster : clusters) {
    absl::StrAppend(&cluster_html, ClusterHtml(cluster));
  }
  if (clusters.empty()) {
    cluster_html = "<p class=\"empty\">No cluster reported yet.</p>";
  }
  std::string target_rows;
  for (const TargetStatus& target : targets) {
    absl::StrAppend(&target_rows, TargetRowHtml(target));
  }
  return {{"summary", SummaryHtml(Summarize(clusters, targets))},
          {"clusters", std::move(cluster_html)},
          {"targets", std::move(target_rows)},
          {"discoveries", DiscoveriesHtml(discoveries)}};
}

// The page or its fragment, with the headers both need.
HttpResponse HtmlResponse(std::string body) {
  HttpResponse response;
  response.content_type = "text/html; charset=utf-8";
  response.body = std::move(body);
  response.compressible = true;
  response.headers.emplace_back("Cache-Control", "no-store");
  // Everything the page needs is inline or same-origin; nothing else loads,
  // whatever ended up in the markup.
  response.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'unsafe-inline'; "
      "style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; "
      "form-action 'none'; frame-ancestors 'none'");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

}  // namespace

std::vector<ClusterView> BuildClusterViews(
    const std::vector<TargetStatus>& targets) {
  // Ordered maps give the stable order the page needs between polls.
  std::map<std::string, ClusterView> clusters;
  std::map<std::string, std::map<std::string, ShardView>> shards;
  for (const TargetStatus& target : targets) {
    const TargetResult& result = target.result;
    if (!result.up) {
      if (target.configured_cluster_id.empty()) continue;
      ClusterView& cluster = clusters[target.configured_cluster_id];
      cluster.cluster_id = target.configured_cluster_id;
      cluster.unreachable.push_back(&target);
      continue;
    }
    ClusterView& cluster = clusters[result.model.cluster_id];
    cluster.cluster_id = result.model.cluster_id;
    if (cluster.display_name.empty()) {
      cluster.display_name = result.model.cluster_display_name;
    }
    for (const Shard& shard : result.model.shards) {
      ShardView& view = shards[result.model.cluster_id][shard.id];
      view.id = shard.id;
      view.nodes.push_back(NodeView{&target, &shard, std::nullopt});
      if (shard.role == Role::kPrimary) ++view.primaries;
    }
  }
  std::vector<ClusterView> out;
  for (auto& [id, cluster] : clusters) {
    for (auto& [shard_id, shard] : shards[id]) {
      std::stable_sort(shard.nodes.begin(), shard.nodes.end(),
                       [](const NodeView& a, const NodeView& b) {
                         bool a_primary = a.shard->role == Role::kPrimary;
                         bool b_primary = b.shard->role == Role::kPrimary;
                         if (a_primary != b_primary) return a_primary;
                         return a.target->result.model.node <
                                b.target->result.model.node;
                       });
      const NodeView& first = shard.nodes.front();
      if (shard.primaries == 1 && first.shard->commit_offset) {
        const CommitOffset& primary = *first.shard->commit_offset;
        for (size_t i = 1; i < shard.nodes.size(); ++i) {
          const auto& offset = shard.nodes[i].shard->commit_offset;
          if (offset && offset->unit == primary.unit) {
            shard.nodes[i].behind_primary = static_cast<double>(primary.value) -
                                            static_cast<double>(offset->value);
          }
        }
      }
      cluster.shards.push_back(std::move(shard));
    }
    out.push_back(std::move(cluster));
  }
  return out;
}

std::string StatusJson(const std::vector<TargetStatus>& targets, absl::Time now,
                       const std::vector<DiscoveryRecord>& discoveries) {
  return DumpJson(
      StatusDocument(targets, BuildClusterViews(targets), now, discoveries));
}

std::string StatusPageHtml(const std::vector<TargetStatus>& targets,
                           absl::Time now, const StatusPageOptions& options,
                           const std::vector<DiscoveryRecord>& discoveries) {
  std::vector<std::pair<std::string, std::string>> fills = {
      {"{{style}}", std::string(embedded::kStatusCss)},
      {"{{script}}", std::string(embedded::kStatusJs)},
      {"{{refresh}}", absl::StrCat(options.refresh_seconds)},
      {"{{noscript_refresh}}",
       absl::StrCat(std::max(options.refresh_seconds, 5))},
      {"{{version}}", Esc(ExporterVersion())},
      {"{{revision}}", Esc(ExporterRevision())},
      {"{{telemetry_path}}", Esc(options.telemetry_path)},
      {"{{generated_at}}", IsoTime(now)},
      {"{{clock}}", ClockTime(now)},
  };
  for (LivePart& part : LiveParts(targets, discoveries)) {
    fills.emplace_back(absl::StrCat("{{", part.id, "}}"), std::move(part.html));
  }
  // One pass: what a fill brings in is never searched for placeholders.
  return absl::StrReplaceAll(absl::string_view(embedded::kStatusHtml.data(),
                                               embedded::kStatusHtml.size()),
                             fills);
}

std::string StatusFragmentHtml(
    const std::vector<TargetStatus>& targets, absl::Time now,
    const std::vector<DiscoveryRecord>& discoveries) {
  std::string out =
      absl::StrCat("<body data-generated-at=\"", IsoTime(now), "\">");
  for (const LivePart& part : LiveParts(targets, discoveries)) {
    absl::StrAppend(&out, "<template id=\"", part.id, "\">", part.html,
                    "</template>");
  }
  absl::StrAppend(&out, "</body>\n");
  return out;
}

std::vector<TargetStatus> CollectStatus(
    const std::vector<std::shared_ptr<Target>>& targets, absl::Time deadline) {
  std::vector<TargetResult> results = CollectAll(targets, deadline);
  std::vector<TargetStatus> statuses;
  for (size_t i = 0; i < targets.size(); ++i) {
    const TargetConfig& config = targets[i]->config();
    statuses.push_back(TargetStatus{config.name, config.kind, config.address,
                                    config.cluster_id, std::move(results[i])});
  }
  return statuses;
}

HttpResponse ServeStatusPage(
    const HttpRequest& request,
    const std::vector<std::shared_ptr<Target>>& targets, absl::Time deadline,
    const std::string& telemetry_path,
    const std::vector<DiscoveryRecord>& discoveries) {
  StatusPageOptions options;
  options.telemetry_path = telemetry_path;
  int refresh = 0;
  if (absl::SimpleAtoi(request.QueryParameter("refresh"), &refresh) &&
      refresh >= 1 && refresh <= 3600) {
    options.refresh_seconds = refresh;
  }
  std::vector<TargetStatus> statuses = CollectStatus(targets, deadline);
  if (request.QueryParameter("fragment") == "1") {
    return HtmlResponse(StatusFragmentHtml(statuses, absl::Now(), discoveries));
  }
  return HtmlResponse(
      StatusPageHtml(statuses, absl::Now(), options, discoveries));
}

HttpResponse ServeStatusJson(
    const std::vector<std::shared_ptr<Target>>& targets, absl::Time deadline,
    const std::vector<DiscoveryRecord>& discoveries) {
  HttpResponse response;
  response.content_type = "application/json";
  response.body =
      StatusJson(CollectStatus(targets, deadline), absl::Now(), discoveries);
  response.compressible = true;
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

}  // namespace dse
