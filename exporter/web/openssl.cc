#include "exporter/web/openssl.h"

namespace dse {

absl::StatusOr<const LibCrypto*> LoadLibCrypto() {
  static Library<LibCrypto> library(
      "libcrypto.so.3", "libssl3", [](SymbolResolver& resolve, LibCrypto& api) {
        DSE_LIBRARY_RESOLVE(DSE_LIBCRYPTO_FUNCTIONS, resolve, api);
      });
  return library.Get();
}

absl::StatusOr<const LibSsl*> LoadLibSsl() {
  static Library<LibSsl> library(
      "libssl.so.3", "libssl3", [](SymbolResolver& resolve, LibSsl& api) {
        DSE_LIBRARY_RESOLVE(DSE_LIBSSL_FUNCTIONS, resolve, api);
      });
  return library.Get();
}

absl::Status LoadLibSslForCivetweb() {
  static const absl::Status loaded =
      OpenSharedLibrary("libssl.so.3", "libssl3", /*global=*/true).status();
  return loaded;
}

}  // namespace dse
