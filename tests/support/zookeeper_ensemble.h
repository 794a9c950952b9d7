// Test support: real ZooKeeper servers (Debian's zookeeper package, run with
// java) on free loopback ports: a standalone server or an ensemble.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_ZOOKEEPER_ENSEMBLE_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_ZOOKEEPER_ENSEMBLE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/process.h"

namespace dse::testing {

struct ZooKeeperOptions {
  // 1 gives a standalone server; more give an ensemble of voters with server
  // ids 1..servers.
  int servers = 3;
  // Value of 4lw.commands.whitelist ("srvr" is ZooKeeper's default).
  std::string whitelist = "srvr, conf";
  // Each server line also names the server's client address
  // (";127.0.0.1:PORT"), so that every server can tell the others' client
  // ports (discovery).
  bool client_addresses = false;
};

class ZooKeeperEnsemble {
 public:
  // Starts the servers in folders under `dir` (zoo.cfg, myid, data, log) and
  // waits until every one serves requests. Fails, never skips, when java or
  // the zookeeper package is missing.
  static absl::StatusOr<std::unique_ptr<ZooKeeperEnsemble>> Start(
      const TempDir& dir, const ZooKeeperOptions& options = {});

  int size() const { return static_cast<int>(servers_.size()); }
  // Client address ("127.0.0.1:port") of server `index` (0-based).
  std::string address(int index) const;
  // The server id in myid: index + 1 (0 for a standalone server).
  int server_id(int index) const;
  Process& process(int index) { return *servers_[index].process; }

  // Sends a four-letter word to server `index` (2 s timeout).
  absl::StatusOr<std::string> Command(int index, const std::string& word) const;
  // srvr's Mode ("leader", "follower", "standalone"...), or "" when the
  // server does not answer or does not serve requests.
  std::string Mode(int index) const;
  // srvr's Zxid, or nullopt as for Mode.
  std::optional<uint64_t> Zxid(int index) const;
  // Index of the one server in mode "leader"; -1 when there is none or more.
  int Leader() const;
  // Index of some server in mode `mode` other than `except`, or -1.
  int FindMode(const std::string& mode, int except = -1) const;

  // SIGKILLs server `index` and reaps it.
  void Kill(int index);
  // Starts a killed server again with its configuration and data, and waits
  // until it serves requests.
  absl::Status Restart(int index);
  // Creates the znode `path` through server `index` with ZooKeeper's Java
  // command-line client.
  absl::Status Create(int index, const std::string& path) const;
  // The log of server `index` (for failure messages).
  std::string Log(int index) const;

 private:
  struct Server {
    std::string folder;
    int client_port = 0;
    std::unique_ptr<Process> process;
  };
  ZooKeeperEnsemble() = default;
  absl::Status Launch(int index);
  absl::Status WaitServing(const std::vector<int>& indexes);

  std::string java_;
  std::vector<Server> servers_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_ZOOKEEPER_ENSEMBLE_H_
