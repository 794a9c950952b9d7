// Test support: a real RabbitMQ cluster (Debian's rabbitmq-server 3.10) on
// free loopback ports, with an Erlang port mapper (epmd) of its own on
// 127.0.0.1, and the little of the management API the tests need to declare
// queues, publish and ask who leads a queue.
//
// The epmd that installing the package may leave on 0.0.0.0:4369 is never
// used, nor stopped: the nodes and their epmd find each other through
// ERL_EPMD_PORT, and every node starts with -start_epmd false.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_RABBITMQ_CLUSTER_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_RABBITMQ_CLUSTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tests/support/process.h"

namespace dse::testing {

class RabbitMqCluster {
 public:
  // The cluster's name (cluster_name): the exporter's display name.
  static constexpr char kName[] = "dse-rabbit";
  // A user with the "monitoring" tag and empty permissions on vhost "/"
  // (access to no resource, but its queues are listed), as the collector's
  // README advises; its password is monitoring_password().
  static constexpr char kMonitoringUser[] = "exporter";

  // Starts `size` nodes rabbit1@localhost... together (data, logs and HOME
  // under `dir`, one Erlang cookie, one scheduler each), joined by
  // classic_config peer discovery, and waits (at most 120 s) until every
  // node sees all of them running; then adds the monitoring user. The nodes
  // and then their epmd are killed (SIGKILL) when the cluster is destroyed.
  static absl::StatusOr<std::unique_ptr<RabbitMqCluster>> Start(
      const TempDir& dir, int size = 3);
  ~RabbitMqCluster();
  RabbitMqCluster(const RabbitMqCluster&) = delete;
  RabbitMqCluster& operator=(const RabbitMqCluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  // The Erlang node name of node i ("rabbit1@localhost" for node 0).
  const std::string& node_name(int i) const { return nodes_[i].name; }
  // The node whose Erlang node name is `name`, or -1.
  int NodeNamed(const std::string& name) const;
  // "127.0.0.1:<management port>" of node i: the exporter's target address.
  std::string address(int i) const;
  int prometheus_port(int i) const { return nodes_[i].prometheus_port; }
  const std::string& monitoring_password() const { return password_; }
  // The VM of node i (the launcher script execs it).
  Process& process(int i) { return *nodes_[i].process; }
  // SIGKILLs node i and reaps it.
  void Kill(int i);

  // The decoded JSON reply (null when empty) of a management API request to
  // node i as guest, `body` sent as JSON unless null; an error unless 2xx.
  absl::StatusOr<nlohmann::json> Api(
      int i, const std::string& method, const std::string& path,
      const nlohmann::json& body = nlohmann::json()) const;
  // Adds user `name` with the "monitoring" tag and, with `permissions`,
  // empty permissions on vhost "/" (without, it is listed no queue there).
  absl::Status AddMonitoringUser(const std::string& name,
                                 const std::string& password, bool permissions);
  // Declares durable queue `name` in vhost "/" through node i: "quorum" (its
  // first leader is node i) or "stream" (its first writer is node i).
  absl::Status DeclareQueue(int i, const std::string& name,
                            const std::string& type);
  // Publishes `count` persistent messages to queue `name` through node i,
  // each confirmed by the API.
  absl::Status Publish(int i, const std::string& name, int count = 1) const;
  // The leader (writer) of queue `name` in node i's record of it: a node
  // name, or "" when it names none or does not answer in 10 s.
  std::string LeaderSeenBy(int i, const std::string& name) const;
  // The node that leads queue `name`, when every node asked names it and it
  // is one of them (nodes in `skip` are not asked); -1 otherwise.
  int Leader(const std::string& name, const std::vector<int>& skip = {}) const;
  // The Raft commit index of quorum queue `name` on node i, as the
  // Prometheus plugin gives it (a snapshot refreshed every 5 s); -1 when
  // node i gives none.
  int64_t CommitIndexOn(int i, const std::string& name) const;
  // The cluster's rabbitmq_cluster_permanent_id, as node i's plugin gives it
  // (the exporter's cluster ID); "" when it does not answer.
  std::string PermanentId(int i) const;

 private:
  struct Node {
    std::string name;
    std::string folder;
    int amqp_port = 0;
    int dist_port = 0;
    int management_port = 0;
    int prometheus_port = 0;
    std::unique_ptr<Process> process;
  };
  RabbitMqCluster() = default;
  absl::Status StartNode(Node& node, int epmd_port, const std::string& cookie,
                         const std::vector<std::string>& peers);
  // True when every node answers and sees all of them running.
  bool Formed() const;
  // The text of GET path on node i's Prometheus plugin, or "".
  std::string Metrics(int i, const std::string& path) const;

  std::unique_ptr<Process> epmd_;
  std::vector<Node> nodes_;
  std::string password_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_RABBITMQ_CLUSTER_H_
