#include "tests/support/rabbitmq_cluster.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "collectors/net/socket.h"
#include "exporter/model/target.h"
#include "tests/support/exporter_process.h"

namespace dse::testing {
namespace {

// Debian's package: /usr/sbin/rabbitmq-server switches to user rabbitmq and
// logs to a file; the nodes run the script it wraps.
constexpr char kServer[] = "/usr/lib/rabbitmq/bin/rabbitmq-server";
// guest/guest, which RabbitMQ accepts from loopback only.
constexpr char kGuest[] = "Authorization: Basic Z3Vlc3Q6Z3Vlc3Q=";
// Small on 2 shared cores: one scheduler, no busy waiting; no epmd of its
// own (a node would start one on 0.0.0.0:4369); distribution on loopback.
constexpr char kErlArgs[] =
    "-noinput -start_epmd false -kernel inet_dist_use_interface {127,0,0,1} "
    "+S 1:1 +A 4 +sbwt none +sbwtdcpu none +sbwtdio none";
constexpr absl::Duration kFormTimeout = absl::Seconds(120);

std::string RandomHex(int bytes) {
  std::random_device random;
  std::string hex;
  for (int i = 0; i < bytes; ++i) {
    absl::StrAppend(&hex, absl::Hex(random() & 0xff, absl::kZeroPad2));
  }
  return hex;
}

// The value of the first sample of `text` (the exposition format) whose
// line starts with `series` and a space; -1 when there is none.
int64_t SampleValue(absl::string_view text, absl::string_view series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, series) || !absl::ConsumePrefix(&line, " "))
      continue;
    double value = 0;
    if (absl::SimpleAtod(line, &value)) return static_cast<int64_t>(value);
  }
  return -1;
}

// True when 127.0.0.1:port accepts a connection.
bool Accepts(int port) {
  auto where = ParseHostPort(absl::StrCat("127.0.0.1:", port), port);
  net::Socket socket;
  return where.ok() &&
         socket.Connect(*where, absl::Now() + absl::Milliseconds(500)).ok();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RabbitMqCluster>> RabbitMqCluster::Start(
    const TempDir& dir, int size) {
  const std::string epmd = FindProgram("epmd");
  if (epmd.empty() || access(kServer, X_OK) != 0) {
    return absl::NotFoundError(
        "rabbitmq-server is not installed (package rabbitmq-server)");
  }
  std::unique_ptr<RabbitMqCluster> cluster(new RabbitMqCluster);
  std::set<int> ports;
  auto port = [&ports] {
    int free = FreePort();
    while (!ports.insert(free).second) free = FreePort();
    return free;
  };
  const int epmd_port = port();
  ProcessOptions epmd_options;
  epmd_options.log_path = dir.Sub("rabbitmq-epmd") + "/epmd.log";
  auto epmd_process = Process::Start(
      {epmd, "-address", "127.0.0.1", "-port", absl::StrCat(epmd_port)},
      epmd_options);
  if (!epmd_process.ok()) return epmd_process.status();
  cluster->epmd_ = *std::move(epmd_process);
  if (!WaitFor([&] { return Accepts(epmd_port); }, absl::Seconds(10))) {
    return absl::UnavailableError(
        absl::StrCat("epmd did not listen on 127.0.0.1:", epmd_port,
                     " within 10 s: ", ReadFile(epmd_options.log_path)));
  }

  std::vector<std::string> peers;
  for (int i = 0; i < size; ++i) {
    Node node;
    node.name = absl::StrCat("rabbit", i + 1, "@localhost");
    node.folder = dir.Sub(absl::StrCat("rabbitmq-", i + 1, "-", epmd_port));
    node.amqp_port = port();
    node.dist_port = port();
    node.management_port = port();
    node.prometheus_port = port();
    peers.push_back(node.name);
    cluster->nodes_.push_back(std::move(node));
  }
  const std::string cookie = RandomHex(16);
  for (Node& node : cluster->nodes_) {
    absl::Status started = cluster->StartNode(node, epmd_port, cookie, peers);
    if (!started.ok()) return started;
  }

  RabbitMqCluster* raw = cluster.get();
  int exited = -1;
  const bool formed = WaitFor(
      [&] {
        for (int i = 0; i < raw->size(); ++i) {
          if (raw->process(i).Exited()) exited = i;
        }
        return exited >= 0 || raw->Formed();
      },
      kFormTimeout, absl::Milliseconds(250));
  if (!formed || exited >= 0) {
    std::string logs;
    for (const Node& node : raw->nodes_) {
      std::string log =
          ReadFile(absl::StrCat(node.folder, "/log/", node.name, ".log"));
      if (log.size() > 4000) log = log.substr(log.size() - 4000);
      absl::StrAppend(&logs, "\n--- ", node.name, ":\n",
                      ReadFile(node.folder + "/console.log"), log);
    }
    return absl::UnavailableError(absl::StrCat(
        "the rabbitmq nodes did not form a cluster within ",
        absl::FormatDuration(kFormTimeout),
        exited >= 0 ? absl::StrCat(" (", raw->node_name(exited), " exited)")
                    : "",
        logs));
  }

  cluster->password_ = RandomHex(12);
  absl::Status user = cluster->AddMonitoringUser(
      kMonitoringUser, cluster->password_, /*permissions=*/true);
  if (!user.ok()) return user;
  return cluster;
}

absl::Status RabbitMqCluster::StartNode(Node& node, int epmd_port,
                                        const std::string& cookie,
                                        const std::vector<std::string>& peers) {
  const std::string home = node.folder + "/home";
  mkdir(home.c_str(), 0700);
  const std::string cookie_file = home + "/.erlang.cookie";
  if (!WriteFile(cookie_file, cookie) || chmod(cookie_file.c_str(), 0400)) {
    return absl::InternalError("cannot write " + cookie_file);
  }
  std::vector<std::string> config = {
      absl::StrCat("listeners.tcp.default = 127.0.0.1:", node.amqp_port),
      "management.tcp.ip = 127.0.0.1",
      absl::StrCat("management.tcp.port = ", node.management_port),
      "prometheus.tcp.ip = 127.0.0.1",
      absl::StrCat("prometheus.tcp.port = ", node.prometheus_port),
      "vm_memory_high_watermark.absolute = 512MB",
      "disk_free_limit.absolute = 100MB",
      absl::StrCat("cluster_name = ", kName),
      "cluster_formation.peer_discovery_backend = classic_config",
      // Empty nodes started together wait for the one holding the peer
      // discovery lock, which retries reaching the others (10 times, 0.5 s
      // apart, by default) before forming the cluster alone: once is
      // enough, and 4-5 s sooner.
      "cluster_formation.discovery_retry_limit = 1"};
  for (size_t i = 0; i < peers.size(); ++i) {
    config.push_back(absl::StrCat("cluster_formation.classic_config.nodes.",
                                  i + 1, " = ", peers[i]));
  }
  if (!WriteFile(node.folder + "/rabbitmq.conf",
                 absl::StrCat(absl::StrJoin(config, "\n"), "\n")) ||
      !WriteFile(node.folder + "/rabbitmq-env.conf", "") ||
      !WriteFile(node.folder + "/enabled_plugins",
                 "[rabbitmq_management,rabbitmq_prometheus].\n")) {
    return absl::InternalError("cannot write in " + node.folder);
  }
  ProcessOptions options;
  options.log_path = node.folder + "/console.log";
  options.env = {
      "HOME=" + home, "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
      absl::StrCat("ERL_EPMD_PORT=", epmd_port), "ERL_EPMD_ADDRESS=127.0.0.1",
      "RABBITMQ_CONF_ENV_FILE=" + node.folder + "/rabbitmq-env.conf",
      "RABBITMQ_NODENAME=" + node.name,
      absl::StrCat("RABBITMQ_DIST_PORT=", node.dist_port),
      "RABBITMQ_CONFIG_FILE=" + node.folder + "/rabbitmq.conf",
      "RABBITMQ_ENABLED_PLUGINS_FILE=" + node.folder + "/enabled_plugins",
      "RABBITMQ_MNESIA_BASE=" + node.folder + "/mnesia",
      "RABBITMQ_LOG_BASE=" + node.folder + "/log",
      "RABBITMQ_PID_FILE=" + node.folder + "/rabbitmq.pid",
      // The launcher execs the VM: the process started is the VM itself,
      // so that SIGSTOP and SIGKILL reach it.
      "RABBITMQ_ALLOW_INPUT=1",
      absl::StrCat("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=", kErlArgs)};
  auto process = Process::Start({kServer}, options);
  if (!process.ok()) return process.status();
  node.process = *std::move(process);
  return absl::OkStatus();
}

RabbitMqCluster::~RabbitMqCluster() {
  // The nodes first: a node outliving its epmd could start another one.
  for (Node& node : nodes_) {
    if (node.process != nullptr) node.process->Signal(SIGKILL);
  }
  nodes_.clear();  // Reaps each.
  epmd_.reset();
}

bool RabbitMqCluster::Formed() const {
  for (int i = 0; i < size(); ++i) {
    auto nodes = Api(i, "GET", "/api/nodes?columns=name,running");
    if (!nodes.ok() || !nodes->is_array() ||
        static_cast<int>(nodes->size()) != size()) {
      return false;
    }
    for (const nlohmann::json& node : *nodes) {
      if (!node.is_object() || !node.value("running", false)) return false;
    }
  }
  return true;
}

int RabbitMqCluster::NodeNamed(const std::string& name) const {
  for (int i = 0; i < size(); ++i) {
    if (node_name(i) == name) return i;
  }
  return -1;
}

std::string RabbitMqCluster::address(int i) const {
  return absl::StrCat("127.0.0.1:", nodes_[i].management_port);
}

void RabbitMqCluster::Kill(int i) {
  process(i).Signal(SIGKILL);
  process(i).Wait(absl::Seconds(10));
}

absl::StatusOr<nlohmann::json> RabbitMqCluster::Api(
    int i, const std::string& method, const std::string& path,
    const nlohmann::json& body) const {
  std::vector<std::string> headers = {kGuest};
  if (!body.is_null()) headers.push_back("Content-Type: application/json");
  HttpResult result =
      HttpFetch(absl::StrCat("http://", address(i), path), method, headers,
                /*timeout_ms=*/10000, body.is_null() ? "" : body.dump());
  const std::string what = absl::StrCat(node_name(i), " ", method, " ", path);
  if (result.status < 200 || result.status > 299) {
    return absl::UnavailableError(
        absl::StrCat(what, ": HTTP ", result.status, ": ", result.body));
  }
  if (result.body.empty()) return nlohmann::json();
  nlohmann::json json = nlohmann::json::parse(result.body, nullptr,
                                              /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::DataLossError(absl::StrCat(what, ": not JSON: ", result.body));
  }
  return json;
}

absl::Status RabbitMqCluster::AddMonitoringUser(const std::string& name,
                                                const std::string& password,
                                                bool permissions) {
  auto user = Api(0, "PUT", "/api/users/" + name,
                  {{"password", password}, {"tags", "monitoring"}});
  if (!user.ok() || !permissions) return user.status();
  // The tag alone lists no queue: a vhost's queues are listed to users with
  // permissions there, and empty ones (no access to any resource) suffice.
  return Api(0, "PUT", "/api/permissions/%2F/" + name,
             {{"configure", ""}, {"write", ""}, {"read", ""}})
      .status();
}

absl::Status RabbitMqCluster::DeclareQueue(int i, const std::string& name,
                                           const std::string& type) {
  return Api(i, "PUT", "/api/queues/%2F/" + name,
             {{"durable", true},
              {"auto_delete", false},
              {"arguments", {{"x-queue-type", type}}}})
      .status();
}

absl::Status RabbitMqCluster::Publish(int i, const std::string& name,
                                      int count) const {
  for (int n = 0; n < count; ++n) {
    auto reply = Api(i, "POST", "/api/exchanges/%2F/amq.default/publish",
                     {{"properties", {{"delivery_mode", 2}}},
                      {"routing_key", name},
                      {"payload", "x"},
                      {"payload_encoding", "string"}});
    if (!reply.ok()) return reply.status();
    if (!reply->is_object() || !reply->value("routed", false)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "a message to ", name, " was not routed: ", reply->dump()));
    }
  }
  return absl::OkStatus();
}

std::string RabbitMqCluster::LeaderSeenBy(int i,
                                          const std::string& name) const {
  auto queue = Api(i, "GET", "/api/queues/%2F/" + name + "?disable_stats=true");
  if (!queue.ok() || !queue->is_object()) return "";
  // A stream's record names its writer as `leader` too; `node` is the
  // same node for both. Either is null while a queue has no leader.
  for (const char* key : {"leader", "node"}) {
    auto value = queue->find(key);
    if (value != queue->end() && value->is_string() &&
        !value->get<std::string>().empty()) {
      return value->get<std::string>();
    }
  }
  return "";
}

int RabbitMqCluster::Leader(const std::string& name,
                            const std::vector<int>& skip) const {
  std::string leader;
  for (int i = 0; i < size(); ++i) {
    if (std::find(skip.begin(), skip.end(), i) != skip.end()) continue;
    const std::string seen = LeaderSeenBy(i, name);
    if (seen.empty() || (!leader.empty() && seen != leader)) return -1;
    leader = seen;
  }
  const int node = NodeNamed(leader);
  if (node < 0 || std::find(skip.begin(), skip.end(), node) != skip.end()) {
    return -1;
  }
  return node;
}

std::string RabbitMqCluster::Metrics(int i, const std::string& path) const {
  HttpResult result = HttpFetch(
      absl::StrCat("http://127.0.0.1:", prometheus_port(i), path), "GET", {},
      /*timeout_ms=*/10000);
  return result.status == 200 ? result.body : "";
}

int64_t RabbitMqCluster::CommitIndexOn(int i, const std::string& name) const {
  return SampleValue(
      Metrics(i, "/metrics/detailed?family=ra_metrics"),
      absl::StrCat("rabbitmq_detailed_raft_log_commit_index{vhost=\"/\","
                   "queue=\"",
                   name, "\"}"));
}

std::string RabbitMqCluster::PermanentId(int i) const {
  const std::string text = Metrics(i, "/metrics/detailed?family=ra_metrics");
  const std::string key = "rabbitmq_cluster_permanent_id=\"";
  const size_t start = text.find(key);
  if (start == std::string::npos) return "";
  const size_t value = start + key.size();
  const size_t end = text.find('"', value);
  return end == std::string::npos ? "" : text.substr(value, end - value);
}

}  // namespace dse::testing
