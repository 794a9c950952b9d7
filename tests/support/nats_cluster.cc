#include "tests/support/nats_cluster.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "collectors/net/socket.h"
#include "exporter/model/target.h"
#include "tests/support/exporter_process.h"

namespace dse::testing {
namespace {

constexpr absl::Duration kRequestTimeout = absl::Seconds(10);

// One connection of the NATS client protocol (text over TCP), enough for
// requests: a subscription to an inbox of its own, and PUBs with a reply
// subject in it.
class Connection {
 public:
  absl::Status Open(const std::string& address, absl::Time deadline) {
    auto where = ParseHostPort(address, 4222);
    if (!where.ok()) return where.status();
    absl::Status connected = socket_.Connect(*where, deadline);
    if (!connected.ok()) return connected;
    auto info = ReadLine(deadline);
    if (!info.ok()) return info.status();
    if (!absl::StartsWith(*info, "INFO ")) {
      return absl::UnavailableError(absl::StrCat(
          address, ": expected INFO, got \"", info->substr(0, 80), "\""));
    }
    static std::atomic<int> connections{0};
    inbox_ = absl::StrCat("_INBOX.dse", getpid(), "x", ++connections);
    return socket_.SendAll(
        absl::StrCat("CONNECT {\"verbose\":false,\"pedantic\":false,"
                     "\"headers\":true,\"no_responders\":true}\r\nSUB ",
                     inbox_, ".* 1\r\n"),
        deadline);
  }

  // The payload of the reply to `payload` sent to `subject`.
  absl::StatusOr<std::string> Request(const std::string& subject,
                                      const std::string& payload,
                                      absl::Time deadline) {
    const std::string reply = absl::StrCat(inbox_, ".", ++requests_);
    absl::Status sent =
        socket_.SendAll(absl::StrCat("PUB ", subject, " ", reply, " ",
                                     payload.size(), "\r\n", payload, "\r\n"),
                        deadline);
    if (!sent.ok()) return sent;
    while (true) {
      auto line = ReadLine(deadline);
      if (!line.ok()) return line.status();
      std::vector<std::string> words =
          absl::StrSplit(*line, ' ', absl::SkipEmpty());
      if (words.empty()) continue;
      if (words[0] == "PING") {
        sent = socket_.SendAll("PONG\r\n", deadline);
        if (!sent.ok()) return sent;
      } else if (words[0] == "-ERR") {
        return absl::FailedPreconditionError(*line);
      } else if (words[0] == "MSG" || words[0] == "HMSG") {
        // MSG subject sid [reply] size; HMSG subject sid [reply] hsize size.
        const bool headers = words[0] == "HMSG";
        size_t total = 0, header_size = 0;
        if (words.size() < (headers ? 5u : 4u) ||
            !absl::SimpleAtoi(words.back(), &total) ||
            (headers &&
             !absl::SimpleAtoi(words[words.size() - 2], &header_size)) ||
            header_size > total) {
          return absl::DataLossError(absl::StrCat("bad line: ", *line));
        }
        auto data = ReadBytes(total + 2, deadline);
        if (!data.ok()) return data.status();
        if (words[1] != reply) continue;
        // Headers start "NATS/1.0 503" when no one listens on the subject.
        if (absl::StartsWith(*data, "NATS/1.0 503")) {
          return absl::UnavailableError(
              absl::StrCat("no responders for ", subject));
        }
        return data->substr(header_size, total - header_size);
      }
    }
  }

 private:
  absl::Status Fill(absl::Time deadline) {
    char chunk[4096];
    auto read = socket_.ReadSome(chunk, sizeof chunk, deadline);
    if (!read.ok()) return read.status();
    if (*read == 0) return absl::UnavailableError("connection closed");
    buffer_.append(chunk, *read);
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> ReadLine(absl::Time deadline) {
    size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) {
      absl::Status filled = Fill(deadline);
      if (!filled.ok()) return filled;
    }
    std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return line;
  }

  absl::StatusOr<std::string> ReadBytes(size_t count, absl::Time deadline) {
    while (buffer_.size() < count) {
      absl::Status filled = Fill(deadline);
      if (!filled.ok()) return filled;
    }
    std::string bytes = buffer_.substr(0, count);
    buffer_.erase(0, count);
    return bytes;
  }

  net::Socket socket_;
  std::string buffer_;
  std::string inbox_;
  int requests_ = 0;
};

// The decoded JSON reply, or an error naming `what`.
absl::StatusOr<nlohmann::json> ParseReply(const std::string& what,
                                          const std::string& text) {
  nlohmann::json json =
      nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::DataLossError(absl::StrCat(what, ": not JSON: ", text));
  }
  return json;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NatsCluster>> NatsCluster::Start(
    const TempDir& dir, int size, bool own_hosts) {
  const std::string binary = FindProgram("nats-server");
  if (binary.empty()) {
    return absl::NotFoundError(
        "nats-server is not installed (package nats-server)");
  }
  std::unique_ptr<NatsCluster> cluster(new NatsCluster);
  std::set<int> ports;
  auto port = [&ports] {
    int free = FreePort();
    while (!ports.insert(free).second) free = FreePort();
    return free;
  };
  const int shared_monitor_port = own_hosts ? port() : 0;
  for (int i = 0; i < size; ++i) {
    Node node;
    node.name = absl::StrCat("n", i + 1);
    if (own_hosts) node.host = absl::StrCat("127.0.0.", i + 1);
    node.client_port = port();
    node.cluster_port = port();
    node.monitor_port = own_hosts ? shared_monitor_port : port();
    cluster->nodes_.push_back(std::move(node));
  }
  for (Node& node : cluster->nodes_) {
    const std::string folder = dir.Sub(absl::StrCat("nats-", node.client_port));
    std::vector<std::string> routes;
    for (const Node& other : cluster->nodes_) {
      if (&other == &node) continue;
      routes.push_back(absl::StrCat("\"nats-route://", other.host, ":",
                                    other.cluster_port, "\""));
    }
    const std::string config =
        absl::StrCat("server_name: \"", node.name, "\"\nlisten: \"", node.host,
                     ":", node.client_port, "\"\nhttp: \"", node.host, ":",
                     node.monitor_port, "\"\njetstream { store_dir: \"", folder,
                     "/js\", max_memory_store: 64MB, max_file_store: 256MB }\n"
                     "cluster { name: \"",
                     kName, "\", listen: \"", node.host, ":", node.cluster_port,
                     "\", routes: [", absl::StrJoin(routes, ", "), "] }\n");
    if (!WriteFile(folder + "/nats.conf", config)) {
      return absl::InternalError(absl::StrCat("cannot write ", folder));
    }
    ProcessOptions options;
    options.log_path = folder + "/nats.log";
    node.log_path = options.log_path;
    auto process =
        Process::Start({binary, "--config", folder + "/nats.conf"}, options);
    if (!process.ok()) return process.status();
    node.process = *std::move(process);
  }
  NatsCluster* raw = cluster.get();
  int exited = -1;
  bool formed = WaitFor(
      [&] {
        for (int i = 0; i < raw->size(); ++i) {
          if (raw->process(i).Exited()) exited = i;
        }
        return exited >= 0 || raw->Formed();
      },
      absl::Seconds(30), absl::Milliseconds(100));
  if (!formed || exited >= 0) {
    std::string logs;
    for (const Node& node : raw->nodes_) {
      absl::StrAppend(&logs, "\n--- ", node.name, ":\n",
                      ReadFile(node.log_path));
    }
    return absl::UnavailableError(
        absl::StrCat("the nats servers did not form a JetStream cluster "
                     "within 30 s",
                     logs));
  }
  return cluster;
}

bool NatsCluster::Formed() const {
  std::set<std::string> leaders;
  for (int i = 0; i < size(); ++i) {
    if (!Monitor(i, "/healthz").ok()) return false;
    auto jsz = Monitor(i, "/jsz");
    if (!jsz.ok()) return false;
    const nlohmann::json meta = jsz->value("meta_cluster", nlohmann::json());
    if (!meta.is_object() || meta.value("cluster_size", 0) != size()) {
      return false;
    }
    leaders.insert(meta.value("leader", ""));
  }
  return leaders.size() == 1 && !leaders.begin()->empty();
}

std::string NatsCluster::address(int i) const {
  return absl::StrCat(nodes_[i].host, ":", nodes_[i].monitor_port);
}

std::string NatsCluster::client_address(int i) const {
  return absl::StrCat(nodes_[i].host, ":", nodes_[i].client_port);
}

void NatsCluster::Kill(int i) {
  process(i).Signal(SIGKILL);
  process(i).Wait(absl::Seconds(10));
}

absl::StatusOr<nlohmann::json> NatsCluster::Monitor(
    int i, const std::string& path) const {
  HttpResult result = HttpFetch(absl::StrCat("http://", address(i), path),
                                "GET", {}, /*timeout_ms=*/1000);
  const std::string what = absl::StrCat(name(i), " ", path);
  if (result.status != 200) {
    return absl::UnavailableError(
        absl::StrCat(what, ": HTTP ", result.status, ": ", result.body));
  }
  return ParseReply(what, result.body);
}

nlohmann::json NatsCluster::StreamDetail(int i,
                                         const std::string& stream) const {
  auto jsz = Monitor(i, "/jsz?accounts=true&streams=true");
  if (!jsz.ok()) return nlohmann::json::object();
  for (const nlohmann::json& account :
       jsz->value("account_details", nlohmann::json::array())) {
    if (account.value("name", "") != "$G") continue;
    for (const nlohmann::json& detail :
         account.value("stream_detail", nlohmann::json::array())) {
      if (detail.value("name", "") == stream) return detail;
    }
  }
  return nlohmann::json::object();
}

std::string NatsCluster::StreamLeaderSeenBy(int i,
                                            const std::string& stream) const {
  return StreamDetail(i, stream)
      .value("cluster", nlohmann::json::object())
      .value("leader", "");
}

int64_t NatsCluster::LastSequenceOn(int i, const std::string& stream) const {
  return StreamDetail(i, stream)
      .value("state", nlohmann::json::object())
      .value("last_seq", int64_t{-1});
}

int NatsCluster::StreamLeader(const std::string& stream,
                              const std::vector<int>& skip) const {
  std::string leader;
  for (int i = 0; i < size(); ++i) {
    if (std::find(skip.begin(), skip.end(), i) != skip.end()) continue;
    const std::string seen = StreamLeaderSeenBy(i, stream);
    if (seen.empty() || (!leader.empty() && seen != leader)) return -1;
    leader = seen;
  }
  for (int i = 0; i < size(); ++i) {
    const bool asked = std::find(skip.begin(), skip.end(), i) == skip.end();
    if (name(i) == leader && asked) return i;
  }
  return -1;
}

absl::StatusOr<nlohmann::json> NatsCluster::Api(
    int i, const std::string& subject, const nlohmann::json& body) const {
  const absl::Time deadline = absl::Now() + kRequestTimeout;
  Connection connection;
  absl::Status opened = connection.Open(client_address(i), deadline);
  if (!opened.ok()) return opened;
  const std::string full = absl::StrCat("$JS.API.", subject);
  auto reply =
      connection.Request(full, body.is_null() ? "" : body.dump(), deadline);
  if (!reply.ok()) return reply.status();
  auto json = ParseReply(full, *reply);
  if (!json.ok()) return json.status();
  if (json->contains("error")) {
    return absl::FailedPreconditionError(
        absl::StrCat(full, ": ", (*json)["error"].dump()));
  }
  return json;
}

absl::Status NatsCluster::CreateStream(int i, const std::string& stream,
                                       int replicas) {
  nlohmann::json config = {{"name", stream},
                           {"subjects", {stream + ".>"}},
                           {"num_replicas", replicas},
                           {"storage", "file"}};
  return Api(i, "STREAM.CREATE." + stream, config).status();
}

absl::StatusOr<int64_t> NatsCluster::Publish(int i, const std::string& subject,
                                             int count) const {
  const absl::Time deadline = absl::Now() + kRequestTimeout;
  Connection connection;
  absl::Status opened = connection.Open(client_address(i), deadline);
  if (!opened.ok()) return opened;
  int64_t sequence = -1;
  for (int n = 0; n < count; ++n) {
    auto reply = connection.Request(subject, "x", deadline);
    if (!reply.ok()) return reply.status();
    auto ack = ParseReply(subject, *reply);
    if (!ack.ok()) return ack.status();
    if (!ack->contains("seq") || !(*ack)["seq"].is_number_integer()) {
      return absl::FailedPreconditionError(
          absl::StrCat("publish to ", subject, ": ", *reply));
    }
    sequence = (*ack)["seq"].get<int64_t>();
  }
  return sequence;
}

}  // namespace dse::testing
