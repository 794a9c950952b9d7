// A TCP client socket whose every call stops at a wall-clock deadline, for the
// kinds that speak their protocol themselves (Redis, ZooKeeper).
//
// Non-blocking underneath: a peer that trickles bytes, never answers or
// streams without end cannot hold a call past its deadline, and the callers
// bound what they keep (ReadToEnd takes a limit).
#ifndef DATASTORE_EXPORTER_COLLECTORS_NET_SOCKET_H_
#define DATASTORE_EXPORTER_COLLECTORS_NET_SOCKET_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "exporter/model/target.h"

namespace dse::net {

class Socket {
 public:
  Socket() = default;
  ~Socket() { Close(); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  bool is_open() const { return fd_ >= 0; }
  void Close();

  // Resolves the host (a name lookup runs on a thread of its own, abandoned
  // at the deadline) and connects to the first of its addresses that
  // accepts. Errors: "resolve \"h\": ...", "connect: ...", "connect: timed
  // out".
  absl::Status Connect(const HostPort& address, absl::Time deadline);

  // Writes all of `data`. Errors: "write: ...", "timed out".
  absl::Status SendAll(absl::string_view data, absl::Time deadline);

  // Reads what is available (waiting for at least one byte) into `buffer`:
  // the count read, 0 when the peer closed the connection. Errors: "read:
  // ...", "timed out".
  absl::StatusOr<size_t> ReadSome(char* buffer, size_t size,
                                  absl::Time deadline);

  // Reads until the peer closes the connection. A reply over `limit` bytes
  // fails with "reply larger than N bytes".
  absl::StatusOr<std::string> ReadToEnd(size_t limit, absl::Time deadline);

 private:
  int fd_ = -1;
};

// Bytes waiting in the kernel to be read from socket `fd` (0 when unknown).
// For clients whose library reads the socket itself (libpq, libmariadb):
// summed before each read, it bounds what the library can have buffered.
size_t PendingBytes(int fd);

}  // namespace dse::net

#endif  // DATASTORE_EXPORTER_COLLECTORS_NET_SOCKET_H_
