#include "collectors/mysql/mysql_client.h"

#include <errno.h>
#include <poll.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "collectors/mysql/libmariadb.h"
#include "collectors/net/socket.h"

namespace dse::mysql {
namespace {

// The library's functions. Only called on a connection, which Connect opens
// after LoadLibMariaDb succeeded.
const LibMariaDb& Api() { return **LoadLibMariaDb(); }

// Server errors that mean the user or its password was refused.
constexpr unsigned int kAccessDenied = 1045;  // ER_ACCESS_DENIED_ERROR
constexpr unsigned int kAccessDeniedNoPassword =
    1698;  // ER_ACCESS_DENIED_NO_PASSWORD_ERROR

// Errors raised by the client library itself (lost connection, timeout,
// protocol) rather than by the server: the connection cannot be reused.
bool IsClientError(unsigned int code) {
  return (code >= 2000 && code <= 2999) || (code >= 5000 && code <= 5999);
}

}  // namespace

Connection::Connection(HostPort address, std::string username,
                       SecretSource password, absl::Duration timeout,
                       size_t max_reply_bytes)
    : address_(std::move(address)),
      username_(std::move(username)),
      password_(std::move(password)),
      timeout_(timeout),
      max_reply_bytes_(max_reply_bytes) {}

Connection::~Connection() {
  if (mysql_ != nullptr) Api().mysql_close(mysql_);  // Says goodbye (COM_QUIT).
}

void Connection::Close() {
  if (mysql_ == nullptr) return;
  // The connection may be in the middle of an exchange with a server that
  // does not answer: make mysql_close's own I/O fail at once.
  Api().mariadb_cancel(mysql_);
  Api().mysql_close(mysql_);
  mysql_ = nullptr;
  server_version_.clear();
}

absl::Status Connection::ClientError(absl::string_view what) {
  const unsigned int code = Api().mysql_errno(mysql_);
  std::string message = absl::StrCat(what, ": ", Api().mysql_error(mysql_));
  Close();
  if (code == kAccessDenied || code == kAccessDeniedNoPassword) {
    return absl::PermissionDeniedError(message);
  }
  return absl::UnavailableError(message);
}

absl::Status Connection::DriveOrClose(int status,
                                      const std::function<int(int)>& resume,
                                      absl::Time deadline,
                                      absl::string_view what) {
  absl::Status driven = Drive(status, resume, deadline, what);
  if (!driven.ok()) Close();
  return driven;
}

absl::Status Connection::Drive(int status,
                               const std::function<int(int)>& resume,
                               absl::Time deadline, absl::string_view what) {
  // Each pass either hands an event to libmariadb or ends at the deadline.
  while (status != 0) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(what, ": timed out"));
    }
    int wait_ms = static_cast<int>(std::min<int64_t>(
        absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))),
        INT_MAX));
    bool library_timeout = false;
    if ((status & MYSQL_WAIT_TIMEOUT) != 0) {
      const unsigned int library_ms = Api().mysql_get_timeout_value_ms(mysql_);
      if (library_ms <= static_cast<unsigned int>(wait_ms)) {
        wait_ms = static_cast<int>(library_ms);
        library_timeout = true;
      }
    }
    pollfd socket{Api().mysql_get_socket(mysql_), 0, 0};
    if ((status & MYSQL_WAIT_READ) != 0) socket.events |= POLLIN;
    if ((status & MYSQL_WAIT_WRITE) != 0) socket.events |= POLLOUT;
    if ((status & MYSQL_WAIT_EXCEPT) != 0) socket.events |= POLLPRI;
    const int ready = poll(&socket, 1, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(
          absl::StrCat(what, ": poll: ", std::strerror(errno)));
    }
    if ((socket.revents & POLLIN) != 0) {
      // libmariadb buffers a whole result: the bytes waiting before each
      // read are summed to stop a server that sends without end.
      received_ += net::PendingBytes(socket.fd);
      if (received_ > max_reply_bytes_) {
        absl::Status too_large = ReplyTooLarge(max_reply_bytes_);
        return absl::Status(too_large.code(),
                            absl::StrCat(what, ": ", too_large.message()));
      }
    }
    int events = 0;
    if (ready == 0) {
      if (!library_timeout) continue;  // Our deadline: checked above.
      events = MYSQL_WAIT_TIMEOUT;
    } else {
      if ((socket.revents & POLLIN) != 0) events |= MYSQL_WAIT_READ;
      if ((socket.revents & POLLOUT) != 0) events |= MYSQL_WAIT_WRITE;
      if ((socket.revents & POLLPRI) != 0) events |= MYSQL_WAIT_EXCEPT;
      // A hang-up or error: let the library's next read or write find it.
      if ((socket.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
        events |= status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE);
      }
    }
    status = resume(events);
  }
  return absl::OkStatus();
}

absl::Status Connection::Connect(absl::Time deadline) {
  if (mysql_ != nullptr) return absl::OkStatus();
  // Loads and initializes the library once; every call below needs it.
  auto library = LoadLibMariaDb();
  if (!library.ok()) return library.status();
  auto password = ReadSecret(password_);
  if (!password.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("password: ", password.status().message()));
  }
  mysql_ = Api().mysql_init(nullptr);
  if (mysql_ == nullptr) {
    return absl::ResourceExhaustedError("connect: out of memory");
  }
  // Backstops for any I/O outside the non-blocking calls (mysql_close's
  // COM_QUIT); the deadline bounds everything else more tightly.
  unsigned int seconds = static_cast<unsigned int>(std::max<int64_t>(
      1, absl::ToInt64Seconds(absl::Ceil(timeout_, absl::Seconds(1)))));
  // TCP even for "localhost", which libmariadb would otherwise take to mean
  // the default unix socket, whatever the port.
  unsigned int protocol = MYSQL_PROTOCOL_TCP;
  unsigned int no_local_files = 0;
  Api().mysql_options(mysql_, MYSQL_OPT_NONBLOCK, nullptr);
  Api().mysql_options(mysql_, MYSQL_OPT_PROTOCOL, &protocol);
  Api().mysql_options(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &seconds);
  Api().mysql_options(mysql_, MYSQL_OPT_READ_TIMEOUT, &seconds);
  Api().mysql_options(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &seconds);
  Api().mysql_options(mysql_, MYSQL_OPT_LOCAL_INFILE, &no_local_files);
  // libmariadb allocates a packet as large as its header announces, up to
  // this bound.
  unsigned long max_packet = max_reply_bytes_;
  Api().mysql_options(mysql_, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
  Api().mysql_optionsv(mysql_, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name",
                       "datastore_exporter");

  MYSQL* connected = nullptr;
  const char* user = username_.empty() ? nullptr : username_.c_str();
  absl::Status driven = DriveOrClose(
      Api().mysql_real_connect_start(&connected, mysql_, address_.host.c_str(),
                                     user, password->c_str(), nullptr,
                                     static_cast<unsigned int>(address_.port),
                                     nullptr, CLIENT_MULTI_STATEMENTS),
      [&](int events) {
        return Api().mysql_real_connect_cont(&connected, mysql_, events);
      },
      deadline, "connect");
  if (!driven.ok()) return driven;
  if (connected == nullptr) return ClientError("connect");
  server_version_ = Api().mysql_get_server_info(mysql_);
  return absl::OkStatus();
}

absl::StatusOr<QueryReply> Connection::Query(
    const std::vector<std::string>& statements, absl::Time deadline) {
  received_ = 0;
  const bool reused = mysql_ != nullptr;
  absl::StatusOr<QueryReply> reply = QueryOnce(statements, deadline);
  // A kept connection may have been closed by the server since the last
  // scrape (restart, wait_timeout): try once more on a fresh one. Timeouts
  // are not retried: the deadline has passed.
  // Only when nothing came back: a server that answered part of the reply
  // does not get a second budget.
  if (reused && received_ == 0 && absl::IsUnavailable(reply.status())) {
    reply = QueryOnce(statements, deadline);
  }
  return reply;
}

absl::StatusOr<ResultSet> Connection::FetchRows(MYSQL_RES* result,
                                                absl::Time deadline) {
  ResultSet set;
  const unsigned int width = Api().mysql_num_fields(result);
  const MYSQL_FIELD* fields = Api().mysql_fetch_fields(result);
  for (unsigned int i = 0; i < width; ++i) {
    set.columns.emplace_back(fields[i].name, fields[i].name_length);
  }
  size_t bytes = 0;  // Of the values kept, which libmariadb frees per row.
  for (;;) {
    MYSQL_ROW row = nullptr;
    absl::Status driven = Drive(
        Api().mysql_fetch_row_start(&row, result),
        [&](int events) {
          return Api().mysql_fetch_row_cont(&row, result, events);
        },
        deadline, "query");
    if (!driven.ok()) return driven;
    if (row == nullptr) return set;  // The last row, or an error.
    const unsigned long* lengths = Api().mysql_fetch_lengths(result);
    std::vector<std::optional<std::string>> values(width);
    for (unsigned int i = 0; i < width; ++i) {
      if (row[i] == nullptr) continue;
      bytes += lengths[i];
      values[i].emplace(row[i], lengths[i]);
    }
    if (bytes > max_reply_bytes_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("query: ", ReplyTooLarge(max_reply_bytes_).message()));
    }
    // A row that was already buffered takes no wait, so Drive did not look.
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError("query: timed out");
    }
    set.rows.push_back(std::move(values));
  }
}

absl::StatusOr<QueryReply> Connection::QueryOnce(
    const std::vector<std::string>& statements, absl::Time deadline) {
  absl::Status connected = Connect(deadline);
  if (!connected.ok()) return connected;
  const std::string sql = absl::StrJoin(statements, "; ");
  QueryReply reply;
  // A failed statement: a server error is the reply's, a client error (lost
  // connection) is the call's.
  auto failed = [&]() -> absl::StatusOr<QueryReply> {
    const unsigned int code = Api().mysql_errno(mysql_);
    if (IsClientError(code)) return ClientError("query");
    reply.error_code = code;
    reply.error_message = Api().mysql_error(mysql_);
    return std::move(reply);
  };

  int error = 0;
  absl::Status driven = DriveOrClose(
      Api().mysql_real_query_start(&error, mysql_, sql.data(), sql.size()),
      [&](int events) {
        return Api().mysql_real_query_cont(&error, mysql_, events);
      },
      deadline, "query");
  if (!driven.ok()) return driven;
  if (error != 0) return failed();

  // One result per statement; the loop ends after as many.
  while (reply.results.size() < statements.size()) {
    // Unbuffered: mysql_store_result would read a server that streams rows
    // without end in one call, past the deadline and the limit.
    MYSQL_RES* result = Api().mysql_use_result(mysql_);
    if (result == nullptr) {
      if (Api().mysql_field_count(mysql_) != 0) return failed();
      reply.results.emplace_back();  // A statement without rows.
    } else {
      absl::StatusOr<ResultSet> rows = FetchRows(result, deadline);
      if (!rows.ok()) {
        // Freeing an unfinished result reads its remaining rows: the
        // connection is cut first so that those reads fail at once.
        Api().mariadb_cancel(mysql_);
        Api().mysql_free_result(result);
        Close();
        return rows.status();
      }
      Api().mysql_free_result(result);
      // The rows ended on an error (a lost connection, a killed query).
      if (Api().mysql_errno(mysql_) != 0) return failed();
      reply.results.push_back(*std::move(rows));
    }
    if (!Api().mysql_more_results(mysql_)) break;
    int next = 0;
    driven = DriveOrClose(
        Api().mysql_next_result_start(&next, mysql_),
        [&](int events) {
          return Api().mysql_next_result_cont(&next, mysql_, events);
        },
        deadline, "query");
    if (!driven.ok()) return driven;
    if (next > 0) return failed();
  }
  if (reply.results.size() != statements.size() ||
      Api().mysql_more_results(mysql_)) {
    std::string message =
        absl::StrCat("query: ", statements.size(), " statements gave ",
                     Api().mysql_more_results(mysql_)
                         ? "more results"
                         : absl::StrCat(reply.results.size(), " results"));
    Close();
    return absl::InternalError(message);
  }
  return reply;
}

}  // namespace dse::mysql
