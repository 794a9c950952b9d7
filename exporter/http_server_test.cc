#include "exporter/http_server.h"

#include <curl/curl.h>
#include <zlib.h>

#include "exporter/app.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse {
namespace {

using ::testing::HasSubstr;

struct Fetched {
  long status = 0;
  std::string body;
  std::string headers;
};

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

Fetched Fetch(const std::string& url, const std::string& method = "GET",
              bool gzip = false) {
  Fetched result;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  if (gzip) {
    // Raw: ask for gzip but do not decode, to see the encoding on the wire.
    struct curl_slist* list =
        curl_slist_append(nullptr, "Accept-Encoding: gzip");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_perform(curl);
    curl_slist_free_all(list);
  } else {
    curl_easy_perform(curl);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_easy_cleanup(curl);
  return result;
}

std::string Gunzip(const std::string& data) {
  z_stream stream{};
  inflateInit2(&stream, 15 + 16);
  std::string out(1 << 20, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = data.size();
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = out.size();
  inflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return out;
}

// One server for the suite: stopping civetweb takes about 2 s.
class HttpServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    app_ = new App("/metrics", BuiltinKinds());
    // Port 0: the kernel picks a free port, which the server reports.
    auto server = HttpServer::Start(
        "127.0.0.1:0", [](const HttpRequest& r) { return app_->Handle(r); });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete app_;
  }
  void SetUp() override { ASSERT_NE(server_, nullptr); }

  static inline App* app_ = nullptr;
  static inline HttpServer* server_ = nullptr;
  static inline std::string base_;
};

TEST_F(HttpServerTest, ServesMetricsWithContentType) {
  Fetched got = Fetch(base_ + "/metrics");
  EXPECT_EQ(got.status, 200);
  EXPECT_THAT(
      got.headers,
      HasSubstr("Content-Type: text/plain; version=0.0.4; charset=utf-8"));
  EXPECT_THAT(got.body, HasSubstr("datastore_exporter_build_info{"));
}

TEST_F(HttpServerTest, HealthyLandingAndNotFound) {
  EXPECT_EQ(Fetch(base_ + "/-/healthy").status, 200);
  Fetched landing = Fetch(base_ + "/");
  EXPECT_EQ(landing.status, 200);
  EXPECT_THAT(landing.body, HasSubstr("datastore_exporter"));
  Fetched missing = Fetch(base_ + "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(missing.body, HasSubstr("/nope"));
  EXPECT_EQ(Fetch(base_ + "/metrics", "POST").status, 405);
}

TEST_F(HttpServerTest, GzipWhenAsked) {
  Fetched plain = Fetch(base_ + "/metrics");
  Fetched zipped = Fetch(base_ + "/metrics", "GET", true);
  EXPECT_EQ(zipped.status, 200);
  // The body is small (one build_info series): below the gzip threshold it
  // stays plain; check the encoding decision against the size.
  if (plain.body.size() > 512) {
    EXPECT_THAT(zipped.headers, HasSubstr("Content-Encoding: gzip"));
    EXPECT_EQ(Gunzip(zipped.body), plain.body);
  } else {
    EXPECT_EQ(zipped.body, plain.body);
  }
}

TEST(GzipCompress, RoundTrips) {
  std::string text(10000, 'x');
  text += "end";
  EXPECT_EQ(Gunzip(GzipCompress(text)), text);
}

TEST(HttpServer, RejectsBadListenAddress) {
  auto server = HttpServer::Start(
      "localhost:notaport", [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("--web.listen-address"));
}

TEST(HttpServer, PortInUseIsAClearError) {
  auto first = HttpServer::Start(
      "127.0.0.1:0", [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_TRUE(first.ok());
  std::string address = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = HttpServer::Start(
      address, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(),
              HasSubstr("cannot listen on \"" + address));
}

TEST(ScrapeDeadline, HonoursPrometheusTimeout) {
  absl::Time now = absl::FromUnixSeconds(1000);
  EXPECT_EQ(ScrapeDeadline("", now), absl::InfiniteFuture());
  EXPECT_EQ(ScrapeDeadline("junk", now), absl::InfiniteFuture());
  EXPECT_EQ(ScrapeDeadline("10", now), now + absl::Milliseconds(9750));
  EXPECT_EQ(ScrapeDeadline("1", now), now + absl::Milliseconds(900));
}

}  // namespace
}  // namespace dse
