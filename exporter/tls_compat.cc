// Makes TLS work with Debian 12's civetweb 1.15 and OpenSSL 3.
//
// civetweb loads OpenSSL at run time with dlopen("libssl.so") and looks its
// functions up by name. OpenSSL 3 no longer exports SSL_get_peer_certificate
// (it became a macro for SSL_get1_peer_certificate), so civetweb's pointer is
// null and every TLS connection crashes the server. The exporter binary is
// linked with the soname "libssl.so" (see exporter/CMakeLists.txt): the
// dynamic loader then answers civetweb's dlopen with the binary itself, whose
// lookup scope finds this function first and the real libssl for the rest.
#include <openssl/ssl.h>

#undef SSL_get_peer_certificate

extern "C" X509* SSL_get_peer_certificate(const SSL* ssl) {
  // civetweb frees the certificate it gets, as with the 1.1 function.
  return SSL_get1_peer_certificate(ssl);
}
