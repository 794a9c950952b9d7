#include "collectors/mysql/libmariadb.h"

namespace dse::mysql {

absl::StatusOr<const LibMariaDb*> LoadLibMariaDb() {
  static Library<LibMariaDb> library(
      "libmariadb.so.3", "libmariadb3",
      // mysql_library_init: mysql_init is not thread-safe the first time.
      [](const LibMariaDb& api) {
        return api.mysql_server_init(0, nullptr, nullptr) == 0
                   ? absl::OkStatus()
                   : absl::InternalError("cannot initialize libmariadb");
      });
  return library.Get();
}

}  // namespace dse::mysql
