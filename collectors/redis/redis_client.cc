#include "collectors/redis/redis_client.h"

#include <hiredis/hiredis.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace dse::redis {
namespace {

absl::Status WithCommand(const std::string& command,
                         const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(command, ": ", status.message()));
}

// Formats the commands into one buffer in the Redis protocol.
absl::StatusOr<std::string> Format(
    const std::vector<std::vector<std::string>>& commands) {
  std::string out;
  for (const auto& command : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    char* formatted = nullptr;
    int length = redisFormatCommandArgv(
        &formatted, static_cast<int>(argv.size()), argv.data(), lengths.data());
    if (length < 0) return absl::ResourceExhaustedError("out of memory");
    out.append(formatted, static_cast<size_t>(length));
    redisFreeCommand(formatted);
  }
  return out;
}

}  // namespace

void Connection::ReaderDeleter::operator()(redisReader* reader) const {
  redisReaderFree(reader);
}

Connection::Connection(HostPort address, std::string username,
                       SecretSource password, size_t max_reply_bytes)
    : address_(std::move(address)),
      username_(std::move(username)),
      password_(std::move(password)),
      max_reply_bytes_(max_reply_bytes) {}

Connection::~Connection() = default;

void Connection::Close() {
  socket_.Close();
  reader_.reset();
}

absl::Status Connection::Connect(absl::Time deadline) {
  Close();
  absl::Status connected = socket_.Connect(address_, deadline);
  if (!connected.ok()) return connected;
  reader_.reset(redisReaderCreate());
  if (reader_ == nullptr) {
    Close();
    return absl::ResourceExhaustedError("connect: out of memory");
  }
  auto password = ReadSecret(password_);
  if (!password.ok()) {
    Close();
    return absl::FailedPreconditionError(
        absl::StrCat("password: ", password.status().message()));
  }
  if (password->empty()) return absl::OkStatus();
  std::vector<std::string> auth = {"AUTH"};
  if (!username_.empty()) auth.push_back(username_);
  auth.push_back(*password);
  bool nothing_back = false;
  auto replies = Exchange({auth}, deadline, &nothing_back);
  if (!replies.ok()) return replies.status();
  if ((*replies)[0].error) {
    Close();
    // A server without AUTH echoes its arguments in the error
    // ("unknown command 'AUTH', with args beginning with: '...'"), cut
    // after 128 characters: what follows that phrase is dropped, and the
    // rest scrubbed of the password all the same.
    std::string why = (*replies)[0].text;
    const std::string echo = "with args beginning with:";
    if (size_t at = why.find(echo); at != std::string::npos) {
      why = absl::StrCat(why.substr(0, at + echo.size()), " ...");
    }
    return absl::PermissionDeniedError(
        absl::StrCat("AUTH: ", ScrubSecret(why, *password)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Reply> Connection::ReadReply(absl::Time deadline,
                                            size_t* received) {
  char buffer[16 * 1024];
  for (;;) {
    // Only bulk, status, integer and error replies answer our commands. An
    // array is refused before hiredis sees its header: hiredis 0.14
    // allocates the whole element table the header announces.
    redisReader* reader = reader_.get();
    if (reader->ridx == -1 && reader->pos < reader->len &&
        reader->buf[reader->pos] == '*') {
      return absl::UnavailableError("protocol error: unexpected array reply");
    }
    void* raw = nullptr;
    if (redisReaderGetReply(reader, &raw) != REDIS_OK) {
      return absl::UnavailableError(
          absl::StrCat("protocol error: ", reader->errstr));
    }
    if (raw != nullptr) {
      auto* reply = static_cast<redisReply*>(raw);
      Reply result;
      switch (reply->type) {
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
          result.text.assign(reply->str, reply->len);
          break;
        case REDIS_REPLY_ERROR:
          result.error = true;
          result.text.assign(reply->str, reply->len);
          break;
        case REDIS_REPLY_INTEGER:
          result.text = std::to_string(reply->integer);
          break;
        default:
          result.error = true;
          result.text = absl::StrCat("unexpected reply type ", reply->type);
      }
      freeReplyObject(reply);
      return result;
    }
    auto got = socket_.ReadSome(buffer, sizeof(buffer), deadline);
    if (!got.ok()) return got.status();
    if (*got == 0) {
      return absl::UnavailableError("connection closed by the server");
    }
    *received += *got;
    if (*received > max_reply_bytes_) {
      return ReplyTooLarge(max_reply_bytes_);
    }
    if (redisReaderFeed(reader, buffer, *got) != REDIS_OK) {
      return absl::ResourceExhaustedError("out of memory");
    }
  }
}

absl::StatusOr<std::vector<Reply>> Connection::Exchange(
    const std::vector<std::vector<std::string>>& commands, absl::Time deadline,
    bool* nothing_back) {
  *nothing_back = true;
  auto request = Format(commands);
  if (!request.ok()) return request.status();
  absl::Status sent = socket_.SendAll(*request, deadline);
  if (!sent.ok()) {
    Close();
    return WithCommand(commands[0][0], sent);
  }
  std::vector<Reply> replies;
  size_t received = 0;
  for (const auto& command : commands) {
    auto reply = ReadReply(deadline, &received);
    if (!reply.ok()) {
      *nothing_back = received == 0;
      Close();
      return WithCommand(command[0], reply.status());
    }
    replies.push_back(*std::move(reply));
  }
  *nothing_back = false;
  return replies;
}

absl::StatusOr<std::vector<Reply>> Connection::Pipeline(
    const std::vector<std::vector<std::string>>& commands,
    absl::Time deadline) {
  const bool reused = socket_.is_open();
  if (!reused) {
    absl::Status connected = Connect(deadline);
    if (!connected.ok()) return connected;
  }
  bool nothing_back = false;
  auto replies = Exchange(commands, deadline, &nothing_back);
  // A kept-open connection that the server closed meanwhile fails at once
  // with nothing read: that says nothing about the server, so try once on a
  // fresh connection. A timeout is not retried: the deadline is spent.
  if (!replies.ok() && reused && nothing_back &&
      absl::IsUnavailable(replies.status())) {
    absl::Status connected = Connect(deadline);
    if (!connected.ok()) return connected;
    replies = Exchange(commands, deadline, &nothing_back);
  }
  return replies;
}

}  // namespace dse::redis
