#include "collectors/redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace dse::redis {
namespace {

absl::StatusOr<timeval> Remaining(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError("timed out");
  }
  // A zero timeval would mean "no timeout" to the kernel.
  if (left < absl::Milliseconds(1)) left = absl::Milliseconds(1);
  return absl::ToTimeval(left);
}

}  // namespace

Connection::Connection(HostPort address, std::string username,
                       SecretSource password)
    : address_(std::move(address)),
      username_(std::move(username)),
      password_(std::move(password)) {}

Connection::~Connection() { Close(); }

void Connection::Close() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

absl::Status Connection::SetDeadline(absl::Time deadline) {
  auto left = Remaining(deadline);
  if (!left.ok()) return left.status();
  if (redisSetTimeout(context_, *left) != REDIS_OK) {
    return absl::UnavailableError("cannot set socket timeout");
  }
  return absl::OkStatus();
}

absl::Status Connection::Connect(absl::Time deadline) {
  auto left = Remaining(deadline);
  if (!left.ok()) return absl::DeadlineExceededError("connect: timed out");
  context_ =
      redisConnectWithTimeout(address_.host.c_str(), address_.port, *left);
  if (context_ == nullptr)
    return absl::ResourceExhaustedError("connect: out of memory");
  if (context_->err != 0) {
    std::string why = context_->errstr;
    Close();
    return absl::UnavailableError(absl::StrCat("connect: ", why));
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
  auto replies = Exchange({auth}, deadline);
  if (!replies.ok()) return replies.status();
  if ((*replies)[0].error) {
    std::string why = (*replies)[0].text;
    Close();
    // Redis's reply names neither the user's password nor ours.
    return absl::PermissionDeniedError(absl::StrCat("AUTH: ", why));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Reply>> Connection::Exchange(
    const std::vector<std::vector<std::string>>& commands,
    absl::Time deadline) {
  for (const auto& command : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(),
                           lengths.data());
  }
  std::vector<Reply> replies;
  for (size_t i = 0; i < commands.size(); ++i) {
    absl::Status timeout = SetDeadline(deadline);
    if (!timeout.ok()) {
      Close();
      return absl::DeadlineExceededError(
          absl::StrCat(commands[i][0], ": timed out"));
    }
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      std::string why = context_->errstr;
      // hiredis reports a socket timeout as "Resource temporarily unavailable".
      bool timed_out = context_->err == REDIS_ERR_IO &&
                       absl::Now() >= deadline - absl::Milliseconds(5);
      Close();
      if (timed_out) {
        return absl::DeadlineExceededError(
            absl::StrCat(commands[i][0], ": timed out"));
      }
      return absl::UnavailableError(absl::StrCat(commands[i][0], ": ", why));
    }
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
    replies.push_back(std::move(result));
  }
  return replies;
}

absl::StatusOr<std::vector<Reply>> Connection::Pipeline(
    const std::vector<std::vector<std::string>>& commands,
    absl::Time deadline) {
  if (context_ == nullptr) {
    absl::Status connected = Connect(deadline);
    if (!connected.ok()) return connected;
  }
  return Exchange(commands, deadline);
}

}  // namespace dse::redis
