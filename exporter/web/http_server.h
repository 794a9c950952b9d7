// A small HTTP server on civetweb: one handler sees every request.
#ifndef DATASTORE_EXPORTER_EXPORTER_WEB_HTTP_SERVER_H_
#define DATASTORE_EXPORTER_EXPORTER_WEB_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "exporter/web/web_config.h"

struct mg_context;
struct mg_connection;

namespace dse {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string query;  // Without the "?".
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of a header (case-insensitive name), or "" when absent.
  std::string Header(const std::string& name) const;
  // The value of a query parameter (percent-decoded), or "" when absent.
  std::string QueryParameter(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool compressible = false;  // Gzip when the client accepts it.
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  const WebConfig* web = nullptr;  // TLS and basic auth; null = plain HTTP.
  int max_requests = 40;           // In flight at once; more get 503.
  int max_header_bytes = 16384;    // Request line and headers.
  // civetweb gives each connection a worker thread, so a client that holds
  // connections open holds workers. Measured with
  // tests/bench/http_starvation.py (see tests/bench/README.md): with 60 s of
  // keep-alive, 100 idle keep-alive connections stalled a scrape for 59 s;
  // with 1 s, a scrape took 1 ms (at most 0.75 s). A request (line and
  // headers) must arrive within request_timeout_ms in all: a slowloris of
  // 100 connections then delayed scrapes by 1.8 s at the median (19 s with
  // 10 s).
  int request_timeout_ms = 2000;
  int keep_alive_timeout_ms = 1000;  // Idle time between two requests.
  // Connections served at once, a worker thread each (at least max_requests
  // + 4, so that requests past the limit are answered 503 at once). With
  // 44, 1000 idle TCP connections from one client delayed a scrape by 11 s
  // and a 100-connection slowloris by 1.8 s; with 200, both 1 ms at the
  // median, for 3 MB more resident memory (19 KB a worker idle, 44 KB once
  // each has served a connection).
  int max_connections = 200;
  // Told of every answered request (its status and seconds taken).
  std::function<void(const HttpRequest&, int, double)> observe;
};

class HttpServer {
 public:
  // Listens on `listen_address` (":9755", "127.0.0.1:9755", "[::1]:9755").
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& listen_address, HttpHandler handler,
      const HttpServerOptions& options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port actually listened on.
  int port() const { return port_; }

 private:
  HttpServer(HttpHandler handler, const HttpServerOptions& options);
  static int HandleRequest(mg_connection* connection, void* self);

  HttpHandler handler_;
  const int max_requests_;
  const std::function<void(const HttpRequest&, int, double)> observe_;
  std::atomic<int> in_flight_{0};
  std::unique_ptr<BasicAuthenticator> authenticator_;
  // SSL_CTX_set_verify mode for client_auth_type RequestClientCert or
  // RequireAnyClientCert; 0 otherwise.
  int unverified_client_cert_mode_ = 0;
  mg_context* context_ = nullptr;
  int port_ = 0;
};

// Gzip-compresses `data` (used for responses; exposed for tests).
std::string GzipCompress(const std::string& data);

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_WEB_HTTP_SERVER_H_
