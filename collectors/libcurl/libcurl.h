// libcurl, loaded when the first etcd, NATS, RabbitMQ or agent-API target is
// collected (see exporter/model/shared_library.h for why it is not linked).
#ifndef DATASTORE_EXPORTER_COLLECTORS_LIBCURL_LIBCURL_H_
#define DATASTORE_EXPORTER_COLLECTORS_LIBCURL_LIBCURL_H_

// curl.h's type-checking wrappers are macros named like the functions; they
// would rewrite calls through the table below.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include <string>

#include "absl/status/statusor.h"
#include "exporter/model/shared_library.h"
#include "exporter/model/target.h"

namespace dse {

// clang-format off
#define DSE_LIBCURL_FUNCTIONS(X) \
  X(curl_easy_cleanup) \
  X(curl_easy_getinfo) \
  X(curl_easy_init) \
  X(curl_easy_perform) \
  X(curl_easy_setopt) \
  X(curl_easy_strerror) \
  X(curl_global_init) \
  X(curl_slist_append) \
  X(curl_slist_free_all)
// clang-format on

struct LibCurl {
  DSE_LIBRARY_FIELDS(DSE_LIBCURL_FUNCTIONS)
};

// libcurl.so.4, loaded and initialized (curl_global_init) on the first call;
// the error names the library.
absl::StatusOr<const LibCurl*> LoadLibCurl();

// A reply body that makes curl stop (CURLE_WRITE_ERROR, `too_large` set)
// once it would pass `limit` bytes. Pass AppendToBoundedBody as
// CURLOPT_WRITEFUNCTION and the body as CURLOPT_WRITEDATA.
struct BoundedBody {
  size_t limit = 0;
  std::string text;
  bool too_large = false;
};
size_t AppendToBoundedBody(char* data, size_t size, size_t count, void* body);

// "http://host:port" or "https://..." (IPv6 hosts in brackets), no trailing
// slash: the start of every URL of a target's HTTP API.
std::string HttpBaseUrl(const HostPort& address, bool tls);

// The loaded library. Only for code that holds a handle, which it created
// after LoadLibCurl succeeded.
inline const LibCurl& Curl() { return **LoadLibCurl(); }

}  // namespace dse

#endif  // DATASTORE_EXPORTER_COLLECTORS_LIBCURL_LIBCURL_H_
