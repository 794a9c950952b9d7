#include "collectors/postgresql/libpq.h"

namespace dse::postgresql {

absl::StatusOr<const LibPq*> LoadLibPq() {
  static Library<LibPq> library(
      "libpq.so.5", "libpq5", [](SymbolResolver& resolve, LibPq& api) {
        DSE_LIBRARY_RESOLVE(DSE_LIBPQ_FUNCTIONS, resolve, api);
      });
  return library.Get();
}

}  // namespace dse::postgresql
