#include "collectors/libcurl/libcurl.h"

namespace dse {

absl::StatusOr<const LibCurl*> LoadLibCurl() {
  static Library<LibCurl> library(
      "libcurl.so.4", "libcurl4", [](SymbolResolver& resolve, LibCurl& api) {
        DSE_LIBRARY_RESOLVE(DSE_LIBCURL_FUNCTIONS, resolve, api);
      });
  // Once per process, before any handle exists: curl_global_init is not
  // thread-safe on every libcurl build.
  static const absl::StatusOr<const LibCurl*> ready =
      [](absl::StatusOr<const LibCurl*> api) -> absl::StatusOr<const LibCurl*> {
    if (!api.ok()) return api;
    if ((*api)->curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      return absl::InternalError("cannot initialize libcurl");
    }
    return api;
  }(library.Get());
  return ready;
}

}  // namespace dse
