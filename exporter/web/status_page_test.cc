#include "exporter/web/status_page.h"

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dse {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TargetStatus Node(const std::string& name, Role role, uint64_t offset,
                  const std::string& cluster = "cache") {
  TargetStatus status;
  status.name = name;
  status.kind = "redis";
  status.address = "10.0.0.1:6379";
  status.configured_cluster_id = cluster;
  status.result.target = name;
  status.result.kind = "redis";
  status.result.up = true;
  status.result.duration_seconds = 0.0012;
  status.result.model.cluster_id = cluster;
  status.result.model.node = name + "-node";
  status.result.model.version = "7.0.15";
  Shard shard;
  shard.id = cluster;
  shard.role = role;
  shard.commit_offset = CommitOffset{"bytes", offset};
  status.result.model.shards.push_back(shard);
  return status;
}

TargetStatus Down(const std::string& name, const std::string& error) {
  TargetStatus status;
  status.name = name;
  status.kind = "redis";
  status.address = "10.0.0.9:6379";
  status.configured_cluster_id = "cache";
  status.result.target = name;
  status.result.kind = "redis";
  status.result.error = error;
  return status;
}

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

TEST(BuildClusterViews, GroupsByClusterAndShardPrimaryFirst) {
  std::vector<TargetStatus> targets = {
      Node("b", Role::kSecondary, 900), Node("a", Role::kPrimary, 1000),
      Node("c", Role::kSecondary, 1000), Node("z", Role::kPrimary, 5, "other"),
      Down("d", "connect: Connection refused")};
  std::vector<ClusterView> clusters = BuildClusterViews(targets);
  ASSERT_EQ(clusters.size(), 2u);
  EXPECT_EQ(clusters[0].cluster_id, "cache");
  ASSERT_EQ(clusters[0].shards.size(), 1u);
  const ShardView& shard = clusters[0].shards[0];
  EXPECT_EQ(shard.primaries, 1);
  ASSERT_EQ(shard.nodes.size(), 3u);
  EXPECT_EQ(shard.nodes[0].target->name, "a");
  EXPECT_FALSE(shard.nodes[0].behind_primary.has_value());
  EXPECT_EQ(shard.nodes[1].target->name, "b");
  EXPECT_EQ(*shard.nodes[1].behind_primary, 100);
  EXPECT_EQ(*shard.nodes[2].behind_primary, 0);
  ASSERT_EQ(clusters[0].unreachable.size(), 1u);
  EXPECT_EQ(clusters[0].unreachable[0]->name, "d");
  EXPECT_EQ(clusters[1].cluster_id, "other");
}

TEST(BuildClusterViews, NoBehindPrimaryWithoutExactlyOnePrimary) {
  std::vector<TargetStatus> targets = {Node("a", Role::kPrimary, 10),
                                       Node("b", Role::kPrimary, 5)};
  std::vector<ClusterView> clusters = BuildClusterViews(targets);
  EXPECT_EQ(clusters[0].shards[0].primaries, 2);
  for (const NodeView& node : clusters[0].shards[0].nodes) {
    EXPECT_FALSE(node.behind_primary.has_value());
  }
}

TEST(StatusJson, EveryTargetItsStateAndModel) {
  std::vector<TargetStatus> targets = {
      Node("a", Role::kPrimary, 1000), Node("b", Role::kSecondary, 900),
      Down("d", "connect: Connection refused")};
  nlohmann::json status = nlohmann::json::parse(StatusJson(targets, kNow));
  EXPECT_EQ(status["generated_at"], "2023-11-14T22:13:20Z");
  ASSERT_EQ(status["targets"].size(), 3u);
  EXPECT_EQ(status["targets"][2]["up"], false);
  EXPECT_EQ(status["targets"][2]["error"], "connect: Connection refused");
  EXPECT_EQ(status["targets"][2]["cluster_id"], "cache");
  const nlohmann::json& shard = status["clusters"][0]["shards"][0];
  EXPECT_EQ(shard["primaries"], 1);
  EXPECT_EQ(shard["nodes"][0]["role"], "primary");
  EXPECT_EQ(shard["nodes"][0]["behind_primary"], nullptr);
  EXPECT_EQ(shard["nodes"][1]["role"], "secondary");
  EXPECT_EQ(shard["nodes"][1]["commit_offset"]["value"], 900);
  EXPECT_EQ(shard["nodes"][1]["behind_primary"]["value"], 100);
  EXPECT_EQ(shard["nodes"][1]["behind_primary"]["unit"], "bytes");
  EXPECT_EQ(status["clusters"][0]["unreachable"][0]["target"], "d");
}

TEST(StatusPageHtml, ServerRendersEveryClusterShardAndTarget) {
  std::vector<TargetStatus> targets = {
      Node("a", Role::kPrimary, 1234567), Node("b", Role::kSecondary, 1234000),
      Down("d", "connect: Connection refused")};
  targets[1].result.model.shards[0].lags = {Lag{"seconds", 2.5}};
  std::string html = StatusPageHtml(targets, kNow, {"/metrics", 2});
  EXPECT_THAT(html, HasSubstr("<body data-refresh=\"2\">"));
  EXPECT_THAT(html, HasSubstr("data-target=\"a\" data-node=\"a-node\" "
                              "data-role=\"primary\""));
  EXPECT_THAT(html, HasSubstr("data-target=\"b\" data-node=\"b-node\" "
                              "data-role=\"secondary\""));
  EXPECT_THAT(html, HasSubstr("1,234,567 bytes"));
  EXPECT_THAT(html, HasSubstr("567 bytes"));  // Behind the primary.
  EXPECT_THAT(html, HasSubstr("2.5 s"));
  EXPECT_THAT(html, HasSubstr("1 primary"));
  EXPECT_THAT(html, HasSubstr("2 of 3 targets up"));
  EXPECT_THAT(html, HasSubstr("connect: Connection refused"));
  EXPECT_THAT(html, HasSubstr("updated 22:13:20 UTC"));
  EXPECT_THAT(html, HasSubstr("<a href=\"/metrics\">"));
  EXPECT_THAT(html, Not(HasSubstr("http://")));  // No external asset.
  EXPECT_THAT(html, Not(HasSubstr("https://")));
}

TEST(StatusPageHtml, EscapesEverythingADatastoreOrConfigSays) {
  std::vector<TargetStatus> targets = {Node("a", Role::kUnknown, 1)};
  targets[0].result.model.cluster_display_name =
      "<img src=x onerror=alert(1)> & \"q\"";
  targets[0].result.model.shards[0].role_detail = "</script><script>x()";
  targets[0].result.model.version = "'v'";
  std::string html = StatusPageHtml(targets, kNow, {});
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, HasSubstr("&lt;img src=x onerror=alert(1)&gt; &amp; "
                              "&quot;q&quot;"));
  EXPECT_THAT(html, HasSubstr("unknown (&lt;/script&gt;&lt;script&gt;x())"));
  EXPECT_THAT(html, HasSubstr("&#39;v&#39;"));
  EXPECT_THAT(html, Not(HasSubstr("</script><script>x()")));
}

// A target name and an error with markup, in the page and in the fragment
// the script swaps in.
TEST(StatusPageHtml, EscapesTargetNamesAndErrorsInPageAndFragment) {
  std::vector<TargetStatus> targets = {
      Node("<script>up()</script>", Role::kPrimary, 1),
      Down("<script>down()</script>", "<script>error()</script>")};
  for (const std::string& html :
       {StatusPageHtml(targets, kNow, {}), StatusFragmentHtml(targets, kNow)}) {
    EXPECT_THAT(html, Not(HasSubstr("<script>up()")));
    EXPECT_THAT(html, Not(HasSubstr("<script>down()")));
    EXPECT_THAT(html, Not(HasSubstr("<script>error()")));
    EXPECT_THAT(html,
                HasSubstr("data-target=\"&lt;script&gt;up()&lt;/script&gt;\""));
    EXPECT_THAT(html,
                HasSubstr("<td>&lt;script&gt;down()&lt;/script&gt;</td>"));
    EXPECT_THAT(html, HasSubstr("<span class=\"error\">&lt;script&gt;error()"
                                "&lt;/script&gt;</span>"));
    EXPECT_THAT(html, HasSubstr("<td class=\"error\">&lt;script&gt;error()"
                                "&lt;/script&gt;</td>"));
  }
}

// The template is filled in one pass: a value that looks like a placeholder
// stays text, and every placeholder is filled.
TEST(StatusPageHtml, FillsEveryPlaceholderOnce) {
  std::vector<TargetStatus> targets = {Node("{{script}}", Role::kPrimary, 1)};
  std::string html = StatusPageHtml(targets, kNow, {"/metrics", 7});
  EXPECT_THAT(html, HasSubstr("<td>{{script}}</td>"));
  EXPECT_THAT(absl::StrReplaceAll(html, {{"{{script}}", ""}}),
              Not(HasSubstr("{{")));
  // The style and the script are inline, once each.
  EXPECT_EQ(html.find("</style>"), html.rfind("</style>"));
  EXPECT_EQ(html.find("</script>"), html.rfind("</script>"));
  EXPECT_THAT(html, HasSubstr("<noscript><meta http-equiv=\"refresh\" "
                              "content=\"7\"></noscript>"));
  EXPECT_THAT(html, HasSubstr("data-generated-at=\"2023-11-14T22:13:20Z\""));
}

TEST(StatusPageHtml, NoTargetsSaysSo) {
  std::string html = StatusPageHtml({}, kNow, {});
  EXPECT_THAT(html, HasSubstr("No cluster reported yet."));
  EXPECT_THAT(html, HasSubstr("0 of 0 targets up"));
}

// The content of `<template id="ID">` in a fragment ("" when absent).
std::string FragmentPart(const std::string& fragment, const std::string& id) {
  const std::string open = "<template id=\"" + id + "\">";
  size_t start = fragment.find(open);
  if (start == std::string::npos) return "";
  start += open.size();
  return fragment.substr(start, fragment.find("</template>", start) - start);
}

TEST(StatusFragmentHtml, HoldsThePagesLivePartsAsThePageHasThem) {
  std::vector<TargetStatus> targets = {
      Node("a", Role::kPrimary, 1234567), Node("b", Role::kSecondary, 1234000),
      Down("d", "connect: Connection refused")};
  std::string fragment = StatusFragmentHtml(targets, kNow);
  std::string page = StatusPageHtml(targets, kNow, {});
  EXPECT_EQ(
      fragment.rfind("<body data-generated-at=\"2023-11-14T22:13:20Z\">", 0),
      0u);
  std::string summary = FragmentPart(fragment, "summary");
  std::string clusters = FragmentPart(fragment, "clusters");
  std::string rows = FragmentPart(fragment, "targets");
  EXPECT_THAT(summary, HasSubstr("2 of 3 targets up"));
  EXPECT_THAT(clusters, HasSubstr("data-target=\"b\" data-node=\"b-node\" "
                                  "data-role=\"secondary\""));
  EXPECT_THAT(clusters, HasSubstr("connect: Connection refused"));
  EXPECT_THAT(rows, HasSubstr("<tr data-target=\"d\" data-state=\"down\">"));
  // The same markup, in the elements with those ids.
  EXPECT_THAT(page, HasSubstr("<p id=\"summary\">" + summary + "</p>"));
  EXPECT_THAT(page, HasSubstr("<div id=\"clusters\">" + clusters + "</div>"));
  EXPECT_THAT(page, HasSubstr("<tbody id=\"targets\">" + rows + "</tbody>"));
  // Only the live parts: no style, script or header.
  EXPECT_THAT(fragment, Not(HasSubstr("<style>")));
  EXPECT_THAT(fragment, Not(HasSubstr("<script>")));
  EXPECT_THAT(fragment, Not(HasSubstr("<header>")));
}

TEST(StatusPageHtml, DiscoveredClustersWithTheirSeedEscaped) {
  std::vector<TargetStatus> targets = {Node("a", Role::kPrimary, 1)};
  // Nothing when /sd was never used.
  EXPECT_EQ(FragmentPart(StatusFragmentHtml(targets, kNow), "discoveries"), "");
  DiscoveryRecord found{"kv",
                        "etcd",
                        "10.0.0.1:2379",
                        kNow,
                        "",
                        "c1",
                        {"10.0.0.1:2379", "10.0.0.2:2379"},
                        {"<b>x</b>:2379"}};
  DiscoveryRecord failed{"kv",
                         "etcd",
                         "10.0.0.9:2379",
                         kNow,
                         "seed 10.0.0.9:2379: connect: refused",
                         "",
                         {},
                         {}};
  const std::string fragment =
      StatusFragmentHtml(targets, kNow, {found, failed});
  const std::string part = FragmentPart(fragment, "discoveries");
  EXPECT_THAT(part, HasSubstr("Discovered clusters"));
  EXPECT_THAT(part, HasSubstr("<code>10.0.0.1:2379</code> "
                              "<code>10.0.0.2:2379</code>"));
  EXPECT_THAT(part, HasSubstr("<code>&lt;b&gt;x&lt;/b&gt;:2379</code>"));
  EXPECT_THAT(part, HasSubstr("seed 10.0.0.9:2379: connect: refused"));
  EXPECT_THAT(part, HasSubstr(">failed</span>"));
  EXPECT_THAT(StatusPageHtml(targets, kNow, {}, {found, failed}),
              HasSubstr("<div id=\"discoveries\">" + part + "</div>"));
  nlohmann::json status =
      nlohmann::json::parse(StatusJson(targets, kNow, {found}));
  EXPECT_EQ(status["discoveries"][0]["members"][1], "10.0.0.2:2379");
  EXPECT_EQ(status["discoveries"][0]["refused"][0], "<b>x</b>:2379");
}

TEST(ServeStatusPage, FragmentParameterAnswersTheFragment) {
  HttpRequest request;
  request.method = "GET";
  request.path = "/";
  request.query = "fragment=1";
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  HttpResponse fragment = ServeStatusPage(request, {}, deadline, "/metrics");
  EXPECT_EQ(fragment.status, 200);
  EXPECT_EQ(fragment.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(fragment.body.rfind("<body data-generated-at=", 0), 0u);
  EXPECT_THAT(fragment.body, HasSubstr("<template id=\"summary\">"));
  request.query = "refresh=9";
  HttpResponse page = ServeStatusPage(request, {}, deadline, "/metrics");
  EXPECT_EQ(page.body.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_THAT(page.body, HasSubstr("<body data-refresh=\"9\">"));
  EXPECT_EQ(page.headers, fragment.headers);
}

}  // namespace
}  // namespace dse
