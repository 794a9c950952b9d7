// A persistent connection to one Redis server; the only file doing Redis I/O.
#ifndef DATASTORE_EXPORTER_COLLECTORS_REDIS_REDIS_CLIENT_H_
#define DATASTORE_EXPORTER_COLLECTORS_REDIS_REDIS_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collectors/net/socket.h"
#include "exporter/model/target.h"

struct redisReader;

namespace dse::redis {

struct Reply {
  bool error = false;  // An error reply ("-ERR ..."); `text` holds it.
  std::string text;    // A bulk or status reply.
};

class Connection {
 public:
  // The replies of one Pipeline call may add up to `max_reply_bytes`.
  Connection(HostPort address, std::string username, SecretSource password,
             size_t max_reply_bytes);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends every command in one write and reads every reply: one round trip.
  // Connects (and authenticates) first when needed; when the kept-open
  // connection turns out closed by the server (a restart, its `timeout`),
  // connects once more within the same deadline. Every step stops at
  // `deadline` however the server behaves (trickling, never answering), and
  // replies over the size limit fail ("INFO: reply larger than N bytes").
  // Any error closes the connection so that the next call opens a fresh one.
  // Error texts never hold the password, even when the server echoes it.
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands,
      absl::Time deadline);

 private:
  struct ReaderDeleter {
    void operator()(redisReader* reader) const;
  };

  absl::Status Connect(absl::Time deadline);
  // `nothing_back` is set when the exchange failed before any reply byte
  // arrived: the mark of a connection the server had closed.
  absl::StatusOr<std::vector<Reply>> Exchange(
      const std::vector<std::vector<std::string>>& commands,
      absl::Time deadline, bool* nothing_back);
  absl::StatusOr<Reply> ReadReply(absl::Time deadline, size_t* received);
  void Close();

  const HostPort address_;
  const std::string username_;
  const SecretSource password_;
  const size_t max_reply_bytes_;
  net::Socket socket_;
  std::unique_ptr<redisReader, ReaderDeleter> reader_;
};

}  // namespace dse::redis

#endif  // DATASTORE_EXPORTER_COLLECTORS_REDIS_REDIS_CLIENT_H_
