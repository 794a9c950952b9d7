#include "collectors/postgresql/postgresql_parse.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "exporter/model/target.h"

namespace dse::postgresql {
namespace {

constexpr char kUnitBytes[] = "bytes";
constexpr char kUnitSeconds[] = "seconds";
// The queries whose rows are read here, as errors name them.
constexpr char kStatusQuery[] = "status";
constexpr char kMembersQuery[] = "members";
// libpq's default port, used where a connection string gives none.
constexpr int kDefaultPort = 5432;

// A column's value; absent columns are an error, NULL gives nullopt.
absl::StatusOr<std::optional<std::string>> Column(
    const Row& row, absl::string_view name,
    absl::string_view query = kStatusQuery) {
  auto it = row.find(name);
  if (it == row.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(query, " row has no column \"", name, "\""));
  }
  return it->second;
}

absl::Status BadValue(absl::string_view name, absl::string_view value,
                      absl::string_view why = "",
                      absl::string_view query = kStatusQuery) {
  std::string message = absl::StrCat(query, " column ", name, ": bad value \"",
                                     value.substr(0, 80), "\"");
  if (!why.empty()) absl::StrAppend(&message, " (", why, ")");
  return absl::InvalidArgumentError(message);
}

absl::StatusOr<std::string> RequiredText(
    const Row& row, absl::string_view name,
    absl::string_view query = kStatusQuery) {
  auto value = Column(row, name, query);
  if (!value.ok()) return value.status();
  if (!value->has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(query, " column ", name, " is NULL"));
  }
  return **value;
}

absl::StatusOr<std::optional<uint64_t>> OptionalLsn(const Row& row,
                                                    absl::string_view name) {
  auto value = Column(row, name);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::optional<uint64_t>();
  auto lsn = ParseLsn(**value);
  if (!lsn.ok()) return BadValue(name, **value, lsn.status().message());
  return std::optional<uint64_t>(*lsn);
}

absl::StatusOr<std::optional<double>> OptionalNumber(const Row& row,
                                                     absl::string_view name) {
  auto value = Column(row, name);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::optional<double>();
  double number = 0;
  if (!absl::SimpleAtod(**value, &number)) return BadValue(name, **value);
  return std::optional<double>(number);
}

absl::StatusOr<bool> Boolean(const Row& row, absl::string_view name,
                             absl::string_view query = kStatusQuery) {
  auto text = RequiredText(row, name, query);
  if (!text.ok()) return text.status();
  if (*text == "t") return true;
  if (*text == "f") return false;
  return BadValue(name, *text, "", query);
}

// libpq takes a host that is an absolute path, or starts with "@" (Linux's
// abstract namespace), as the folder of a Unix socket.
bool IsUnixSocket(absl::string_view host) {
  return !host.empty() && (host[0] == '/' || host[0] == '@');
}

// A comma-separated libpq list ("a,b,"); an empty text is an empty list.
std::vector<std::string> ConninfoList(
    const std::map<std::string, std::string>& keywords,
    const std::string& keyword) {
  auto it = keywords.find(keyword);
  if (it == keywords.end() || it->second.empty()) return {};
  return absl::StrSplit(it->second, ',');
}

}  // namespace

absl::StatusOr<Row> ParseRecordedRow(absl::string_view text) {
  Row row;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (line.empty()) continue;
    size_t tab = line.find('\t');
    if (tab == absl::string_view::npos || tab == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "recorded row line ", line_number,
          ": expected column<TAB>value, got \"", line.substr(0, 80), "\""));
    }
    absl::string_view value = line.substr(tab + 1);
    row[std::string(line.substr(0, tab))] =
        value == "\\N" ? std::nullopt
                       : std::optional<std::string>(std::string(value));
  }
  return row;
}

absl::StatusOr<uint64_t> ParseLsn(absl::string_view text) {
  size_t slash = text.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError("expected XXXXXXXX/XXXXXXXX");
  }
  uint64_t halves[2] = {0, 0};
  absl::string_view parts[2] = {text.substr(0, slash), text.substr(slash + 1)};
  for (int i = 0; i < 2; ++i) {
    if (parts[i].empty() || parts[i].size() > 8) {
      return absl::InvalidArgumentError("expected XXXXXXXX/XXXXXXXX");
    }
    for (char c : parts[i]) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError("expected XXXXXXXX/XXXXXXXX");
      }
    }
    if (!absl::SimpleHexAtoi(parts[i], &halves[i])) {
      return absl::InvalidArgumentError("expected XXXXXXXX/XXXXXXXX");
    }
  }
  return halves[0] << 32 | halves[1];
}

absl::StatusOr<ServerStatus> ParseStatus(const Row& row) {
  ServerStatus status;
  auto system_identifier = RequiredText(row, "system_identifier");
  if (!system_identifier.ok()) return system_identifier.status();
  status.system_identifier = *std::move(system_identifier);

  auto cluster_name = RequiredText(row, "cluster_name");
  if (!cluster_name.ok()) return cluster_name.status();
  status.cluster_name = *std::move(cluster_name);

  auto version = RequiredText(row, "server_version");
  if (!version.ok()) return version.status();
  status.server_version = *std::move(version);

  auto in_recovery = Boolean(row, "in_recovery");
  if (!in_recovery.ok()) return in_recovery.status();
  status.in_recovery = *in_recovery;

  for (auto [name, field] : {std::pair{"flush_lsn", &status.flush_lsn},
                             std::pair{"replay_lsn", &status.replay_lsn},
                             std::pair{"receive_lsn", &status.receive_lsn}}) {
    auto lsn = OptionalLsn(row, name);
    if (!lsn.ok()) return lsn.status();
    *field = *lsn;
  }

  auto last_replay = OptionalNumber(row, "last_replay_epoch");
  if (!last_replay.ok()) return last_replay.status();
  status.last_replay_epoch = *last_replay;

  auto now = OptionalNumber(row, "now_epoch");
  if (!now.ok()) return now.status();
  if (!now->has_value()) {
    return absl::InvalidArgumentError("status column now_epoch is NULL");
  }
  status.now_epoch = **now;

  auto receiver_pid = Column(row, "wal_receiver_pid");
  if (!receiver_pid.ok()) return receiver_pid.status();
  status.wal_receiver_running = receiver_pid->has_value();

  auto receiver_status = Column(row, "wal_receiver_status");
  if (!receiver_status.ok()) return receiver_status.status();
  status.wal_receiver_status = *std::move(receiver_status);
  return status;
}

absl::StatusOr<MemberReport> ParseMemberReport(const Row& row) {
  auto reads_all_stats = Boolean(row, "reads_all_stats", kMembersQuery);
  if (!reads_all_stats.ok()) return reads_all_stats.status();
  if (!*reads_all_stats) {
    return absl::PermissionDeniedError(
        "the replication peers' addresses are hidden from this role: grant it "
        "pg_monitor");
  }
  MemberReport report;
  auto sender_host = Column(row, "sender_host", kMembersQuery);
  if (!sender_host.ok()) return sender_host.status();
  auto sender_port = Column(row, "sender_port", kMembersQuery);
  if (!sender_port.ok()) return sender_port.status();
  if (sender_host->has_value()) {
    const std::string port = sender_port->value_or("");
    if (!absl::SimpleAtoi(port, &report.sender_port) ||
        report.sender_port <= 0 || report.sender_port > 65535) {
      return BadValue("sender_port", port, "", kMembersQuery);
    }
    report.sender_host = **sender_host;
  }
  auto conninfo = Column(row, "primary_conninfo", kMembersQuery);
  if (!conninfo.ok()) return conninfo.status();
  report.primary_conninfo = *std::move(conninfo);
  auto standby_hosts = Column(row, "standby_hosts", kMembersQuery);
  if (!standby_hosts.ok()) return standby_hosts.status();
  if (standby_hosts->has_value()) {
    report.standby_hosts =
        absl::StrSplit(**standby_hosts, ' ', absl::SkipEmpty());
  }
  return report;
}

std::vector<HostPort> ConninfoServers(
    const std::map<std::string, std::string>& keywords) {
  const std::vector<std::string> hosts = ConninfoList(keywords, "host");
  const std::vector<std::string> hostaddrs = ConninfoList(keywords, "hostaddr");
  const std::vector<std::string> ports = ConninfoList(keywords, "port");
  // libpq refuses lists of different lengths (one port serves every host):
  // such a string connects nowhere.
  const size_t count = std::max(hosts.size(), hostaddrs.size());
  if ((!hosts.empty() && !hostaddrs.empty() &&
       hosts.size() != hostaddrs.size()) ||
      (ports.size() > 1 && ports.size() != count)) {
    return {};
  }
  std::vector<HostPort> servers;
  for (size_t i = 0; i < count; ++i) {
    const std::string host = hosts.empty() ? "" : hosts[i];
    const std::string hostaddr = hostaddrs.empty() ? "" : hostaddrs[i];
    // Named as libpq's PQhost names it, and as sender_host shows it once
    // connected: the host, else the hostaddr (a hostaddr makes libpq use
    // TCP even when the host is a socket folder).
    const std::string name =
        !host.empty() && !IsUnixSocket(host) ? host : hostaddr;
    if (name.empty()) continue;  // A Unix socket, or the default one.
    const std::string port =
        ports.empty() ? "" : ports[ports.size() == 1 ? 0 : i];
    int number = kDefaultPort;
    if (!port.empty() &&
        (!absl::SimpleAtoi(port, &number) || number <= 0 || number > 65535)) {
      continue;  // libpq would refuse it too.
    }
    servers.push_back(HostPort{name, number});
  }
  return servers;
}

std::vector<std::string> MemberAddresses(
    const MemberReport& report,
    const std::vector<HostPort>& configured_upstream, int standby_port) {
  std::vector<std::string> addresses;
  std::set<std::string> seen;
  auto add = [&](absl::string_view host, int port) {
    std::string address = FormatHostPort(host, port);
    if (seen.insert(address).second) addresses.push_back(std::move(address));
  };
  if (report.sender_host) {
    // Connected over a Unix socket, the upstream is on this node's machine,
    // at an address nobody named.
    if (!IsUnixSocket(*report.sender_host) && !report.sender_host->empty()) {
      add(*report.sender_host, report.sender_port);
    }
  } else {
    // Not connected (its primary may be down): where it would connect.
    for (const HostPort& server : configured_upstream) {
      add(server.host, server.port);
    }
  }
  for (const std::string& host : report.standby_hosts) add(host, standby_port);
  return addresses;
}

absl::StatusOr<NodeModel> BuildModel(const ServerStatus& status) {
  NodeModel model;
  model.cluster_id = status.system_identifier;
  model.node = status.cluster_name;
  // "15.18 (Debian 15.18-0+deb12u1)": the release is the first word.
  model.version =
      status.server_version.substr(0, status.server_version.find(' '));

  Shard shard;
  // The system identifier is shared by the primary and all its physical
  // standbys and survives failover, as a shard ID must.
  shard.id = status.system_identifier;
  if (!status.in_recovery) {
    shard.role = Role::kPrimary;
    // The flush LSN: WAL the primary made durable, which is also all a
    // standby can have received, so a standby never reads ahead of it.
    if (status.flush_lsn) {
      shard.commit_offset = CommitOffset{kUnitBytes, *status.flush_lsn};
    }
    model.shards.push_back(std::move(shard));
    return model;
  }

  if (status.wal_receiver_running && !status.wal_receiver_status) {
    return absl::PermissionDeniedError(
        "pg_stat_wal_receiver.status is hidden from this role: grant it "
        "pg_monitor");
  }
  const bool streaming = status.wal_receiver_status == "streaming";
  shard.role = streaming ? Role::kSecondary : Role::kRecovering;
  if (status.replay_lsn) {
    shard.commit_offset = CommitOffset{kUnitBytes, *status.replay_lsn};
  }
  // Without a streaming WAL receiver the standby cannot know how much WAL it
  // is missing: no lag rather than a stale one.
  if (streaming && status.receive_lsn && status.replay_lsn) {
    const uint64_t receive = *status.receive_lsn;
    const uint64_t replay = *status.replay_lsn;
    // A restarted WAL receiver reports the start of its segment, which can
    // be behind what was already replayed from local WAL.
    const bool caught_up = receive <= replay;
    shard.lags.push_back(Lag{
        kUnitBytes, caught_up ? 0.0 : static_cast<double>(receive - replay)});
    if (caught_up) {
      // Everything received is replayed: the standby shows the data it has.
      // The age of the last replayed commit would grow on an idle primary.
      shard.lags.push_back(Lag{kUnitSeconds, 0.0});
    } else if (status.last_replay_epoch) {
      // WAL is waiting to be replayed: the standby's data is at most as old
      // as the last commit it replayed (an upper bound; clocks may differ).
      double age = status.now_epoch - *status.last_replay_epoch;
      shard.lags.push_back(Lag{kUnitSeconds, age > 0 ? age : 0.0});
    }
  }
  model.shards.push_back(std::move(shard));
  return model;
}

}  // namespace dse::postgresql
