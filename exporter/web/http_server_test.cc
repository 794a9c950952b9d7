#include "exporter/web/http_server.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "exporter/web/app.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse {
namespace {

const KindRegistry kNoKinds;

using ::testing::HasSubstr;
using ::testing::Not;

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

// What the server answers to `request` sent as is on a new connection,
// until it closes (at most 5 s).
std::string RawExchange(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval five{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
  std::string reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) {
      reply.append(buffer, static_cast<size_t>(n));
    }
  }
  close(fd);
  return reply;
}

// One server for the suite: stopping civetweb takes about 2 s.
class HttpServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    app_ = new App("/metrics", kNoKinds);
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

TEST_F(HttpServerTest, AbsoluteFormRequestLineNamingThisPort) {
  const std::string port = std::to_string(server_->port());
  for (const char* host : {"127.0.0.1", "exporter.example"}) {
    std::string reply = RawExchange(
        server_->port(), std::string("GET http://") + host + ":" + port +
                             "/-/healthy HTTP/1.1\r\nHost: " + host +
                             "\r\nConnection: close\r\n\r\n");
    EXPECT_THAT(reply, HasSubstr("HTTP/1.1 200 OK")) << host;
    EXPECT_THAT(reply, HasSubstr("Healthy")) << host;
  }
}

TEST_F(HttpServerTest, GzipWhenAsked) {
  Fetched plain = Fetch(base_ + "/metrics");
  Fetched zipped = Fetch(base_ + "/metrics", "GET", true);
  EXPECT_EQ(zipped.status, 200);
  // build_info and the exporter's own telemetry: over the gzip threshold.
  ASSERT_GT(plain.body.size(), 512u);
  EXPECT_THAT(zipped.headers, HasSubstr("Content-Encoding: gzip"));
  EXPECT_THAT(plain.headers, Not(HasSubstr("Content-Encoding")));
  // The same text but for the figures that moved between the two scrapes.
  auto steady = [](const std::string& text) {
    std::string kept;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      if (absl::StartsWith(line, "process_") ||
          absl::StartsWith(line, "datastore_exporter_http_"))
        continue;
      absl::StrAppend(&kept, line, "\n");
    }
    return kept;
  };
  const std::string unzipped = Gunzip(zipped.body);
  EXPECT_THAT(unzipped, HasSubstr("datastore_exporter_build_info{"));
  EXPECT_EQ(steady(unzipped), steady(plain.body));
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
