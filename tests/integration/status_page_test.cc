// The status page (`/`) over a real exporter and a real Redis pair: first
// without a browser (the server-rendered page and /api/status), then in
// headless Chromium, where the page must follow a failover by its own
// polling, in the same document, and a screenshot is saved.
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/chromium.h"
#include "tests/support/datastore_test.h"
#include "tests/support/exporter_process.h"
#include "tests/support/redis_fixture.h"

namespace dse::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// Markup in a name the page shows: it must appear as text, never run.
constexpr char kHostileName[] = "Sessions <img src=x onerror=window.pwned=1>";

class StatusPageTest : public DatastoreTest<RedisFixture> {
 protected:
  StatusPageTest() : DatastoreTest({"primary", "replica"}) {}

  void SetUp() override {
    DatastoreTest::SetUp();
    if (HasFatalFailure()) return;
    exporter_ = StartExporter(
        absl::StrCat("    cluster_display_name: \"", kHostileName, "\"\n"));
    ASSERT_NE(exporter_, nullptr);
  }

  std::unique_ptr<ExporterProcess> exporter_;
};

TEST_F(StatusPageTest, WithoutJavaScriptTheServerRendersTheState) {
  HttpResult page = HttpFetch(exporter_->url("/"));
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.headers,
              HasSubstr("Content-Type: text/html; charset=utf-8"));
  EXPECT_THAT(page.body,
              HasSubstr(absl::StrCat("data-target=\"primary\" data-node=\"",
                                     topology_.address(0),
                                     "\" data-role=\"primary\"")));
  EXPECT_THAT(page.body,
              HasSubstr(absl::StrCat("data-target=\"replica\" data-node=\"",
                                     topology_.address(1),
                                     "\" data-role=\"secondary\"")));
  EXPECT_THAT(page.body, HasSubstr("2 of 2 targets up"));
  EXPECT_THAT(page.body, HasSubstr("Sessions &lt;img src=x"));
  EXPECT_THAT(page.body, Not(HasSubstr("<img")));
  EXPECT_THAT(page.body, HasSubstr("<noscript><meta http-equiv=\"refresh\""));

  HttpResult status = HttpFetch(exporter_->url("/api/status"));
  EXPECT_EQ(status.status, 200);
  json document = json::parse(status.body, nullptr, false);
  ASSERT_FALSE(document.is_discarded()) << status.body;
  EXPECT_EQ(document["targets"].size(), 2u);
  const json& shard = document["clusters"][0]["shards"][0];
  EXPECT_EQ(shard["primaries"], 1);
  EXPECT_EQ(shard["nodes"][0]["target"], "primary");
  EXPECT_EQ(shard["nodes"][1]["role"], "secondary");
}

// Evaluates `expression` in the page until it is true (bounded).
bool PageSatisfies(Chromium& browser, const std::string& expression,
                   absl::Duration timeout, std::string* last_error) {
  return WaitFor(
      [&] {
        auto value = browser.Evaluate(expression);
        if (!value.ok()) *last_error = std::string(value.status().message());
        return value.ok() && *value == true;
      },
      timeout, absl::Milliseconds(100));
}

TEST_F(StatusPageTest, ChromiumShowsTheFailoverByItsOwnPolling) {
  auto browser = Chromium::Start(dir_);
  ASSERT_TRUE(browser.ok()) << browser.status();
  Chromium& chromium = **browser;
  absl::Status opened = chromium.Open(exporter_->url("/?refresh=1"));
  ASSERT_TRUE(opened.ok()) << opened << "\n" << chromium.Log();

  // Loaded and polled at least once: primary and replica, one primary.
  std::string error;
  const std::string before =
      "document.readyState === 'complete' && "
      "Number(document.getElementById('updated').dataset.polls) >= 1 && "
      "!!document.querySelector('tr[data-target=\"primary\"]"
      "[data-role=\"primary\"]') && "
      "!!document.querySelector('tr[data-target=\"replica\"]"
      "[data-role=\"secondary\"]')";
  ASSERT_TRUE(PageSatisfies(chromium, before, absl::Seconds(20), &error))
      << error << "\n"
      << chromium.Log();
  auto shown_name =
      chromium.Evaluate("document.querySelector('.cluster h2').textContent");
  ASSERT_TRUE(shown_name.ok());
  EXPECT_THAT(shown_name->get<std::string>(), HasSubstr(kHostileName));
  const std::string artifacts = DSE_TEST_ARTIFACTS_DIR;
  std::filesystem::create_directories(artifacts);
  absl::Status first_shot =
      chromium.Screenshot(artifacts + "/status_page_before_failover.png");
  ASSERT_TRUE(first_shot.ok()) << first_shot;
  // A mark in this document: if the page reloaded, it would be gone.
  ASSERT_TRUE(chromium.Evaluate("window.sameDocument = 42").ok());
  auto polls_before = chromium.Evaluate(
      "Number(document.getElementById('updated')"
      ".dataset.polls)");
  ASSERT_TRUE(polls_before.ok());

  ASSERT_TRUE(topology_.FailOver().ok());

  // The page's own polling shows the new primary and the lost node.
  const std::string after =
      "!!document.querySelector('tr[data-target=\"replica\"]"
      "[data-role=\"primary\"]') && "
      "!document.querySelector('tr[data-target=\"primary\"][data-role]') && "
      "!!document.querySelector('#targets tr[data-target=\"primary\"]"
      "[data-state=\"down\"]') && "
      "!!document.querySelector('ul.unreachable li[data-target=\"primary\"]')";
  ASSERT_TRUE(PageSatisfies(chromium, after, absl::Seconds(20), &error))
      << error;
  auto same = chromium.Evaluate("window.sameDocument");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, 42) << "the page reloaded instead of updating in place";
  auto polls_after = chromium.Evaluate(
      "Number(document.getElementById('updated')"
      ".dataset.polls)");
  ASSERT_TRUE(polls_after.ok());
  EXPECT_GT(polls_after->get<int>(), polls_before->get<int>());
  auto changes =
      chromium.Evaluate("document.getElementById('changes').textContent");
  ASSERT_TRUE(changes.ok());
  EXPECT_THAT(changes->get<std::string>(),
              HasSubstr(topology_.address(1) + " secondary \u2192 primary"));
  EXPECT_THAT(changes->get<std::string>(),
              HasSubstr("target primary: up \u2192 down"));
  auto summary =
      chromium.Evaluate("document.getElementById('summary').textContent");
  ASSERT_TRUE(summary.ok());
  EXPECT_THAT(summary->get<std::string>(), HasSubstr("1 of 2 targets up"));
  auto pwned = chromium.Evaluate("window.pwned === undefined");
  ASSERT_TRUE(pwned.ok());
  EXPECT_EQ(*pwned, true) << "markup from the configuration ran";

  const std::string screenshot = artifacts + "/status_page_after_failover.png";
  absl::Status shot = chromium.Screenshot(screenshot);
  ASSERT_TRUE(shot.ok()) << shot;
  std::string png = ReadFile(screenshot);
  EXPECT_GT(png.size(), 10000u);
  EXPECT_EQ(png.substr(0, 8), "\x89PNG\r\n\x1a\n");
}

}  // namespace
}  // namespace dse::testing
