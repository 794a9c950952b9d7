#include "exporter/app.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "exporter/metrics.h"

namespace dse {
namespace {

constexpr char kMetricsContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

std::string HtmlEscape(const std::string& text) {
  std::string out;
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

HttpResponse Text(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

}  // namespace

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

App::App(std::string telemetry_path,
         std::vector<std::shared_ptr<Target>> targets)
    : telemetry_path_(std::move(telemetry_path)),
      targets_(std::move(targets)) {}

std::vector<std::shared_ptr<Target>> App::Targets() const {
  std::lock_guard<std::mutex> lock(targets_mutex_);
  return targets_;
}

HttpResponse App::Handle(const HttpRequest& request) {
  const bool read = request.method == "GET" || request.method == "HEAD";
  if (request.path == telemetry_path_ || request.path == "/" ||
      request.path == "/-/healthy") {
    if (!read) {
      HttpResponse response = Text(405, "method not allowed: use GET\n");
      response.headers.emplace_back("Allow", "GET, HEAD");
      return response;
    }
  }
  if (request.path == telemetry_path_) return Metrics(request);
  if (request.path == "/-/healthy") return Text(200, "Healthy\n");
  if (request.path == "/") return LandingPage();
  return Text(404, absl::StrCat("not found: ", request.path, "\n"));
}

HttpResponse App::Metrics(const HttpRequest& request) {
  absl::Time deadline = ScrapeDeadline(
      request.Header("X-Prometheus-Scrape-Timeout-Seconds"), absl::Now());
  std::vector<TargetResult> results = CollectAll(Targets(), deadline);
  HttpResponse response;
  response.content_type = kMetricsContentType;
  response.body = SerializeText(BuildFamilies(results));
  response.compressible = true;
  return response;
}

HttpResponse App::LandingPage() {
  std::string rows;
  for (const auto& target : Targets()) {
    const TargetConfig& config = target->config();
    Target::LastState last = target->last();
    std::string state = "not collected yet";
    std::string detail;
    if (last.ever) {
      state = last.result.up ? "up" : "down";
      detail = last.result.up
                   ? absl::StrCat("cluster ", last.result.model.cluster_id,
                                  ", node ", last.result.model.node,
                                  ", version ", last.result.model.version)
                   : last.result.error;
    }
    absl::StrAppend(&rows, "<tr><td>", HtmlEscape(config.name), "</td><td>",
                    HtmlEscape(config.kind), "</td><td>",
                    HtmlEscape(config.address), "</td><td class=\"",
                    state.substr(0, 4), "\">", HtmlEscape(state), "</td><td>",
                    HtmlEscape(detail), "</td><td>",
                    last.ever ? absl::FormatTime("%Y-%m-%d %H:%M:%S UTC",
                                                 last.when, absl::UTCTimeZone())
                              : std::string("-"),
                    "</td></tr>\n");
  }
  HttpResponse response;
  response.content_type = "text/html; charset=utf-8";
  response.body = absl::StrCat(
      "<!DOCTYPE html>\n<html><head><meta "
      "charset=\"utf-8\"><title>datastore_exporter"
      "</title>\n<style>body{font-family:sans-serif;margin:2em}"
      "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px "
      "8px}"
      ".up{color:#060}.down{color:#a00}</style></head>\n<body>"
      "<h1>datastore_exporter</h1>\n<p>Version ",
      HtmlEscape(ExporterVersion()), " (revision ",
      HtmlEscape(ExporterRevision()), "). Metrics: <a href=\"",
      HtmlEscape(telemetry_path_), "\">", HtmlEscape(telemetry_path_),
      "</a>. State as of the last scrape.</p>\n<table>"
      "<tr><th>target</th><th>kind</th><th>address</th><th>state</th>"
      "<th>detail</th><th>last collected</th></tr>\n",
      rows, "</table></body></html>\n");
  return response;
}

}  // namespace dse
