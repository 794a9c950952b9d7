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

namespace dse {
namespace {

using nlohmann::json;

constexpr char kDash[] = "\u2013";

// ---- Derived facts, shared by the JSON and the HTML ----

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

json StatusDocument(const std::vector<TargetStatus>& targets,
                    const std::vector<ClusterView>& clusters, absl::Time now) {
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
  };
}

// ---- HTML ----

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

// As the script's toLocaleString("en-US", {maximumFractionDigits: 3}).
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

// JSON inside <script>: "<" never appears raw, so neither "</script>" nor
// "<!--" can end or change the script element.
std::string ScriptSafe(const std::string& json_text) {
  return absl::StrReplaceAll(
      json_text, {{"<", "\\u003c"}, {">", "\\u003e"}, {"&", "\\u0026"}});
}

constexpr char kStyle[] = R"css(
:root{--fg:#1d2330;--muted:#5b6675;--line:#dfe4ea;--bg:#f4f6f9;--card:#fff;
--primary:#1f6feb;--secondary:#4b5563;--recovering:#b45309;--unknown:#7c3aed;
--ok:#15803d;--bad:#c81e1e}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.3em 1.2em;
padding:.7em 1.5em;background:#1d2330;color:#e6edf3}
header h1{font-size:1.15em;margin:0}
header a{color:#9ecbff}
#updated{margin-left:auto;font-variant-numeric:tabular-nums}
#updated.live::before{content:"\25cf";color:#3fb950;margin-right:.35em}
#updated.stale::before{content:"\25cf";color:#f85149;margin-right:.35em}
main{padding:1em 1.5em;max-width:1280px}
#summary{margin:.2em 0 1em;font-size:1.05em}
h2.section{font-size:1.05em;margin:1.4em 0 .5em}
.cluster{background:var(--card);border:1px solid var(--line);border-radius:8px;
margin:0 0 1em;padding:.7em 1em .4em}
.cluster h2{margin:0 0 .3em;font-size:1.15em}
.cluster h2 small{color:var(--muted);font-weight:400;font-size:.8em;margin-left:.4em}
.shard h3{font-size:.95em;margin:.7em 0 .3em;font-weight:600}
table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{text-align:left;padding:.35em .6em;border-bottom:1px solid var(--line);
vertical-align:middle}
th{font-size:.75em;text-transform:uppercase;letter-spacing:.03em;
color:var(--muted);font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.node,code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.92em}
.role,.state,.health{display:inline-block;padding:.05em .6em;border-radius:999px;
font-size:.82em;font-weight:600;color:#fff;white-space:nowrap}
.role-primary{background:var(--primary)}
.role-secondary{background:var(--secondary)}
.role-recovering{background:var(--recovering)}
.role-unknown{background:var(--unknown)}
.role-down,.state-down,.health.bad{background:var(--bad)}
.state-up,.health.ok{background:var(--ok)}
.error{color:var(--bad);font-family:ui-monospace,"DejaVu Sans Mono",monospace;
font-size:.9em;word-break:break-word}
ul.unreachable{list-style:none;padding:0;margin:.6em 0}
ul.unreachable li{margin:.2em 0}
#targets-section table{border:1px solid var(--line);border-radius:8px}
#changes ol{list-style:none;padding:0;margin:0;background:var(--card);
border:1px solid var(--line);border-radius:8px}
#changes li{padding:.3em .8em;border-bottom:1px solid var(--line)}
#changes time{color:var(--muted);font-variant-numeric:tabular-nums;margin-right:.8em}
.empty{color:var(--muted)}
)css";

// Renders /api/status exactly as the server renders the first paint; builds
// DOM nodes (never HTML strings), so nothing a datastore reports can become
// markup.
constexpr char kScript[] = R"js(
(function () {
  'use strict';
  var DASH = '\u2013', ARROW = ' \u2192 ';
  var body = document.body;
  var refreshMs = Math.max(1, Number(body.getAttribute('data-refresh')) || 5) * 1000;
  var updated = document.getElementById('updated');
  var polls = 0, previous = null, lastGood = updated.textContent, changes = [];

  function h(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      node.setAttribute(key, attrs[key]);
    });
    for (var i = 2; i < arguments.length; i++) add(node, arguments[i]);
    return node;
  }
  function add(node, child) {
    if (child === null || child === undefined) return;
    if (Array.isArray(child)) return child.forEach(function (c) { add(node, c); });
    node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  function num(value) {
    return Number(value).toLocaleString('en-US', {maximumFractionDigits: 3});
  }
  function quantity(q) {
    return q ? num(q.value) + ' ' + (q.unit === 'seconds' ? 's' : q.unit) : DASH;
  }
  function clock(iso) { return iso.substr(11, 8) + ' UTC'; }
  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }
  function badge(role, detail) {
    var text = role === 'unknown' && detail ? role + ' (' + detail + ')' : role;
    return h('span', {'class': 'role role-' + role}, text);
  }
  function health(primaries) {
    var text = primaries === 0 ? 'no primary' :
        primaries === 1 ? '1 primary' : primaries + ' primaries';
    return h('span', {'class': 'health ' + (primaries === 1 ? 'ok' : 'bad')}, text);
  }

  function nodeRow(n) {
    var lags = n.lags.map(quantity).join(', ');
    return h('tr', {'data-target': n.target, 'data-node': n.node_id, 'data-role': n.role},
      h('td', {'class': 'node'}, n.node_id),
      h('td', {}, badge(n.role, n.role_detail)),
      h('td', {'class': 'num'}, n.commit_offset ? quantity(n.commit_offset) : DASH),
      h('td', {'class': 'num'}, quantity(n.behind_primary)),
      h('td', {'class': 'num'}, lags || DASH),
      h('td', {}, n.target),
      h('td', {}, n.version));
  }
  function cluster(c) {
    var title = c.cluster_display_name ?
        [c.cluster_display_name + ' ', h('small', {}, 'cluster ' + c.cluster_id)] :
        c.cluster_id;
    var shards = c.shards.map(function (s) {
      return h('section', {'class': 'shard', 'data-shard': s.id},
        h('h3', {}, 'Shard ', h('code', {}, s.id), ' ', health(s.primaries)),
        h('table', {},
          h('thead', {}, h('tr', {},
            h('th', {}, 'Node'), h('th', {}, 'Role'),
            h('th', {'class': 'num'}, 'Commit offset'),
            h('th', {'class': 'num'}, 'Behind primary'),
            h('th', {'class': 'num'}, 'Lag'),
            h('th', {}, 'Target'), h('th', {}, 'Version'))),
          h('tbody', {}, s.nodes.map(nodeRow))));
    });
    var down = c.unreachable.length === 0 ? null :
      h('ul', {'class': 'unreachable'}, c.unreachable.map(function (u) {
        return h('li', {'data-target': u.target},
          h('span', {'class': 'role role-down'}, 'down'), ' ',
          h('b', {}, u.target), ' (' + u.address + '): ',
          h('span', {'class': 'error'}, u.error));
      }));
    return h('article', {'class': 'cluster', 'data-cluster': c.cluster_id},
      h('h2', {}, title), shards, down);
  }
  function targetRow(t) {
    var state = t.up ? 'up' : 'down';
    return h('tr', {'data-target': t.name, 'data-state': state},
      h('td', {}, t.name), h('td', {}, t.kind), h('td', {}, t.address),
      h('td', {}, h('span', {'class': 'state state-' + state}, state)),
      h('td', {}, t.up ? t.node_id : DASH),
      h('td', {'class': 'num'}, (t.duration_seconds * 1000).toFixed(1) + ' ms'),
      h('td', {'class': 'error'}, t.error));
  }
  function summary(status) {
    var shards = 0, problems = 0, up = 0;
    status.clusters.forEach(function (c) {
      shards += c.shards.length;
      c.shards.forEach(function (s) { if (s.primaries !== 1) problems++; });
    });
    status.targets.forEach(function (t) { if (t.up) up++; });
    var out = [plural(status.clusters.length, 'cluster', 'clusters') + ' \u00b7 ' +
      plural(shards, 'shard', 'shards') + ' \u00b7 ' + up + ' of ' +
      status.targets.length + ' targets up'];
    if (problems > 0) out.push(' ', h('span', {'class': 'health bad'},
      plural(problems, 'shard', 'shards') + ' without exactly one primary'));
    if (up < status.targets.length) out.push(' ', h('span', {'class': 'health bad'},
      plural(status.targets.length - up, 'target', 'targets') + ' down'));
    return out;
  }
  function render(status) {
    var line = document.getElementById('summary');
    line.replaceChildren.apply(line, summary(status));
    var clusters = document.getElementById('clusters');
    clusters.replaceChildren.apply(clusters, status.clusters.length ?
      status.clusters.map(cluster) :
      [h('p', {'class': 'empty'}, 'No cluster reported yet.')]);
    var rows = document.getElementById('targets');
    rows.replaceChildren.apply(rows, status.targets.map(targetRow));
  }

  // What changed between two polls: roles per cluster, shard and node, and
  // target states. Kept for this page's lifetime (newest first).
  function snapshot(status) {
    var roles = {}, states = {};
    status.clusters.forEach(function (c) {
      c.shards.forEach(function (s) {
        s.nodes.forEach(function (n) {
          roles[JSON.stringify([c.cluster_id, s.id, n.target])] =
            {cluster: c.cluster_id, shard: s.id, node: n.node_id, role: n.role};
        });
      });
    });
    status.targets.forEach(function (t) { states[t.name] = t; });
    return {roles: roles, states: states};
  }
  function note(when, text) {
    changes.unshift({when: when, text: text});
    changes.length = Math.min(changes.length, 50);
    var section = document.getElementById('changes');
    section.hidden = false;
    var list = section.querySelector('ol');
    list.replaceChildren.apply(list, changes.map(function (c) {
      return h('li', {}, h('time', {}, clock(c.when)), c.text);
    }));
  }
  function compare(before, after, when) {
    Object.keys(after.states).forEach(function (name) {
      var a = after.states[name], b = before.states[name];
      if (b && a.up !== b.up) {
        note(when, 'target ' + name + ': ' + (b.up ? 'up' : 'down') + ARROW +
          (a.up ? 'up' : 'down (' + a.error + ')'));
      }
    });
    Object.keys(after.roles).forEach(function (key) {
      var a = after.roles[key], b = before.roles[key];
      if (b && a.role !== b.role) {
        note(when, a.cluster + ' / shard ' + a.shard + ': ' + a.node + ' ' +
          b.role + ARROW + a.role);
      }
    });
  }

  function poll() {
    fetch('api/status', {cache: 'no-store', headers: {'Accept': 'application/json'}})
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(function (status) {
        var current = snapshot(status);
        compare(previous, current, status.generated_at);
        previous = current;
        render(status);
        polls++;
        lastGood = 'updated ' + clock(status.generated_at);
        updated.textContent = lastGood;
        updated.className = 'live';
        updated.setAttribute('data-polls', String(polls));
        updated.setAttribute('data-generated-at', status.generated_at);
      }, function (error) {
        updated.textContent = 'not updating (' + error.message + '); ' + lastGood;
        updated.className = 'stale';
      })
      .then(function () { setTimeout(poll, refreshMs); });
  }

  previous = snapshot(JSON.parse(document.getElementById('status-data').textContent));
  updated.className = 'live';
  updated.title = 'refreshed every ' + refreshMs / 1000 + ' s';
  setTimeout(poll, refreshMs);
})();
)js";

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

std::string StatusJson(const std::vector<TargetStatus>& targets,
                       absl::Time now) {
  return DumpJson(StatusDocument(targets, BuildClusterViews(targets), now));
}

std::string StatusPageHtml(const std::vector<TargetStatus>& targets,
                           absl::Time now, const StatusPageOptions& options) {
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
  const std::string metrics = Esc(options.telemetry_path);
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<title>datastore_exporter</title>"
      "<noscript><meta http-equiv=\"refresh\" content=\"",
      std::max(options.refresh_seconds, 5), "\"></noscript><style>", kStyle,
      "</style></head>\n<body data-refresh=\"", options.refresh_seconds,
      "\"><header><h1>datastore_exporter</h1><span>version ",
      Esc(ExporterVersion()), " (", Esc(ExporterRevision()),
      ")</span><span><a href=\"", metrics, "\">", metrics,
      "</a> \u00b7 <a href=\"api/status\">status JSON</a></span>"
      "<span id=\"updated\" data-polls=\"0\" data-generated-at=\"",
      IsoTime(now), "\">updated ", ClockTime(now),
      "</span></header>\n<main><p id=\"summary\">",
      SummaryHtml(Summarize(clusters, targets)), "</p>\n<div id=\"clusters\">",
      cluster_html,
      "</div>\n<section id=\"changes\" hidden><h2 class=\"section\">Changes "
      "seen by this page</h2><ol></ol></section>\n"
      "<section id=\"targets-section\"><h2 class=\"section\">Targets</h2>"
      "<table><thead><tr><th>Target</th><th>Kind</th><th>Address</th>"
      "<th>State</th><th>Node</th><th class=\"num\">Collection</th>"
      "<th>Error</th></tr></thead><tbody id=\"targets\">",
      target_rows,
      "</tbody></table></section></main>\n"
      "<script id=\"status-data\" type=\"application/json\">",
      ScriptSafe(DumpJson(StatusDocument(targets, clusters, now))),
      "</script>\n<script>", kScript, "</script></body></html>\n");
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
    const std::string& telemetry_path) {
  StatusPageOptions options;
  options.telemetry_path = telemetry_path;
  int refresh = 0;
  if (absl::SimpleAtoi(request.QueryParameter("refresh"), &refresh) &&
      refresh >= 1 && refresh <= 3600) {
    options.refresh_seconds = refresh;
  }
  HttpResponse response;
  response.content_type = "text/html; charset=utf-8";
  response.body =
      StatusPageHtml(CollectStatus(targets, deadline), absl::Now(), options);
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

HttpResponse ServeStatusJson(
    const std::vector<std::shared_ptr<Target>>& targets, absl::Time deadline) {
  HttpResponse response;
  response.content_type = "application/json";
  response.body = StatusJson(CollectStatus(targets, deadline), absl::Now());
  response.compressible = true;
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

}  // namespace dse
