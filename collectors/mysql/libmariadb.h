// libmariadb, loaded when the first MySQL/MariaDB target is collected (see
// exporter/model/shared_library.h for why it is not linked).
#ifndef DATASTORE_EXPORTER_COLLECTORS_MYSQL_LIBMARIADB_H_
#define DATASTORE_EXPORTER_COLLECTORS_MYSQL_LIBMARIADB_H_

#include <mysql.h>

#include "absl/status/statusor.h"
#include "exporter/model/shared_library.h"

namespace dse::mysql {

// mysql_library_init is a macro for mysql_server_init in mysql.h.
// clang-format off
#define DSE_LIBMARIADB_FUNCTIONS(X) \
  X(mariadb_cancel) \
  X(mysql_close) \
  X(mysql_errno) \
  X(mysql_error) \
  X(mysql_fetch_fields) \
  X(mysql_fetch_lengths) \
  X(mysql_fetch_row_cont) \
  X(mysql_fetch_row_start) \
  X(mysql_field_count) \
  X(mysql_free_result) \
  X(mysql_get_server_info) \
  X(mysql_get_socket) \
  X(mysql_get_timeout_value_ms) \
  X(mysql_init) \
  X(mysql_server_init) \
  X(mysql_more_results) \
  X(mysql_next_result_cont) \
  X(mysql_next_result_start) \
  X(mysql_num_fields) \
  X(mysql_options) \
  X(mysql_optionsv) \
  X(mysql_real_connect_cont) \
  X(mysql_real_connect_start) \
  X(mysql_real_query_cont) \
  X(mysql_real_query_start) \
  X(mysql_use_result)
// clang-format on

struct LibMariaDb {
  DSE_LIBRARY_FIELDS(DSE_LIBMARIADB_FUNCTIONS)
};

// libmariadb.so.3, loaded and initialized (mysql_library_init) on the first
// call; the error names the library.
absl::StatusOr<const LibMariaDb*> LoadLibMariaDb();

}  // namespace dse::mysql

#endif  // DATASTORE_EXPORTER_COLLECTORS_MYSQL_LIBMARIADB_H_
