// Test support: a real NATS JetStream cluster (Debian's nats-server) on free
// loopback ports, and the little of the NATS client protocol the tests need
// to create streams, move their leaders and publish (Debian ships no CLI).
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_NATS_CLUSTER_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_NATS_CLUSTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tests/support/process.h"

namespace dse::testing {

class NatsCluster {
 public:
  // The cluster's name: the cluster ID the exporter reports.
  static constexpr char kName[] = "dse-nats";

  // Starts `size` servers named n1, n2... with JetStream (stores in folders
  // under `dir`), each with routes to the others, and waits until all of
  // them are healthy and agree on a JetStream meta leader. They are killed
  // (SIGKILL) when the cluster is destroyed.
  //
  // With `own_hosts`, node i listens on 127.0.0.<i+1> only, all of them on
  // one monitoring port (as servers on separate hosts usually do).
  static absl::StatusOr<std::unique_ptr<NatsCluster>> Start(
      const TempDir& dir, int size = 3, bool own_hosts = false);

  int size() const { return static_cast<int>(nodes_.size()); }
  // The server_name of node i ("n1" for node 0).
  const std::string& name(int i) const { return nodes_[i].name; }
  // "<host>:<monitoring port>" of node i: the exporter's target address.
  std::string address(int i) const;
  // "<host>:<client port>" of node i.
  std::string client_address(int i) const;
  Process& process(int i) { return *nodes_[i].process; }
  // SIGKILLs node i and reaps it.
  void Kill(int i);

  // The decoded JSON of GET `path` on node i's monitoring port (1 s
  // timeout); an error unless the reply is 200 with JSON.
  absl::StatusOr<nlohmann::json> Monitor(int i, const std::string& path) const;
  // The leader of stream `stream` (account $G) as node i's /jsz gives it:
  // a server_name, or "" when it names none, holds no replica or does not
  // answer.
  std::string StreamLeaderSeenBy(int i, const std::string& stream) const;
  // The stream's last sequence on node i, or -1 (as StreamLeaderSeenBy).
  int64_t LastSequenceOn(int i, const std::string& stream) const;
  // The node that is leader of `stream` by its own /jsz, when every node
  // asked agrees (nodes in `skip` are not asked); -1 otherwise.
  int StreamLeader(const std::string& stream,
                   const std::vector<int>& skip = {}) const;

  // The decoded reply of the JetStream API request $JS.API.<subject> with
  // `body` (none when null), sent through node i; the API's error as an
  // error.
  absl::StatusOr<nlohmann::json> Api(
      int i, const std::string& subject,
      const nlohmann::json& body = nlohmann::json()) const;
  // Creates stream `stream` (file storage, subjects "<stream>.>") with
  // `replicas` replicas through node i.
  absl::Status CreateStream(int i, const std::string& stream, int replicas);
  // Publishes `count` messages to `subject` through node i, each waiting for
  // its JetStream ack; returns the last ack's stream sequence.
  absl::StatusOr<int64_t> Publish(int i, const std::string& subject,
                                  int count = 1) const;

 private:
  struct Node {
    std::string name;
    std::string host = "127.0.0.1";
    int client_port = 0;
    int cluster_port = 0;
    int monitor_port = 0;
    std::string log_path;
    std::unique_ptr<Process> process;
  };
  NatsCluster() = default;
  // True when every node is healthy and they agree on a meta leader.
  bool Formed() const;
  // Node i's stream_detail of `stream` in /jsz ({} when it has none).
  nlohmann::json StreamDetail(int i, const std::string& stream) const;

  std::vector<Node> nodes_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_NATS_CLUSTER_H_
