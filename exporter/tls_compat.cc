// Makes TLS work with Debian 12's civetweb 1.15 and OpenSSL 3, with only the
// runtime packages installed.
//
// civetweb loads OpenSSL at run time with dlopen("libssl.so") and
// dlopen("libcrypto.so") and looks its functions up by name. Two problems:
// - those unversioned names are symlinks that only libssl-dev installs, so
//   a production machine or the container image has neither;
// - OpenSSL 3 no longer exports SSL_get_peer_certificate (it became a macro
//   for SSL_get1_peer_certificate), so civetweb's pointer would be null and
//   every TLS connection would crash the server.
// The binary therefore defines dlopen (exported, so civetweb's calls bind
// here) and answers those two names itself: "libcrypto.so" is opened as
// libcrypto.so.3, and "libssl.so" as the main program, whose lookup scope
// finds the SSL_get_peer_certificate below first and then the libssl.so.3
// that LoadLibSslForCivetweb (openssl.cc) opened RTLD_GLOBAL. Every other
// name goes to the real dlopen unchanged.
#include <dlfcn.h>
#include <openssl/ssl.h>

#include <cstring>

#undef SSL_get_peer_certificate

extern "C" X509* SSL_get_peer_certificate(const SSL* ssl) {
  using Get1 = X509* (*)(const SSL*);
  // civetweb frees the certificate it gets, as with the 1.1 function.
  static const Get1 get1 =
      reinterpret_cast<Get1>(dlsym(RTLD_DEFAULT, "SSL_get1_peer_certificate"));
  return get1 != nullptr ? get1(ssl) : nullptr;
}

extern "C" void* dlopen(const char* file, int mode) {
  using Open = void* (*)(const char*, int);
  static const Open next = reinterpret_cast<Open>(dlsym(RTLD_NEXT, "dlopen"));
  if (next == nullptr) return nullptr;
  if (file != nullptr && std::strcmp(file, "libssl.so") == 0) {
    return next(nullptr, mode);
  }
  if (file != nullptr && std::strcmp(file, "libcrypto.so") == 0) {
    return next("libcrypto.so.3", mode);
  }
  return next(file, mode);
}
