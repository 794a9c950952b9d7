#include "tests/support/zookeeper_ensemble.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace dse::testing {
namespace {

constexpr char kZooKeeperJar[] = "/usr/share/java/zookeeper.jar";
// slf4j binding, so that the servers' logs say why they fail (the zookeeper
// package has none: without it the servers log nothing).
constexpr char kLoggerJar[] = "/usr/share/java/slf4j-simple.jar";

// Start-up is JVM start plus leader election; both are slow on a loaded
// 2-core machine. Generous, still bounded.
constexpr absl::Duration kServeTimeout = absl::Seconds(90);

// JVM settings for short-lived test servers: small heap, quick start, and
// leader election retries at most every 2 s (ZooKeeper's default backs off
// up to 60 s, which a restarted server would wait for).
std::vector<std::string> JavaFlags() {
  return {"-Xmx128m",
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1",
          "-Xshare:auto",
          "-Djava.net.preferIPv4Stack=true",
          "-Dzookeeper.fastleader.maxNotificationInterval=2000",
          "-cp",
          absl::StrCat(kZooKeeperJar, ":", kLoggerJar)};
}

// Ports not handed out before in this process's ensembles.
int UniqueFreePort() {
  static std::set<int>* used = new std::set<int>;
  for (int attempt = 0; attempt < 100; ++attempt) {
    int port = FreePort();
    if (port != 0 && used->insert(port).second) return port;
  }
  return 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ZooKeeperEnsemble>> ZooKeeperEnsemble::Start(
    const TempDir& dir, const ZooKeeperOptions& options) {
  std::unique_ptr<ZooKeeperEnsemble> ensemble(new ZooKeeperEnsemble);
  ensemble->java_ = FindProgram("java");
  if (ensemble->java_.empty()) {
    return absl::NotFoundError(
        "java is not installed (install default-jre-headless)");
  }
  for (const char* jar : {kZooKeeperJar, kLoggerJar}) {
    if (access(jar, R_OK) != 0) {
      return absl::NotFoundError(absl::StrCat(
          jar, " is missing (install libzookeeper-java and libslf4j-java)"));
    }
  }
  if (options.servers < 1) return absl::InvalidArgumentError("no servers");

  struct Ports {
    int client, quorum, election;
  };
  std::vector<Ports> ports;
  for (int i = 0; i < options.servers; ++i) {
    ports.push_back({UniqueFreePort(), UniqueFreePort(), UniqueFreePort()});
  }
  std::string members;
  if (options.servers > 1) {
    for (int i = 0; i < options.servers; ++i) {
      absl::StrAppend(&members, "server.", i + 1,
                      "=127.0.0.1:", ports[i].quorum, ":", ports[i].election,
                      options.client_addresses
                          ? absl::StrCat(";127.0.0.1:", ports[i].client)
                          : "",
                      "\n");
    }
  }
  for (int i = 0; i < options.servers; ++i) {
    Server server;
    server.client_port = ports[i].client;
    std::string name = absl::StrCat("zookeeper-", server.client_port);
    server.folder = dir.Sub(name);
    std::string data = dir.Sub(name + "/data");
    if (options.servers > 1 &&
        !WriteFile(data + "/myid", absl::StrCat(i + 1, "\n"))) {
      return absl::InternalError("cannot write " + data + "/myid");
    }
    // tickTime 500 ms: quick failure detection and elections. The admin
    // server is off (Debian's package lacks the servlet API it needs).
    std::string config = absl::StrCat(
        "tickTime=500\ninitLimit=20\nsyncLimit=10\n", "dataDir=", data,
        "\nclientPort=", server.client_port,
        "\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n",
        // Transaction logs preallocate 64 MB by default.
        "preAllocSize=1024\n", "4lw.commands.whitelist=", options.whitelist,
        "\n", members);
    if (!WriteFile(server.folder + "/zoo.cfg", config)) {
      return absl::InternalError("cannot write " + server.folder + "/zoo.cfg");
    }
    ensemble->servers_.push_back(std::move(server));
  }
  std::vector<int> all;
  for (int i = 0; i < options.servers; ++i) {
    absl::Status launched = ensemble->Launch(i);
    if (!launched.ok()) return launched;
    all.push_back(i);
  }
  absl::Status serving = ensemble->WaitServing(all);
  if (!serving.ok()) return serving;
  return ensemble;
}

absl::Status ZooKeeperEnsemble::Launch(int index) {
  Server& server = servers_[index];
  std::vector<std::string> argv = {java_};
  for (std::string& flag : JavaFlags()) argv.push_back(std::move(flag));
  argv.push_back("org.apache.zookeeper.server.quorum.QuorumPeerMain");
  argv.push_back(server.folder + "/zoo.cfg");
  ProcessOptions options;
  options.log_path = server.folder + "/log";
  auto process = Process::Start(argv, options);
  if (!process.ok()) return process.status();
  server.process = *std::move(process);
  return absl::OkStatus();
}

absl::Status ZooKeeperEnsemble::WaitServing(const std::vector<int>& indexes) {
  int exited = -1;
  bool serving = WaitFor(
      [&] {
        for (int i : indexes) {
          if (servers_[i].process->Exited()) {
            exited = i;
            return true;
          }
        }
        for (int i : indexes) {
          if (Mode(i).empty()) return false;
        }
        return true;
      },
      kServeTimeout, absl::Milliseconds(100));
  if (exited >= 0) {
    return absl::UnavailableError(absl::StrCat(
        "zookeeper server ", exited, " exited at start-up: ", Log(exited)));
  }
  if (!serving) {
    std::string logs;
    for (int i : indexes) {
      absl::StrAppend(&logs, "\n--- server ", i, " (mode \"", Mode(i), "\"):\n",
                      Log(i));
    }
    return absl::DeadlineExceededError(
        absl::StrCat("zookeeper servers did not serve requests within ",
                     absl::FormatDuration(kServeTimeout), logs));
  }
  return absl::OkStatus();
}

std::string ZooKeeperEnsemble::address(int index) const {
  return absl::StrCat("127.0.0.1:", servers_[index].client_port);
}

int ZooKeeperEnsemble::server_id(int index) const {
  return size() == 1 ? 0 : index + 1;
}

absl::StatusOr<std::string> ZooKeeperEnsemble::Command(
    int index, const std::string& word) const {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket");
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(static_cast<uint16_t>(servers_[index].client_port));
  std::string reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 ||
      send(fd, word.data(), word.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(word.size())) {
    close(fd);
    return absl::UnavailableError(absl::StrCat(word, ": cannot send"));
  }
  char buffer[4096];
  ssize_t got;
  while ((got = recv(fd, buffer, sizeof buffer, 0)) > 0)
    reply.append(buffer, got);
  close(fd);
  if (got < 0) return absl::UnavailableError(absl::StrCat(word, ": no reply"));
  return reply;
}

namespace {

// A "Key: value" line of a srvr reply, or "".
std::string SrvrField(const std::string& reply, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(reply, '\n')) {
    if (absl::ConsumePrefix(&line, key) && absl::ConsumePrefix(&line, ": ")) {
      return std::string(absl::StripAsciiWhitespace(line));
    }
  }
  return "";
}

}  // namespace

std::string ZooKeeperEnsemble::Mode(int index) const {
  auto reply = Command(index, "srvr");
  return reply.ok() ? SrvrField(*reply, "Mode") : "";
}

std::optional<uint64_t> ZooKeeperEnsemble::Zxid(int index) const {
  auto reply = Command(index, "srvr");
  if (!reply.ok()) return std::nullopt;
  std::string field = SrvrField(*reply, "Zxid");
  absl::string_view hex = field;
  uint64_t zxid = 0;
  if (!absl::ConsumePrefix(&hex, "0x") || !absl::SimpleHexAtoi(hex, &zxid)) {
    return std::nullopt;
  }
  return zxid;
}

int ZooKeeperEnsemble::Leader() const {
  int leader = FindMode("leader");
  if (leader >= 0 && FindMode("leader", leader) >= 0) return -1;
  return leader;
}

int ZooKeeperEnsemble::FindMode(const std::string& mode, int except) const {
  for (int i = 0; i < size(); ++i) {
    if (i != except && Mode(i) == mode) return i;
  }
  return -1;
}

void ZooKeeperEnsemble::Kill(int index) {
  Process& server = *servers_[index].process;
  server.Signal(SIGKILL);
  server.Wait(absl::Seconds(10));
}

absl::Status ZooKeeperEnsemble::Restart(int index) {
  if (!servers_[index].process->Exited()) {
    return absl::FailedPreconditionError(
        absl::StrCat("zookeeper server ", index, " is still running"));
  }
  absl::Status launched = Launch(index);
  if (!launched.ok()) return launched;
  return WaitServing({index});
}

absl::Status ZooKeeperEnsemble::Create(int index,
                                       const std::string& path) const {
  std::vector<std::string> argv = {java_};
  for (std::string& flag : JavaFlags()) argv.push_back(std::move(flag));
  argv.insert(argv.end(), {"-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                           "org.apache.zookeeper.ZooKeeperMain", "-server",
                           address(index), "create", path, "data"});
  CommandResult result = RunCommand(argv, absl::Seconds(60));
  if (!absl::StrContains(result.output, "Created " + path)) {
    return absl::UnavailableError(absl::StrCat(
        "create ", path, " through ", address(index), ": ", result.output));
  }
  return absl::OkStatus();
}

std::string ZooKeeperEnsemble::Log(int index) const {
  std::string log = ReadFile(servers_[index].folder + "/log");
  // The end says why; start-up chatter comes first.
  constexpr size_t kTail = 4000;
  return log.size() > kTail ? "..." + log.substr(log.size() - kTail) : log;
}

}  // namespace dse::testing
