// OpenSSL, loaded only when the web configuration asks for TLS or basic
// authentication (see exporter/model/shared_library.h for why it is not
// linked).
#ifndef DATASTORE_EXPORTER_EXPORTER_WEB_OPENSSL_H_
#define DATASTORE_EXPORTER_EXPORTER_WEB_OPENSSL_H_

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "exporter/model/shared_library.h"

namespace dse {

// clang-format off
#define DSE_LIBCRYPTO_FUNCTIONS(X) \
  X(EVP_Digest) \
  X(EVP_sha256)
// clang-format on

struct LibCrypto {
  DSE_LIBRARY_FIELDS(DSE_LIBCRYPTO_FUNCTIONS)
};

// libcrypto.so.3 (SHA-256 for remembering verified passwords).
absl::StatusOr<const LibCrypto*> LoadLibCrypto();

// clang-format off
#define DSE_LIBSSL_FUNCTIONS(X) \
  X(SSL_CTX_set_verify)
// clang-format on

struct LibSsl {
  DSE_LIBRARY_FIELDS(DSE_LIBSSL_FUNCTIONS)
};

// libssl.so.3, for what civetweb's options cannot say (client certificates
// requested or required without verification).
absl::StatusOr<const LibSsl*> LoadLibSsl();

// Makes libssl.so.3 visible to the whole process (RTLD_GLOBAL) before
// civetweb starts TLS: civetweb finds OpenSSL's functions through the main
// program's lookup scope (see tls_compat.cc).
absl::Status LoadLibSslForCivetweb();

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_WEB_OPENSSL_H_
