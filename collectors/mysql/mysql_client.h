// A persistent connection to one MariaDB/MySQL server; the only file doing
// MySQL-protocol I/O. It uses libmariadb's non-blocking API so that every
// step (connect, query, each result) is bounded by the caller's deadline to
// the millisecond: a stopped server cannot hang a scrape.
#ifndef DATASTORE_EXPORTER_COLLECTORS_MYSQL_MYSQL_CLIENT_H_
#define DATASTORE_EXPORTER_COLLECTORS_MYSQL_MYSQL_CLIENT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collectors/mysql/mysql_parse.h"
#include "exporter/model/target.h"

struct st_mysql;
struct st_mysql_res;

namespace dse::mysql {

// What one round trip gave: a result set for each statement that ran, then
// the server error that stopped the others, if any (without one, there is a
// result per statement). A server error leaves the connection usable.
struct QueryReply {
  std::vector<ResultSet> results;
  unsigned int error_code = 0;  // Of statement results.size(); 0 = none.
  std::string error_message;
};

class Connection {
 public:
  // `timeout` is the target's timeout: libmariadb's own connect, read and
  // write timeouts are set from it as a backstop to the per-call deadline.
  // One Query's replies may take `max_reply_bytes`; more fails it.
  Connection(HostPort address, std::string username, SecretSource password,
             absl::Duration timeout, size_t max_reply_bytes);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects (over TCP, authenticating) unless already connected.
  absl::Status Connect(absl::Time deadline);
  // The server's version from the handshake ("10.11.19-MariaDB-0+deb12u1");
  // valid once connected.
  const std::string& server_version() const { return server_version_; }

  // Sends `statements` as one multi-statement query (one round trip) and
  // reads every result. Connects first when needed; a kept connection that
  // the server closed since the last call is reopened once. An I/O error or
  // the deadline closes the connection so that the next call opens a fresh
  // one.
  absl::StatusOr<QueryReply> Query(const std::vector<std::string>& statements,
                                   absl::Time deadline);

 private:
  // Waits for the events a non-blocking call asked for and continues it,
  // until it is done or the deadline passes.
  absl::Status Drive(int status, const std::function<int(int)>& resume,
                     absl::Time deadline, absl::string_view what);
  // Drive, and the connection closed when it fails (a call cut short leaves
  // the protocol in an unknown state).
  absl::Status DriveOrClose(int status, const std::function<int(int)>& resume,
                            absl::Time deadline, absl::string_view what);
  // An error of the last call, as a status (closing the connection when it
  // is a client-side error such as a lost connection).
  absl::Status ClientError(absl::string_view what);
  // Reads the rows of a result one at a time: the deadline and the byte
  // limit are checked after each.
  absl::StatusOr<ResultSet> FetchRows(st_mysql_res* result,
                                      absl::Time deadline);
  absl::StatusOr<QueryReply> QueryOnce(
      const std::vector<std::string>& statements, absl::Time deadline);
  void Close();

  const HostPort address_;
  const std::string username_;
  const SecretSource password_;
  const absl::Duration timeout_;
  const size_t max_reply_bytes_;
  size_t received_ = 0;  // Bytes read by the library in this Query.
  st_mysql* mysql_ = nullptr;
  std::string server_version_;
};

}  // namespace dse::mysql

#endif  // DATASTORE_EXPORTER_COLLECTORS_MYSQL_MYSQL_CLIENT_H_
