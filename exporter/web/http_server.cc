#include "exporter/web/http_server.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "civetweb.h"
#include "exporter/config/config.h"
#include "exporter/model/log.h"
#include "exporter/web/openssl.h"

namespace dse {
namespace {

const char* StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

std::string PercentDecode(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() &&
               absl::ascii_isxdigit(text[i + 1]) &&
               absl::ascii_isxdigit(text[i + 2])) {
      out += static_cast<char>(
          std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::string HttpRequest::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

std::string HttpRequest::QueryParameter(const std::string& name) const {
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (PercentDecode(kv.first) == name) return PercentDecode(kv.second);
  }
  return "";
}

std::string GzipCompress(const std::string& data) {
  z_stream stream;
  std::memset(&stream, 0, sizeof stream);
  // 15 + 16: maximum window with a gzip header. Level 1: scrapes are
  // latency-sensitive and metric text compresses well even at level 1.
  if (deflateInit2(&stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return "";
  }
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return rc == Z_STREAM_END ? out : "";
}

HttpServer::HttpServer(HttpHandler handler, const HttpServerOptions& options)
    : handler_(std::move(handler)),
      max_requests_(options.max_requests),
      observe_(options.observe) {
  if (options.web != nullptr && !options.web->basic_auth_users.empty()) {
    authenticator_ =
        std::make_unique<BasicAuthenticator>(options.web->basic_auth_users);
  }
}

namespace {

// civetweb reads the certificate and its key from one PEM file. It is written
// with mode 0600 and removed as soon as the server has loaded it.
absl::StatusOr<std::string> CombinedPem(const WebConfig& web) {
  std::string key, cert;
  for (auto [path, out] : {std::make_pair(&web.key_file, &key),
                           std::make_pair(&web.cert_file, &cert)}) {
    auto text = ReadRegularFile(*path, kMaxConfigFileBytes);
    if (!text.ok()) {
      return absl::Status(
          text.status().code(),
          absl::StrCat("cannot read ", *path, ": ", text.status().message()));
    }
    *out = *std::move(text);
  }
  char name[] = "/tmp/datastore-exporter-tls-XXXXXX";
  int fd = mkstemp(name);
  if (fd < 0)
    return absl::InternalError("cannot create a temporary file for TLS");
  std::string both = key + "\n" + cert;
  bool written =
      write(fd, both.data(), both.size()) == static_cast<ssize_t>(both.size());
  close(fd);
  if (!written) {
    unlink(name);
    return absl::InternalError("cannot write a temporary file for TLS");
  }
  return std::string(name);
}

const char* TlsProtocolLevel(const std::string& min_version) {
  // civetweb's ssl_protocol_version: 2 = TLS1.0+, 3 = TLS1.1+, 4 = TLS1.2+,
  // 5 = TLS1.3 only.
  if (min_version == "TLS10") return "2";
  if (min_version == "TLS11") return "3";
  if (min_version == "TLS13") return "5";
  return "4";
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& listen_address, HttpHandler handler,
    const HttpServerOptions& server_options) {
  if (server_options.web != nullptr &&
      !server_options.web->basic_auth_users.empty()) {
    // Verified passwords are remembered as SHA-256 digests (web_config.cc).
    auto crypto = LoadLibCrypto();
    if (!crypto.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("basic_auth_users: ", crypto.status().message()));
    }
  }
  // civetweb takes "port" for every IPv4 address and "host:port" otherwise.
  // Port 0 asks the kernel for a free port (used by tests).
  std::string host_part = absl::StartsWith(listen_address, ":")
                              ? "0.0.0.0" + listen_address
                              : listen_address;
  auto parsed =
      ParseHostPort(absl::EndsWith(host_part, ":0")
                        ? host_part.substr(0, host_part.size() - 1) + "1"
                        : host_part,
                    0);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--web.listen-address: ", parsed.status().message()));
  }
  std::string ports = absl::StartsWith(listen_address, ":")
                          ? listen_address.substr(1)
                          : listen_address;
  std::unique_ptr<HttpServer> server(
      new HttpServer(std::move(handler), server_options));
  const WebConfig* web = server_options.web;
  const bool tls = web != nullptr && web->tls();
  if (tls) ports += "s";
  // More worker threads than the request limit, so that requests past the
  // limit are answered 503 at once instead of queueing.
  const std::string threads = std::to_string(std::max(
      server_options.max_connections, server_options.max_requests + 4));
  const std::string header_bytes =
      std::to_string(server_options.max_header_bytes);
  const std::string request_timeout =
      std::to_string(server_options.request_timeout_ms);
  std::vector<std::string> settings = {
      "listening_ports", ports, "num_threads", threads, "request_timeout_ms",
      request_timeout, "max_request_size", header_bytes,
      // An absolute-form request line ("GET http://host:port/metrics") is
      // served when it names this port; civetweb otherwise also wants the
      // host to be its authentication_domain, and closes without a reply.
      "enable_auth_domain_check", "no", "enable_keep_alive", "yes",
      "keep_alive_timeout_ms",
      std::to_string(server_options.keep_alive_timeout_ms)};
  std::string pem;
  // The combined PEM holds the private key: removed on every way out, once
  // civetweb has read it.
  struct RemoveFile {
    const std::string& path;
    ~RemoveFile() {
      if (!path.empty()) unlink(path.c_str());
    }
  } remove_pem{pem};
  if (tls) {
    auto combined = CombinedPem(*web);
    if (!combined.ok()) return combined.status();
    pem = *combined;
    settings.insert(settings.end(),
                    {"ssl_certificate", pem, "ssl_protocol_version",
                     TlsProtocolLevel(web->min_version)});
    // exporter-toolkit's client_auth_type, as Go's crypto/tls defines it.
    // civetweb's ssl_verify_peer always verifies against a CA: the two
    // types that take any certificate are set on the TLS context directly
    // (init_ssl, below), where civetweb leaves the verify mode alone.
    const std::string& type = web->client_auth_type;
    if (type == "RequireAndVerifyClientCert") {
      settings.insert(settings.end(), {"ssl_verify_peer", "yes", "ssl_ca_file",
                                       web->client_ca_file});
    } else if (type == "VerifyClientCertIfGiven") {
      settings.insert(settings.end(), {"ssl_verify_peer", "optional",
                                       "ssl_ca_file", web->client_ca_file});
    } else if (type == "RequestClientCert") {
      server->unverified_client_cert_mode_ = SSL_VERIFY_PEER;
    } else if (type == "RequireAnyClientCert") {
      server->unverified_client_cert_mode_ =
          SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
  }
  std::vector<const char*> options;
  for (const std::string& setting : settings)
    options.push_back(setting.c_str());
  options.push_back(nullptr);
  mg_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof callbacks);
  // civetweb logs to stderr by default; route it through our logger.
  callbacks.log_message = [](const mg_connection*, const char* message) {
    Log(LogLevel::kDebug, "http server", {{"detail", message}});
    return 1;
  };
  if (server->unverified_client_cert_mode_ != 0) {
    auto ssl = LoadLibSsl();
    if (!ssl.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("TLS: ", ssl.status().message()));
    }
    callbacks.init_ssl = [](void* context, void* user_data) {
      const int mode =
          static_cast<HttpServer*>(user_data)->unverified_client_cert_mode_;
      // Any certificate is accepted: the handshake only requests it (and,
      // with SSL_VERIFY_FAIL_IF_NO_PEER_CERT, fails without one).
      (*LoadLibSsl())
          ->SSL_CTX_set_verify(static_cast<SSL_CTX*>(context), mode,
                               [](int, X509_STORE_CTX*) { return 1; });
      return 0;  // civetweb goes on to load the certificate.
    };
  }
  mg_init_data init;
  std::memset(&init, 0, sizeof init);
  init.callbacks = &callbacks;
  init.user_data = server.get();
  init.configuration_options = options.data();
  char error_text[256] = {0};
  unsigned error_code = 0;
  mg_error_data error;
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof error_text;
  if (tls) {
    absl::Status ssl = LoadLibSslForCivetweb();
    if (!ssl.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("TLS: ", ssl.message()));
    }
    mg_init_library(MG_FEATURES_TLS);
  }
  server->context_ = mg_start2(&init, &error);
  if (server->context_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on \"", listen_address,
                     "\": ", error_text[0] ? error_text : "unknown error"));
  }
  mg_set_request_handler(server->context_, "/", &HttpServer::HandleRequest,
                         server.get());
  mg_server_port port_info[4];
  int count = mg_get_server_ports(server->context_, 4, port_info);
  if (count > 0) server->port_ = port_info[0].port;
  return server;
}

HttpServer::~HttpServer() {
  if (context_ != nullptr) mg_stop(context_);
}

int HttpServer::HandleRequest(mg_connection* connection, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  const absl::Time start = absl::Now();
  const mg_request_info* info = mg_get_request_info(connection);
  HttpRequest request;
  request.method = info->request_method ? info->request_method : "";
  request.path = info->local_uri ? info->local_uri : "/";
  request.query = info->query_string ? info->query_string : "";
  for (int i = 0; i < info->num_headers; ++i) {
    request.headers.emplace_back(info->http_headers[i].name,
                                 info->http_headers[i].value);
  }
  HttpResponse response;
  // Counts this request for its whole handling; decremented on every path.
  struct InFlight {
    explicit InFlight(std::atomic<int>& count) : count_(count) { ++count_; }
    ~InFlight() { --count_; }
    std::atomic<int>& count_;
  } in_flight(server->in_flight_);
  try {
    if (server->authenticator_ != nullptr &&
        !server->authenticator_->Check(request.Header("Authorization"))) {
      response = HttpResponse{
          401,
          "text/plain; charset=utf-8",
          "unauthorized\n",
          {{"WWW-Authenticate",
            "Basic realm=\"datastore_exporter\", charset=\"UTF-8\""}},
          false};
    } else if (server->in_flight_.load() > server->max_requests_) {
      response = HttpResponse{503,
                              "text/plain; charset=utf-8",
                              "too many concurrent requests; try again\n",
                              {{"Retry-After", "1"}},
                              false};
    } else {
      response = server->handler_(request);
    }
  } catch (const std::exception& e) {
    Log(LogLevel::kError, "request handler failed",
        {{"path", request.path}, {"err", e.what()}});
    response = HttpResponse{
        500, "text/plain; charset=utf-8", "internal error\n", {}, false};
  }
  std::string body = std::move(response.body);
  bool gzip = false;
  if (response.compressible && body.size() > 512 &&
      absl::StrContains(request.Header("Accept-Encoding"), "gzip")) {
    std::string compressed = GzipCompress(body);
    if (!compressed.empty()) {
      body = std::move(compressed);
      gzip = true;
    }
  }
  std::string head = absl::StrCat("HTTP/1.1 ", response.status, " ",
                                  StatusText(response.status),
                                  "\r\nContent-Type: ", response.content_type,
                                  "\r\nContent-Length: ", body.size(), "\r\n");
  if (gzip) head += "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n";
  for (const auto& [name, value] : response.headers) {
    absl::StrAppend(&head, name, ": ", value, "\r\n");
  }
  head += "\r\n";
  // One write: a separate small body write would wait for the delayed ACK of
  // the header (Nagle), adding ~40 ms to every keep-alive request.
  if (request.method != "HEAD") head += body;
  mg_write(connection, head.data(), head.size());
  if (server->observe_) {
    server->observe_(request, response.status,
                     absl::ToDoubleSeconds(absl::Now() - start));
  }
  return response.status;
}

}  // namespace dse
