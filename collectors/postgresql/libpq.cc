#include "collectors/postgresql/libpq.h"

namespace dse::postgresql {

absl::StatusOr<const LibPq*> LoadLibPq() {
  static Library<LibPq> library("libpq.so.5", "libpq5");
  return library.Get();
}

}  // namespace dse::postgresql
