// Makes TLS work with Debian 12's civetweb 1.15 and OpenSSL 3.
//
// civetweb loads OpenSSL at run time with dlopen("libssl.so") and looks its
// functions up by name. OpenSSL 3 no longer exports SSL_get_peer_certificate
// (it became a macro for SSL_get1_peer_certificate), so civetweb's pointer is
// null and every TLS connection crashes the server. The exporter binary is
// linked with the soname "libssl.so" (see exporter/CMakeLists.txt): the
// dynamic loader then answers civetweb's dlopen with the binary itself, whose
// lookup scope finds this function first and, for the rest, the real
// libssl.so.3 that LoadLibSslForCivetweb (openssl.cc) opened RTLD_GLOBAL.
#include <dlfcn.h>
#include <openssl/ssl.h>

#undef SSL_get_peer_certificate

extern "C" X509* SSL_get_peer_certificate(const SSL* ssl) {
  using Get1 = X509* (*)(const SSL*);
  // civetweb frees the certificate it gets, as with the 1.1 function.
  static const Get1 get1 =
      reinterpret_cast<Get1>(dlsym(RTLD_DEFAULT, "SSL_get1_peer_certificate"));
  return get1 != nullptr ? get1(ssl) : nullptr;
}
