// libpq, loaded when the first PostgreSQL target is collected (see
// exporter/model/shared_library.h for why it is not linked).
#ifndef DATASTORE_EXPORTER_COLLECTORS_POSTGRESQL_LIBPQ_H_
#define DATASTORE_EXPORTER_COLLECTORS_POSTGRESQL_LIBPQ_H_

#include <libpq-fe.h>

#include "absl/status/statusor.h"
#include "exporter/model/shared_library.h"

namespace dse::postgresql {

// clang-format off
#define DSE_LIBPQ_FUNCTIONS(X) \
  X(PQclear) \
  X(PQconnectPoll) \
  X(PQconnectStartParams) \
  X(PQconninfoFree) \
  X(PQconninfoParse) \
  X(PQconnectionNeedsPassword) \
  X(PQconsumeInput) \
  X(PQerrorMessage) \
  X(PQfinish) \
  X(PQflush) \
  X(PQfname) \
  X(PQgetResult) \
  X(PQgetisnull) \
  X(PQgetlength) \
  X(PQgetvalue) \
  X(PQisBusy) \
  X(PQnfields) \
  X(PQntuples) \
  X(PQresultErrorMessage) \
  X(PQresultStatus) \
  X(PQsendQuery) \
  X(PQsetNoticeProcessor) \
  X(PQsetnonblocking) \
  X(PQsocket) \
  X(PQstatus)
// clang-format on

struct LibPq {
  DSE_LIBRARY_FIELDS(DSE_LIBPQ_FUNCTIONS)
};

// libpq.so.5, loaded on the first call; the error names the library.
absl::StatusOr<const LibPq*> LoadLibPq();

}  // namespace dse::postgresql

#endif  // DATASTORE_EXPORTER_COLLECTORS_POSTGRESQL_LIBPQ_H_
