// Loads a datastore's client library (libpq, libmariadb, libcurl, OpenSSL)
// when the first target of that kind needs it, not when the exporter starts.
//
// A sidecar scraping one Redis node then never maps libpq, libmariadb or
// libcurl and the dozen libraries those pull in (Kerberos, LDAP, GnuTLS...):
// on Debian 12 that is about 8 MB of resident memory saved per process.
//
// Each library is described by an X-macro list of the functions we call; the
// table of function pointers has the types of the library's own header, so
// every call is still type-checked:
//
//   #define DSE_LIBPQ_FUNCTIONS(X) X(PQconnectPoll) X(PQfinish)
//   struct LibPq { DSE_LIBRARY_FIELDS(DSE_LIBPQ_FUNCTIONS) };
//   ... static Library<LibPq> library("libpq.so.5", "libpq5");
#ifndef DATASTORE_EXPORTER_EXPORTER_MODEL_SHARED_LIBRARY_H_
#define DATASTORE_EXPORTER_EXPORTER_MODEL_SHARED_LIBRARY_H_

#include <functional>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"

namespace dse {

// Opens one shared library by soname and finds functions in it.
class SymbolResolver {
 public:
  SymbolResolver(const char* soname, void* handle)
      : soname_(soname), handle_(handle) {}

  // Sets `*function` to the library's `name`; remembers the first missing one.
  template <typename Function>
  void operator()(const char* name, Function* function) {
    *function = reinterpret_cast<Function>(Find(name));
  }
  const std::string& missing() const { return missing_; }

 private:
  void* Find(const char* name);

  const char* soname_;
  void* handle_;
  std::string missing_;
};

// Opens `soname` (RTLD_NOW, and RTLD_GLOBAL when `global`) and returns its
// handle, or an error naming the library and the Debian package it is in.
absl::StatusOr<void*> OpenSharedLibrary(const char* soname, const char* package,
                                        bool global);

// The function table `Api` of one library, loaded at most once, on first use,
// by any thread, then given to `init` (optional: the library's own global
// initialization, which must run once before any other call). A failed load
// is remembered: the library does not appear while the process runs.
template <typename Api>
class Library {
 public:
  using Init = std::function<absl::Status(const Api&)>;
  Library(const char* soname, const char* package, Init init = nullptr)
      : soname_(soname), package_(package), init_(std::move(init)) {}

  absl::StatusOr<const Api*> Get() {
    std::call_once(once_, [this] { loaded_ = Load(); });
    return loaded_;
  }

 private:
  absl::StatusOr<const Api*> Load() {
    auto handle = OpenSharedLibrary(soname_, package_, /*global=*/false);
    if (!handle.ok()) return handle.status();
    SymbolResolver resolve(soname_, *handle);
    api_.Resolve(resolve);
    if (!resolve.missing().empty()) {
      return absl::FailedPreconditionError(resolve.missing());
    }
    if (init_) {
      absl::Status ready = init_(api_);
      if (!ready.ok()) return ready;
    }
    return &api_;
  }

  const char* soname_;
  const char* package_;
  Init init_;
  std::once_flag once_;
  absl::StatusOr<const Api*> loaded_ = absl::UnknownError("not loaded");
  Api api_{};
};

}  // namespace dse

// One function-pointer member per function of a list, typed by its header,
// and Resolve(), which finds them all (Library calls it).
#define DSE_LIBRARY_FIELD(name) decltype(&::name) name = nullptr;
#define DSE_LIBRARY_RESOLVE_ONE(name) resolve(#name, &name);
#define DSE_LIBRARY_FIELDS(LIST) \
  LIST(DSE_LIBRARY_FIELD)        \
  void Resolve(::dse::SymbolResolver& resolve) { LIST(DSE_LIBRARY_RESOLVE_ONE) }

#endif  // DATASTORE_EXPORTER_EXPORTER_MODEL_SHARED_LIBRARY_H_
