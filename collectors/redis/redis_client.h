// A persistent connection to one Redis server; the only file doing Redis I/O.
#ifndef DATASTORE_EXPORTER_COLLECTORS_REDIS_REDIS_CLIENT_H_
#define DATASTORE_EXPORTER_COLLECTORS_REDIS_REDIS_CLIENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "exporter/config.h"

struct redisContext;

namespace dse::redis {

struct Reply {
  bool error = false;  // An error reply ("-ERR ..."); `text` holds it.
  std::string text;    // A bulk or status reply.
};

class Connection {
 public:
  Connection(HostPort address, std::string username, SecretSource password);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends every command in one write and reads every reply: one round trip.
  // Connects (and authenticates) first when needed. Any I/O error closes the
  // connection so that the next call opens a fresh one.
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands,
      absl::Time deadline);

 private:
  absl::Status Connect(absl::Time deadline);
  absl::Status SetDeadline(absl::Time deadline);
  absl::StatusOr<std::vector<Reply>> Exchange(
      const std::vector<std::vector<std::string>>& commands,
      absl::Time deadline);
  void Close();

  const HostPort address_;
  const std::string username_;
  const SecretSource password_;
  redisContext* context_ = nullptr;
};

}  // namespace dse::redis

#endif  // DATASTORE_EXPORTER_COLLECTORS_REDIS_REDIS_CLIENT_H_
