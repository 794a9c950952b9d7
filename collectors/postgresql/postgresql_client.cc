#include "collectors/postgresql/postgresql_client.h"

#include <errno.h>
#include <poll.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "collectors/net/socket.h"

namespace dse::postgresql {
namespace {

// libpq's messages end with a newline and may span lines, indented with
// tabs ("connection to server at ... failed: FATAL:  ..."); logs want one
// line with single spaces.
std::string OneLine(const char* message) {
  if (message == nullptr) return "";
  return absl::StrJoin(
      absl::StrSplit(message, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty()),
      " ");
}

// Notices (warnings the server sends) would go to stderr by default.
void IgnoreNotice(void*, const char*) {}

}  // namespace

Connection::Connection(ConnectionSettings settings)
    : settings_(std::move(settings)) {}

Connection::~Connection() { Close(); }

void Connection::Close() {
  if (connection_ != nullptr) pq_->PQfinish(connection_);
  connection_ = nullptr;
}

absl::Status Connection::WaitForSocket(short events, absl::Time deadline) {
  // Bounded: every pass either returns or waits for the time that is left.
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("timed out");
    }
    pollfd socket{};
    socket.fd = pq_->PQsocket(connection_);
    if (socket.fd < 0) return absl::UnavailableError("connection is closed");
    socket.events = events;
    const int timeout_ms =
        static_cast<int>(std::ceil(absl::ToDoubleMilliseconds(left)));
    const int ready = poll(&socket, 1, timeout_ms);
    if (ready > 0) return absl::OkStatus();
    if (ready < 0 && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("poll: ", strerror(errno)));
    }
  }
}

absl::Status Connection::Connect(absl::Time deadline) {
  auto password = ReadSecret(settings_.password);
  if (!password.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("password: ", password.status().message()));
  }
  const int timeout_ms =
      static_cast<int>(absl::ToInt64Milliseconds(settings_.statement_timeout));
  const int64_t timeout_seconds = absl::ToInt64Seconds(
      absl::Ceil(deadline - absl::Now(), absl::Seconds(1)));
  std::map<std::string, std::string> parameters = {
      {"host", settings_.address.host},
      {"port", std::to_string(settings_.address.port)},
      {"dbname", "postgres"},
      {"application_name", "datastore_exporter"},
      // libpq reads connect_timeout only in its blocking calls; the poll loop
      // below is what bounds this attempt. Set for any path that blocks.
      {"connect_timeout",
       std::to_string(std::max<int64_t>(timeout_seconds, 1))},
      // The server gives up on a statement by itself too, so that a scrape
      // we abandoned does not keep a backend busy.
      {"options", absl::StrCat("-c statement_timeout=", timeout_ms)},
  };
  if (!settings_.username.empty()) parameters["user"] = settings_.username;
  if (!password->empty()) parameters["password"] = *password;
  for (const auto& [key, value] : settings_.options) parameters[key] = value;

  std::vector<const char*> keys, values;
  for (const auto& [key, value] : parameters) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  auto pq = LoadLibPq();
  if (!pq.ok()) return pq.status();
  pq_ = *pq;
  // expand_dbname = 0: dbname is a name, never a connection string.
  connection_ = pq_->PQconnectStartParams(keys.data(), values.data(), 0);
  if (connection_ == nullptr) {
    return absl::ResourceExhaustedError("connect: out of memory");
  }
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  if (pq_->PQstatus(connection_) == CONNECTION_BAD)
    state = PGRES_POLLING_FAILED;
  // Bounded by the deadline: each pass waits on the socket until then.
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) {
      std::string why = OneLine(pq_->PQerrorMessage(connection_));
      // A password was asked for and none given, or the server refused it
      // (SQLSTATE 28P01 or 28000, which libpq gives only as text).
      const bool refused = pq_->PQconnectionNeedsPassword(connection_) != 0 ||
                           absl::StrContains(why, "authentication failed");
      Close();
      // libpq's messages name the host, port and user, never the password.
      if (refused) {
        return absl::PermissionDeniedError(absl::StrCat("connect: ", why));
      }
      return absl::UnavailableError(absl::StrCat("connect: ", why));
    }
    absl::Status ready = WaitForSocket(
        state == PGRES_POLLING_WRITING ? POLLOUT : POLLIN, deadline);
    if (!ready.ok()) {
      Close();
      return absl::Status(ready.code(),
                          absl::StrCat("connect: ", ready.message()));
    }
    state = pq_->PQconnectPoll(connection_);
  }
  pq_->PQsetNoticeProcessor(connection_, &IgnoreNotice, nullptr);
  if (pq_->PQsetnonblocking(connection_, 1) != 0) {
    std::string why = OneLine(pq_->PQerrorMessage(connection_));
    Close();
    return absl::UnavailableError(absl::StrCat("connect: ", why));
  }
  return absl::OkStatus();
}

absl::StatusOr<Row> Connection::Exchange(const char* sql, absl::Time deadline) {
  auto fail = [this](absl::StatusCode code, absl::string_view why) {
    Close();
    return absl::Status(code, absl::StrCat("query: ", why));
  };
  if (pq_->PQsendQuery(connection_, sql) != 1) {
    return fail(absl::StatusCode::kUnavailable,
                OneLine(pq_->PQerrorMessage(connection_)));
  }
  // Send: PQflush returns 1 while data is left; the server may need us to
  // read before it reads more, hence PQconsumeInput.
  while (true) {
    const int flushed = pq_->PQflush(connection_);
    if (flushed == 0) break;
    if (flushed < 0) {
      return fail(absl::StatusCode::kUnavailable,
                  OneLine(pq_->PQerrorMessage(connection_)));
    }
    absl::Status ready = WaitForSocket(POLLIN | POLLOUT, deadline);
    if (!ready.ok()) return fail(ready.code(), ready.message());
    if (pq_->PQconsumeInput(connection_) != 1) {
      return fail(absl::StatusCode::kUnavailable,
                  OneLine(pq_->PQerrorMessage(connection_)));
    }
  }
  // Receive every result until libpq says the query is done (nullptr).
  // libpq buffers a whole result however large: the bytes waiting before
  // each read are summed to stop a server that sends without end.
  std::optional<Row> row;
  std::string error;
  size_t received = 0;
  while (true) {
    while (pq_->PQisBusy(connection_)) {
      absl::Status ready = WaitForSocket(POLLIN, deadline);
      if (!ready.ok()) return fail(ready.code(), ready.message());
      received += net::PendingBytes(pq_->PQsocket(connection_));
      if (received > settings_.max_reply_bytes) {
        absl::Status too_large = ReplyTooLarge(settings_.max_reply_bytes);
        return fail(too_large.code(), too_large.message());
      }
      if (pq_->PQconsumeInput(connection_) != 1) {
        return fail(absl::StatusCode::kUnavailable,
                    OneLine(pq_->PQerrorMessage(connection_)));
      }
    }
    PGresult* result = pq_->PQgetResult(connection_);
    if (result == nullptr) break;
    const ExecStatusType status = pq_->PQresultStatus(result);
    if (status == PGRES_TUPLES_OK && error.empty() && !row) {
      if (pq_->PQntuples(result) != 1) {
        error = absl::StrCat("expected one row, got ", pq_->PQntuples(result));
      } else {
        row.emplace();
        for (int column = 0; column < pq_->PQnfields(result); ++column) {
          std::optional<std::string> value;
          if (!pq_->PQgetisnull(result, 0, column)) {
            value.emplace(pq_->PQgetvalue(result, 0, column),
                          pq_->PQgetlength(result, 0, column));
          }
          row->emplace(pq_->PQfname(result, column), std::move(value));
        }
      }
    } else if (error.empty()) {
      error = status == PGRES_TUPLES_OK
                  ? "more than one result"
                  : OneLine(pq_->PQresultErrorMessage(result));
    }
    pq_->PQclear(result);
  }
  if (pq_->PQstatus(connection_) == CONNECTION_BAD) {
    return fail(
        absl::StatusCode::kUnavailable,
        error.empty() ? OneLine(pq_->PQerrorMessage(connection_)) : error);
  }
  // An SQL error leaves the connection usable: keep it.
  if (!error.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("query: ", error));
  }
  if (!row) return absl::InternalError("query: no result");
  return *std::move(row);
}

absl::StatusOr<Row> Connection::QueryRow(const char* sql, absl::Time deadline) {
  const bool reused = connection_ != nullptr;
  if (!reused) {
    absl::Status connected = Connect(deadline);
    if (!connected.ok()) return connected;
  }
  absl::StatusOr<Row> row = Exchange(sql, deadline);
  // A kept connection may have been closed by the server since the last
  // scrape (restart, idle_session_timeout, a proxy): try once more on a
  // fresh one. Timeouts are not retried: the deadline has passed.
  if (reused && absl::IsUnavailable(row.status())) {
    absl::Status connected = Connect(deadline);
    if (!connected.ok()) return connected;
    row = Exchange(sql, deadline);
  }
  return row;
}

absl::StatusOr<std::map<std::string, std::string>> ConninfoAddressKeywords(
    const std::string& conninfo) {
  auto pq = LoadLibPq();
  if (!pq.ok()) return pq.status();
  // No error message asked for: libpq's quotes the string, password and all.
  PQconninfoOption* options = (*pq)->PQconninfoParse(conninfo.c_str(), nullptr);
  if (options == nullptr) {
    return absl::InvalidArgumentError(
        "primary_conninfo is not a connection string libpq can parse");
  }
  std::map<std::string, std::string> keywords;
  for (const PQconninfoOption* option = options; option->keyword != nullptr;
       ++option) {
    const absl::string_view keyword = option->keyword;
    if (option->val != nullptr &&
        (keyword == "host" || keyword == "hostaddr" || keyword == "port")) {
      keywords.emplace(keyword, option->val);
    }
  }
  (*pq)->PQconninfoFree(options);
  return keywords;
}

}  // namespace dse::postgresql
