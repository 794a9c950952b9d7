// A small HTTP server on civetweb: one handler sees every request.
#ifndef DATASTORE_EXPORTER_EXPORTER_HTTP_SERVER_H_
#define DATASTORE_EXPORTER_EXPORTER_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

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

class HttpServer {
 public:
  // Listens on `listen_address` (":9755", "127.0.0.1:9755", "[::1]:9755").
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& listen_address, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port actually listened on.
  int port() const { return port_; }

 private:
  explicit HttpServer(HttpHandler handler) : handler_(std::move(handler)) {}
  static int HandleRequest(mg_connection* connection, void* self);

  HttpHandler handler_;
  mg_context* context_ = nullptr;
  int port_ = 0;
};

// Gzip-compresses `data` (used for responses; exposed for tests).
std::string GzipCompress(const std::string& data);

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_HTTP_SERVER_H_
