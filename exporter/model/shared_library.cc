#include "exporter/model/shared_library.h"

#include <dlfcn.h>

#include "absl/strings/str_cat.h"

namespace dse {

void* SymbolResolver::Find(const char* name) {
  void* found = dlsym(handle_, name);
  if (found == nullptr && missing_.empty()) {
    missing_ = absl::StrCat(soname_, " has no function ", name,
                            " (an unsupported version of the library?)");
  }
  return found;
}

absl::StatusOr<void*> OpenSharedLibrary(const char* soname, const char* package,
                                        bool global) {
  // dlerror() is per thread; Library::Get serializes loads of one library.
  void* handle = dlopen(soname, RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
  if (handle == nullptr) {
    const char* why = dlerror();
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load ", soname, " (Debian package ", package,
                     "): ", why != nullptr ? why : "unknown error"));
  }
  return handle;
}

}  // namespace dse
