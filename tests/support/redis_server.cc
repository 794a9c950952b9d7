#include "tests/support/redis_server.h"

#include <hiredis/hiredis.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace dse::testing {

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(
    const TempDir& dir, const std::vector<std::string>& extra_args,
    bool cluster) {
  std::string binary = FindProgram("redis-server");
  if (binary.empty())
    return absl::NotFoundError("redis-server is not installed");
  std::unique_ptr<RedisServer> server(new RedisServer);
  server->port_ = FreePort(cluster ? 10000 : 0);
  std::string data = dir.Sub("redis-" + std::to_string(server->port_));
  std::vector<std::string> argv = {
      binary, "--port", std::to_string(server->port_), "--bind", "127.0.0.1",
      "--dir", data, "--save", "", "--appendonly", "no",
      // Replicas sync at once (the default waits 5 s).
      "--repl-diskless-sync-delay", "0"};
  if (cluster) {
    argv.insert(argv.end(),
                {"--cluster-enabled", "yes", "--cluster-config-file",
                 data + "/nodes.conf", "--cluster-node-timeout", "2000"});
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  server->argv_ = argv;
  server->log_path_ = data + "/log";
  absl::Status launched = server->Launch();
  if (!launched.ok()) return launched;
  return server;
}

absl::Status RedisServer::Launch() {
  ProcessOptions options;
  options.log_path = log_path_;
  auto process = Process::Start(argv_, options);
  if (!process.ok()) return process.status();
  process_ = *std::move(process);
  bool up = WaitFor(
      [&] {
        if (process_->Exited()) return true;
        auto pong = Command({"PING"});
        // NOAUTH also proves it is listening.
        return pong.ok() ||
               absl::StrContains(pong.status().message(), "NOAUTH");
      },
      absl::Seconds(10));
  if (!up || process_->Exited()) {
    return absl::UnavailableError(
        absl::StrCat("redis-server did not start: ", ReadFile(log_path_)));
  }
  return absl::OkStatus();
}

absl::Status RedisServer::Restart() {
  process_->Stop();
  return Launch();
}

absl::StatusOr<std::string> RedisServer::Command(
    const std::vector<std::string>& args) const {
  timeval timeout{2, 0};
  redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, timeout);
  if (context == nullptr || context->err) {
    std::string why = context ? context->errstr : "out of memory";
    if (context) redisFree(context);
    return absl::UnavailableError(why);
  }
  redisSetTimeout(context, timeout);
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* reply = static_cast<redisReply*>(redisCommandArgv(
      context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (reply == nullptr) {
    std::string why = context->errstr;
    redisFree(context);
    return absl::UnavailableError(why);
  }
  absl::StatusOr<std::string> result;
  if (reply->type == REDIS_REPLY_ERROR) {
    result = absl::FailedPreconditionError(std::string(reply->str, reply->len));
  } else if (reply->type == REDIS_REPLY_STRING ||
             reply->type == REDIS_REPLY_STATUS) {
    result = std::string(reply->str, reply->len);
  } else if (reply->type == REDIS_REPLY_INTEGER) {
    result = std::to_string(reply->integer);
  } else {
    result = std::string();
  }
  freeReplyObject(reply);
  redisFree(context);
  return result;
}

std::string RedisServer::InfoField(const std::string& field) const {
  auto info = Command({"INFO", "all"});
  if (!info.ok()) return "";
  for (absl::string_view line : absl::StrSplit(*info, '\n')) {
    line = absl::StripSuffix(line, "\r");
    if (absl::ConsumePrefix(&line, field + ":")) return std::string(line);
  }
  return "";
}

}  // namespace dse::testing
