// Test support: a TCP server on a free loopback port that misbehaves on
// purpose, standing in for a hostile or broken datastore (never a stand-in
// for a datastore's normal behaviour: those tests use the real servers).
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_FAULT_SERVER_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_FAULT_SERVER_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace dse::testing {

class FaultServer {
 public:
  enum class Behaviour {
    kNeverAnswer,     // Reads whatever comes and never writes.
    kEndless,         // Writes `payload`, then 'x' without end.
    kTrickle,         // Writes `payload` one byte every `interval`.
    kReply,           // Writes `payload` once the request came; stays open.
    kReplyThenClose,  // Writes `payload` once the request came; closes.
  };

  // Listens on 127.0.0.1 at a free port; serves each connection on a thread
  // of its own until the client closes or the server is destroyed (each
  // loop stops by itself after `lifetime`). The payload goes out once the
  // client's first bytes came, or at once with `speaks_first` (protocols
  // where the server talks first: MySQL).
  FaultServer(Behaviour behaviour, std::string payload = "",
              absl::Duration interval = absl::Milliseconds(500),
              absl::Duration lifetime = absl::Seconds(60),
              bool speaks_first = false);
  ~FaultServer();
  FaultServer(const FaultServer&) = delete;
  FaultServer& operator=(const FaultServer&) = delete;

  int port() const { return port_; }
  std::string address() const;
  // Connections accepted so far.
  int connections() const { return connections_.load(); }

 private:
  void AcceptLoop();
  void Serve(int fd);

  const Behaviour behaviour_;
  const std::string payload_;
  const absl::Duration interval_;
  const absl::Time end_;
  const bool speaks_first_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::vector<std::thread> threads_;
  std::thread accept_thread_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_FAULT_SERVER_H_
