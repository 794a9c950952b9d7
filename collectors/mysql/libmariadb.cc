#include "collectors/mysql/libmariadb.h"

namespace dse::mysql {

absl::StatusOr<const LibMariaDb*> LoadLibMariaDb() {
  static Library<LibMariaDb> library(
      "libmariadb.so.3", "libmariadb3",
      [](SymbolResolver& resolve, LibMariaDb& api) {
        DSE_LIBRARY_RESOLVE(DSE_LIBMARIADB_FUNCTIONS, resolve, api);
      });
  // Once, before any thread calls mysql_init (which is not thread-safe the
  // first time).
  static const absl::StatusOr<const LibMariaDb*> ready =
      [](absl::StatusOr<const LibMariaDb*> api)
      -> absl::StatusOr<const LibMariaDb*> {
    if (!api.ok()) return api;
    if ((*api)->mysql_server_init(0, nullptr, nullptr) != 0) {
      return absl::InternalError("cannot initialize libmariadb");
    }
    return api;
  }(library.Get());
  return ready;
}

}  // namespace dse::mysql
