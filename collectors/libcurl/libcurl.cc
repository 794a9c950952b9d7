#include "collectors/libcurl/libcurl.h"

#include "absl/strings/str_cat.h"

namespace dse {

absl::StatusOr<const LibCurl*> LoadLibCurl() {
  static Library<LibCurl> library(
      "libcurl.so.4", "libcurl4",
      // Before any handle exists: not thread-safe on every libcurl build.
      [](const LibCurl& api) {
        return api.curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK
                   ? absl::OkStatus()
                   : absl::InternalError("cannot initialize libcurl");
      });
  return library.Get();
}

size_t AppendToBoundedBody(char* data, size_t size, size_t count, void* out) {
  auto* body = static_cast<BoundedBody*>(out);
  const size_t bytes = size * count;
  if (body->text.size() + bytes > body->limit) {
    body->too_large = true;
    return 0;
  }
  body->text.append(data, bytes);
  return bytes;
}

std::string HttpBaseUrl(const HostPort& address, bool tls) {
  const bool v6 = address.host.find(':') != std::string::npos;
  return absl::StrCat(tls ? "https://" : "http://", v6 ? "[" : "", address.host,
                      v6 ? "]" : "", ":", address.port);
}

}  // namespace dse
