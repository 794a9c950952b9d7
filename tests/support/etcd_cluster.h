// Test support: a real etcd cluster (etcd-server) on free loopback ports.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_ETCD_CLUSTER_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_ETCD_CLUSTER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/process.h"

namespace dse::testing {

// PEM files made by openssl for one test: a CA, a server certificate for
// 127.0.0.1 and a client certificate (CN "monitor"), all signed by the CA.
struct TestCertificates {
  std::string ca_file;
  std::string server_cert_file, server_key_file;
  std::string client_cert_file, client_key_file;
};
absl::StatusOr<TestCertificates> MakeTestCertificates(const TempDir& dir);

class EtcdCluster {
 public:
  struct Options {
    int members = 3;
    // With certificates, clients must connect over TLS with a client
    // certificate signed by the CA (--client-cert-auth). Peers stay on http.
    std::optional<TestCertificates> tls;
    // Member i advertises this client URL instead of its own (to make a
    // cluster name an address that is not one of its members).
    std::map<int, std::string> advertised_client_urls;
  };

  // Starts the members ("member-1", ...) with data folders under `dir` and
  // waits until every one of them knows a leader. They are killed (SIGKILL)
  // when the cluster is destroyed: a graceful stop may wait seconds for a
  // leadership transfer.
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> Start(
      const TempDir& dir, const Options& options);
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> Start(
      const TempDir& dir) {
    return Start(dir, Options());
  }

  int size() const { return static_cast<int>(members_.size()); }
  const std::string& name(int i) const { return members_[i].name; }
  std::string address(int i) const;  // "127.0.0.1:<client port>".
  Process& process(int i) { return *members_[i].process; }

  // Restarts a stopped member on its data folder under another name.
  absl::Status Restart(int i, const std::string& new_name);

  // POSTs `body` to a gateway path of member i (2 s timeout) and returns the
  // body of a 200 reply.
  absl::StatusOr<std::string> Post(int i, const std::string& path,
                                   const std::string& body = "{}") const;
  // Turns authentication on: adds the user `root` (with the root role) and
  // `user` with `password` (no role: it may ask for the status, nothing
  // more).
  absl::Status EnableAuth(const std::string& user, const std::string& password);
  // header.cluster_id of member i's status, decimal as the API gives it.
  std::string ClusterId(int i) const;
  // The index of the member that its own status calls the leader, or -1.
  int Leader() const;
  // True when member i's status names a leader.
  bool HasLeader(int i) const;

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    std::string data_dir;
    std::string log_path;
    std::unique_ptr<Process> process;
  };
  EtcdCluster() = default;
  absl::Status StartMember(int i, const std::string& initial_cluster,
                           const std::string& state);
  std::string ClientUrl(int i) const;

  std::string binary_;
  std::string token_;
  std::optional<TestCertificates> tls_;
  std::map<int, std::string> advertised_;
  std::vector<Member> members_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_ETCD_CLUSTER_H_
