#!/usr/bin/python3
"""The bundled Grafana dashboards: reading them, and checking their conventions.

  python3 dashboards/dashboards.py
      checks every dashboards/*.json and the provisioning files, and prints
      each problem with the dashboard and panel it is in.

The conventions (dashboards/README.md says why):
  - file provisioning works: no `__inputs`/`__requires`, no `${DS_...}`, `id`
    null, a `datasource` variable of type datasource that every panel and
    query uses as `${datasource}`;
  - stable, unique `uid` ("datastore-<file name>"), tags, a description;
  - `cluster_id`, `shard` and `node` variables (as each dashboard needs them)
    from `label_values(...)`; every `$variable` used is defined;
  - every panel has a description and a known unit; no hard-coded range:
    rate()/irate() use `$__rate_interval`, other ranges `$__rate_interval`,
    `$__interval` or `$__range`;
  - links to other dashboards use existing uids.

The end-to-end test (alerts/e2e_test.py) imports this module to run every
variable and panel query against a real Prometheus.
"""

import glob
import json
import os
import re
import sys

import yaml

DASHBOARDS_DIR = os.path.dirname(os.path.abspath(__file__))
PROVISIONING_DIR = os.path.join(DASHBOARDS_DIR, "provisioning")
DATASOURCE_REF = {"type": "prometheus", "uid": "${datasource}"}
UID_PREFIX = "datastore-"
REQUIRED_TAG = "datastore"
# Variables each dashboard must offer, besides `datasource`.
REQUIRED_VARIABLES = {
    "datastore-overview": {"cluster_id"},
    "datastore-cluster": {"cluster_id", "shard", "node"},
}
# Grafana unit ids the dashboards may use (a typo shows as a raw number).
KNOWN_UNITS = {"none", "short", "s", "ms", "bytes", "decbytes", "binBps", "Bps",
               "percentunit", "cps", "ops", "reqps", "dateTimeAsIso"}
GRAFANA_BUILTINS = {"__rate_interval", "__interval", "__interval_ms", "__range",
                    "__range_s", "__range_ms", "__from", "__to", "__value",
                    "__data", "__url_time_range", "__field", "__series",
                    "__name", "__org", "__user", "__dashboard", "timeFilter"}
_VARIABLE_USE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)\]\]")
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(.*),\s*)?(\w+)\s*\)\s*$", re.S)


def dashboard_paths():
    return sorted(glob.glob(os.path.join(DASHBOARDS_DIR, "*.json")))


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def panels(dashboard):
    """Every panel, including those inside (collapsed) rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def query_panels(dashboard):
    return [p for p in panels(dashboard) if p.get("type") != "row"]


def variables(dashboard):
    return dashboard.get("templating", {}).get("list", [])


def variable_query(variable):
    """The query text of a query variable (Grafana stores a string or an object)."""
    query = variable.get("query")
    if isinstance(query, dict):
        query = query.get("query", "")
    return query or variable.get("definition", "")


def parse_label_values(query):
    """label_values(selector, label) -> (selector or None, label); else None."""
    match = _LABEL_VALUES.match(query)
    if not match:
        return None
    selector = match.group(1)
    return (selector.strip() if selector else None), match.group(2)


def used_variables(text):
    return {a or b or c for a, b, c in _VARIABLE_USE.findall(text)}


def regex_escape(value):
    """As Grafana's Prometheus data source escapes a value for =~ (inside a
    double-quoted PromQL string, hence the doubled backslash)."""
    value = value.replace("\\", "\\" * 4)
    return re.sub(r"([$^*{}\[\]'+?.()|])", r"\\\\\1", value)


def format_value(variable, values):
    """The text Grafana substitutes for a variable set to `values` (a list;
    ["$__all"] means All)."""
    options = variable.get("_options", [])
    if values == ["$__all"]:
        if variable.get("allValue"):
            return variable["allValue"]
        values = options
    if not variable.get("multi") and not variable.get("includeAll"):
        return values[0] if values else ""
    escaped = [regex_escape(v) for v in values]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def interpolate(text, substitutions):
    """Replaces $name, ${name}, ${name:format} and [[name]] by substitutions[name]."""
    def replace(match):
        name = match.group(1) or match.group(2) or match.group(3)
        return substitutions.get(name, match.group(0))
    return _VARIABLE_USE.sub(replace, text)


def _matching_paren(text, start):
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return len(text)


def range_problems(expr):
    problems = []
    for match in re.finditer(r"\[([^\]]*)\]", expr):
        if match.group(1) not in ("$__rate_interval", "$__interval", "$__range"):
            problems.append(f"hard-coded range [{match.group(1)}]: use $__rate_interval "
                            "(or $__range for totals over the time range)")
    for match in re.finditer(r"\b(rate|irate)\s*\(", expr):
        inside = expr[match.end() - 1:_matching_paren(expr, match.end() - 1) + 1]
        for window in re.findall(r"\[([^\]]*)\]", inside):
            if window != "$__rate_interval":
                problems.append(f"{match.group(1)}() over [{window}]: use [$__rate_interval]")
    return problems


def check_dashboard(path, dashboard, all_uids):
    problems = []
    name = os.path.basename(path)
    text = json.dumps(dashboard)

    def problem(where, what):
        problems.append(f"{name}: {where}: {what}")

    for key in ("__inputs", "__requires", "__elements"):
        if key in dashboard:
            problem("top level", f"has {key} (an export for sharing; breaks file provisioning)")
    if "${DS_" in text:
        problem("top level", "uses ${DS_...} data source inputs (breaks file provisioning)")
    if dashboard.get("id") is not None:
        problem("top level", "id must be null (Grafana assigns it)")
    expected_uid = UID_PREFIX + os.path.splitext(name)[0]
    if dashboard.get("uid") != expected_uid:
        problem("top level", f"uid {dashboard.get('uid')!r}, expected {expected_uid!r}")
    if REQUIRED_TAG not in dashboard.get("tags", []):
        problem("top level", f"tags must include {REQUIRED_TAG!r}")
    for key in ("title", "description", "schemaVersion"):
        if not dashboard.get(key):
            problem("top level", f"no {key}")

    defined = {v.get("name") for v in variables(dashboard)}
    datasource_variables = [v for v in variables(dashboard) if v.get("name") == "datasource"]
    if not datasource_variables:
        problem("templating", "no `datasource` variable")
    for variable in variables(dashboard):
        where = f"variable {variable.get('name')}"
        if variable.get("name") == "datasource":
            if variable.get("type") != "datasource" or variable.get("query") != "prometheus":
                problem(where, "must be of type datasource with query prometheus")
            continue
        if variable.get("type") != "query":
            problem(where, "must be a query variable")
            continue
        if variable.get("datasource") != DATASOURCE_REF:
            problem(where, f"datasource must be {DATASOURCE_REF}")
        if parse_label_values(variable_query(variable)) is None:
            problem(where, f"query {variable_query(variable)!r} is not label_values(...)")
        if variable.get("refresh") not in (1, 2):
            problem(where, "refresh must be 1 (on load) or 2 (on time range change)")
        if not variable.get("description"):
            problem(where, "no description")
        for use in used_variables(variable_query(variable)) - defined:
            problem(where, f"uses undefined variable ${use}")
    missing = REQUIRED_VARIABLES.get(dashboard.get("uid"), set()) - defined
    if missing:
        problem("templating", f"missing variables {sorted(missing)}")

    ids = [p.get("id") for p in panels(dashboard)]
    if len(ids) != len(set(ids)) or None in ids:
        problem("panels", "panel ids must be set and unique")
    for panel in query_panels(dashboard):
        where = f"panel {panel.get('id')} {panel.get('title')!r}"
        if not panel.get("description"):
            problem(where, "no description")
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if unit not in KNOWN_UNITS:
            problem(where, f"unit {unit!r} is not one of {sorted(KNOWN_UNITS)}")
        for override in panel.get("fieldConfig", {}).get("overrides", []):
            for prop in override.get("properties", []):
                if prop.get("id") == "unit" and prop.get("value") not in KNOWN_UNITS:
                    problem(where, f"override unit {prop.get('value')!r} is unknown")
        if panel.get("datasource") != DATASOURCE_REF:
            problem(where, f"datasource must be {DATASOURCE_REF}")
        grid = panel.get("gridPos", {})
        if not all(k in grid for k in ("h", "w", "x", "y")) or grid["x"] + grid["w"] > 24:
            problem(where, "gridPos must have h, w, x, y within 24 columns")
        targets = panel.get("targets", [])
        if not targets:
            problem(where, "no queries")
        if len({t.get("refId") for t in targets}) != len(targets):
            problem(where, "refIds must be unique")
        for use in used_variables(panel.get("title", "")) - defined - GRAFANA_BUILTINS:
            problem(where, f"title uses undefined variable ${use}")
        for target in targets:
            twhere = f"{where} query {target.get('refId')}"
            if target.get("datasource") != DATASOURCE_REF:
                problem(twhere, f"datasource must be {DATASOURCE_REF}")
            expr = target.get("expr", "")
            if not expr.strip():
                problem(twhere, "empty expr")
            for what in range_problems(expr):
                problem(twhere, what)
            for use in used_variables(expr) - defined - GRAFANA_BUILTINS:
                problem(twhere, f"uses undefined variable ${use}")
    for uid in re.findall(r"/d/([\w-]+)", text):
        if uid not in all_uids:
            problem("links", f"link to unknown dashboard uid {uid!r}")
    return problems


def check_provisioning(dashboards):
    problems = []
    datasource_files = glob.glob(os.path.join(PROVISIONING_DIR, "datasources", "*.yml"))
    dashboard_files = glob.glob(os.path.join(PROVISIONING_DIR, "dashboards", "*.yml"))
    if not datasource_files or not dashboard_files:
        return ["provisioning: needs datasources/*.yml and dashboards/*.yml"]
    def load(path):
        with open(path, encoding="utf-8") as f:
            config = yaml.safe_load(f)
        where = os.path.relpath(path, DASHBOARDS_DIR)
        if config.get("apiVersion") != 1:
            problems.append(f"{where}: apiVersion must be 1")
        return where, config

    for path in datasource_files:
        where, config = load(path)
        for source in config.get("datasources", []):
            if source.get("type") != "prometheus" or not source.get("url") or not source.get("uid"):
                problems.append(f"{where}: data source needs type prometheus, uid and url")
            if not source.get("jsonData", {}).get("timeInterval"):
                problems.append(f"{where}: set jsonData.timeInterval (the scrape interval; "
                                "$__rate_interval depends on it)")
    for path in dashboard_files:
        where, config = load(path)
        for provider in config.get("providers", []):
            if provider.get("type") != "file" or not provider.get("options", {}).get("path"):
                problems.append(f"{where}: provider needs type file and options.path")
    if not dashboards:
        problems.append("no dashboards/*.json")
    return problems


def main():
    paths = dashboard_paths()
    dashboards = [(path, load(path)) for path in paths]
    uids = [d.get("uid") for _, d in dashboards]
    problems = []
    if len(uids) != len(set(uids)):
        problems.append("dashboard uids are not unique")
    for path, dashboard in dashboards:
        problems += check_dashboard(path, dashboard, set(uids))
    problems += check_provisioning(dashboards)
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    if problems:
        return 1
    panel_count = sum(len(query_panels(d)) for _, d in dashboards)
    print(f"{len(dashboards)} dashboards, {panel_count} panels: conventions ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
