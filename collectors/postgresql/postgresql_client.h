// A persistent libpq connection to one PostgreSQL server; the only file doing
// PostgreSQL I/O.
#ifndef DATASTORE_EXPORTER_COLLECTORS_POSTGRESQL_POSTGRESQL_CLIENT_H_
#define DATASTORE_EXPORTER_COLLECTORS_POSTGRESQL_POSTGRESQL_CLIENT_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collectors/postgresql/libpq.h"
#include "collectors/postgresql/postgresql_parse.h"
#include "exporter/model/target.h"

namespace dse::postgresql {

struct ConnectionSettings {
  HostPort address;
  std::string username;   // "" lets libpq choose (PGUSER, else the OS user).
  SecretSource password;  // Empty: libpq's own (.pgpass, PGPASSWORD).
  // libpq keywords passed through unchanged (dbname, sslmode, ...).
  std::map<std::string, std::string> options;
  // Server-side bound on each statement (statement_timeout).
  absl::Duration statement_timeout = absl::Seconds(5);
  // Bytes one query's reply may take; more fails it.
  size_t max_reply_bytes = kDefaultMaxReplyBytes;
};

class Connection {
 public:
  explicit Connection(ConnectionSettings settings);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql`, which must return exactly one row, in one round trip and
  // returns that row. Connects first when needed; a connection that the
  // server closed since the last call is reopened once. Returns by
  // `deadline` whatever the server does (libpq's non-blocking API, waiting
  // with poll() until the deadline). After an I/O error or a timeout the
  // connection is closed, so that the next call opens a fresh one.
  absl::StatusOr<Row> QueryRow(const char* sql, absl::Time deadline);

 private:
  absl::Status Connect(absl::Time deadline);
  absl::StatusOr<Row> Exchange(const char* sql, absl::Time deadline);
  // Waits until the connection's socket has one of the poll() `events`
  // (or an error). Fails with DeadlineExceeded at the deadline.
  absl::Status WaitForSocket(short events, absl::Time deadline);
  void Close();

  const ConnectionSettings settings_;
  const LibPq* pq_ = nullptr;  // Set by Connect; non-null with connection_.
  PGconn* connection_ = nullptr;
};

// The "host", "hostaddr" and "port" keywords of a libpq connection string
// (keyword=value pairs or a postgresql:// URI), as libpq itself parses it
// (PQconninfoParse: nothing from the environment or a service file). Only
// these three are returned, so that a password in the string goes no
// further; a string libpq cannot parse fails without being quoted.
absl::StatusOr<std::map<std::string, std::string>> ConninfoAddressKeywords(
    const std::string& conninfo);

}  // namespace dse::postgresql

#endif  // DATASTORE_EXPORTER_COLLECTORS_POSTGRESQL_POSTGRESQL_CLIENT_H_
