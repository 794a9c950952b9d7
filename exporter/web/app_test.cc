// The App's routes, without a server: methods, unknown paths, and the
// telemetry's handler label.
#include "exporter/web/app.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse {
namespace {

using ::testing::HasSubstr;

HttpRequest Request(const std::string& method, const std::string& path) {
  HttpRequest request;
  request.method = method;
  request.path = path;
  return request;
}

class AppTest : public ::testing::Test {
 protected:
  AppTest() : app_("/stats", kinds_) { app_.SetConfig(Config()); }

  HttpResponse Handle(const std::string& method, const std::string& path) {
    HttpRequest request = Request(method, path);
    HttpResponse response = app_.Handle(request);
    app_.ObserveRequest(request, response.status, 0.001);
    return response;
  }

  const KindRegistry kinds_;
  App app_;
};

TEST_F(AppTest, EveryRouteAnswersItsPath) {
  EXPECT_EQ(Handle("GET", "/stats").status, 200);
  EXPECT_EQ(Handle("GET", "/metrics").status, 404);
  EXPECT_EQ(Handle("GET", "/-/healthy").body, "Healthy\n");
  EXPECT_EQ(Handle("HEAD", "/-/ready").status, 503);  // Never set ready.
  EXPECT_EQ(Handle("GET", "/probe").status, 400);     // No parameters.
  EXPECT_EQ(Handle("GET", "/").status, 200);
  EXPECT_EQ(Handle("GET", "/api/status").content_type, "application/json");
  HttpResponse shards = Handle("GET", "/api/unstable/shards");
  EXPECT_EQ(shards.status, 404);
  EXPECT_THAT(shards.body, HasSubstr("no targets are configured"));
  EXPECT_THAT(Handle("GET", "/api/unstable/shards/").body,
              HasSubstr("not found: /api/unstable/shards/"));
  EXPECT_EQ(Handle("GET", "/api/unstable/info/agent").status, 404);
}

TEST(App, TelemetryPathNamedLikeAnotherRouteServesTheMetrics) {
  const KindRegistry kinds;
  App app("/probe", kinds);
  app.SetConfig(Config());
  HttpResponse response = app.Handle(Request("GET", "/probe"));
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.body, HasSubstr("datastore_exporter_build_info"));
}

TEST_F(AppTest, WrongMethodsGet405WithAllow) {
  HttpResponse reload = Handle("GET", "/-/reload");
  EXPECT_EQ(reload.status, 405);
  EXPECT_THAT(reload.body, HasSubstr("use POST"));
  ASSERT_EQ(reload.headers.size(), 1u);
  EXPECT_EQ(reload.headers[0].second, "POST, PUT");
  HttpResponse post = Handle("POST", "/stats");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.headers[0].second, "GET, HEAD");
  EXPECT_EQ(Handle("DELETE", "/nowhere").status, 405);
  // No reloader was set.
  EXPECT_EQ(Handle("POST", "/-/reload").status, 500);
}

TEST_F(AppTest, HandlerLabelIsTheRouteOrOther) {
  Handle("GET", "/stats");
  Handle("GET", "/attacker/chose/this");
  Handle("GET", "/api/unstable/shards");
  std::string text = Handle("GET", "/stats").body;
  EXPECT_THAT(text, HasSubstr("handler=\"/stats\""));
  EXPECT_THAT(text, HasSubstr("handler=\"other\""));
  EXPECT_THAT(text, HasSubstr("handler=\"/api/unstable/shards\""));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("attacker")));
}

}  // namespace
}  // namespace dse
