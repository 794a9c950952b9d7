#include "exporter/web/openssl.h"

namespace dse {

absl::StatusOr<const LibCrypto*> LoadLibCrypto() {
  static Library<LibCrypto> library("libcrypto.so.3", "libssl3");
  return library.Get();
}

absl::StatusOr<const LibSsl*> LoadLibSsl() {
  static Library<LibSsl> library("libssl.so.3", "libssl3");
  return library.Get();
}

absl::Status LoadLibSslForCivetweb() {
  static const absl::Status loaded =
      OpenSharedLibrary("libssl.so.3", "libssl3", /*global=*/true).status();
  return loaded;
}

}  // namespace dse
