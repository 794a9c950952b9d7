#include "collectors/mysql/mysql_parse.h"

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "exporter/model/target.h"

namespace dse::mysql {
namespace {

// Server error codes (mysqld_error.h) that mean a missing privilege.
constexpr unsigned int kDatabaseAccessDenied =
    1044;  // ER_DBACCESS_DENIED_ERROR
constexpr unsigned int kTableAccessDenied =
    1142;  // ER_TABLEACCESS_DENIED_ERROR
constexpr unsigned int kSpecificAccessDenied =
    1227;  // ER_SPECIFIC_ACCESS_DENIED_ERROR

// MySQL has no GTID domains: its one shard gets the ID of MariaDB's default
// domain, so that one dashboard selects the same shard for both.
constexpr char kMySqlShardId[] = "0";

// Whether "8.0.36-log" is at least major.minor.patch; false when unreadable.
bool VersionAtLeast(absl::string_view version, int major, int minor,
                    int patch) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(version, absl::MaxSplits('.', 2));
  if (parts.size() < 3) return false;
  size_t digits = 0;
  while (digits < parts[2].size() && absl::ascii_isdigit(parts[2][digits])) {
    ++digits;
  }
  int have[3] = {0, 0, 0};
  if (!absl::SimpleAtoi(parts[0], &have[0]) ||
      !absl::SimpleAtoi(parts[1], &have[1]) ||
      !absl::SimpleAtoi(parts[2].substr(0, digits), &have[2])) {
    return false;
  }
  return std::make_tuple(have[0], have[1], have[2]) >=
         std::make_tuple(major, minor, patch);
}

// The index of the first of `names` that is a column of `result`.
std::optional<size_t> FindColumn(
    const ResultSet& result, std::initializer_list<absl::string_view> names) {
  for (absl::string_view name : names) {
    for (size_t i = 0; i < result.columns.size(); ++i) {
      // Column names are case-insensitive ("Channel_Name", "Channel_name").
      if (absl::EqualsIgnoreCase(result.columns[i], name)) return i;
    }
  }
  return std::nullopt;
}

const std::optional<std::string>* Cell(
    const std::vector<std::optional<std::string>>& row,
    std::optional<size_t> column) {
  if (!column || *column >= row.size()) return nullptr;
  return &row[*column];
}

// The text of a cell; NULL and missing cells give "".
std::string Text(const std::vector<std::optional<std::string>>& row,
                 std::optional<size_t> column) {
  const std::optional<std::string>* cell = Cell(row, column);
  return cell != nullptr && cell->has_value() ? **cell : std::string();
}

absl::Status BadValue(absl::string_view what, absl::string_view value) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": bad value \"", value.substr(0, 80), "\""));
}

// A port as the server prints it: 0 (not reported) to 65535.
bool ParsePort(absl::string_view text, int* port) {
  return absl::SimpleAtoi(text, port) && *port >= 0 && *port <= 65535;
}

bool IsUuid(absl::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    bool hyphen = i == 8 || i == 13 || i == 18 || i == 23;
    if (hyphen ? text[i] != '-' : !absl::ascii_isxdigit(text[i])) return false;
  }
  return true;
}

// A GTID tag (MySQL 8.3+): a letter or underscore, then up to 31 letters,
// digits or underscores.
bool IsTag(absl::string_view text) {
  if (text.empty() || text.size() > 32) return false;
  if (!absl::ascii_isalpha(text[0]) && text[0] != '_') return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
}

}  // namespace

Flavor FlavorOf(absl::string_view server_version) {
  return absl::StrContains(absl::AsciiStrToLower(server_version), "mariadb")
             ? Flavor::kMariaDb
             : Flavor::kMySql;
}

std::vector<std::string> ScrapeStatements(Flavor flavor,
                                          absl::string_view server_version) {
  if (flavor == Flavor::kMariaDb) {
    return {
        "SELECT @@version AS version, @@hostname AS hostname, @@port AS port, "
        "@@gtid_current_pos AS gtid_position, "
        "@@gtid_domain_id AS gtid_domain_id",
        "SHOW ALL SLAVES STATUS"};
  }
  return {
      "SELECT @@version AS version, @@hostname AS hostname, @@port AS port, "
      "@@gtid_executed AS gtid_position",
      VersionAtLeast(server_version, 8, 0, 22) ? "SHOW REPLICA STATUS"
                                               : "SHOW SLAVE STATUS"};
}

absl::StatusOr<ServerVariables> ParseVariables(const ResultSet& result) {
  if (result.rows.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "server variables: expected 1 row, got ", result.rows.size()));
  }
  const auto& row = result.rows[0];
  ServerVariables variables;
  for (auto [name, out] : {std::make_pair("version", &variables.version),
                           std::make_pair("hostname", &variables.hostname),
                           std::make_pair("port", &variables.port)}) {
    const std::optional<std::string>* cell =
        Cell(row, FindColumn(result, {name}));
    if (cell == nullptr || !cell->has_value() || (*cell)->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("server variables: no value for ", name));
    }
    *out = **cell;
  }
  variables.version = std::string(absl::StripSuffix(variables.version, "-log"));
  variables.gtid_position = Text(row, FindColumn(result, {"gtid_position"}));

  std::optional<size_t> domain_column = FindColumn(result, {"gtid_domain_id"});
  if (domain_column) {
    std::string text = Text(row, domain_column);
    uint32_t domain = 0;
    if (!absl::SimpleAtoi(text, &domain))
      return BadValue("@@gtid_domain_id", text);
    variables.gtid_domain_id = domain;
  }
  return variables;
}

absl::StatusOr<std::vector<ReplicationChannel>> ParseReplicaStatus(
    const ResultSet& result) {
  std::vector<ReplicationChannel> channels;
  if (result.rows.empty()) return channels;
  const std::optional<size_t> name_column =
      FindColumn(result, {"Connection_name", "Channel_Name"});
  const std::optional<size_t> io_column =
      FindColumn(result, {"Slave_IO_Running", "Replica_IO_Running"});
  const std::optional<size_t> sql_column =
      FindColumn(result, {"Slave_SQL_Running", "Replica_SQL_Running"});
  const std::optional<size_t> lag_column =
      FindColumn(result, {"Seconds_Behind_Master", "Seconds_Behind_Source"});
  const std::optional<size_t> do_column =
      FindColumn(result, {"Replicate_Do_Domain_Ids"});
  const std::optional<size_t> ignore_column =
      FindColumn(result, {"Replicate_Ignore_Domain_Ids"});
  const std::optional<size_t> host_column =
      FindColumn(result, {"Master_Host", "Source_Host"});
  const std::optional<size_t> port_column =
      FindColumn(result, {"Master_Port", "Source_Port"});
  if (!io_column || !sql_column || !lag_column) {
    return absl::InvalidArgumentError(
        "replication status: no Slave_IO_Running, Slave_SQL_Running or "
        "Seconds_Behind_Master column (nor their Replica_/Source_ names)");
  }
  for (const auto& row : result.rows) {
    ReplicationChannel channel;
    channel.name = Text(row, name_column);
    // "Connecting" (no connection to the primary yet) is not running.
    channel.io_running = Text(row, io_column) == "Yes";
    channel.sql_running = Text(row, sql_column) == "Yes";
    const std::optional<std::string>* lag = Cell(row, lag_column);
    if (lag != nullptr && lag->has_value()) {
      int64_t seconds = 0;
      if (!absl::SimpleAtoi(**lag, &seconds)) {
        return BadValue(
            absl::StrCat("replication status: ", result.columns[*lag_column]),
            **lag);
      }
      // The server clamps it at 0; a negative value would be unknown.
      if (seconds >= 0) channel.seconds_behind = static_cast<double>(seconds);
    }
    for (auto [column, out] :
         {std::make_pair(do_column, &channel.do_domains),
          std::make_pair(ignore_column, &channel.ignore_domains)}) {
      std::string ids = Text(row, column);
      for (absl::string_view id :
           absl::StrSplit(ids, ',', absl::SkipWhitespace())) {
        uint32_t domain = 0;
        if (!absl::SimpleAtoi(id, &domain)) {
          return BadValue(
              absl::StrCat("replication status: ", result.columns[*column]),
              ids);
        }
        out->insert(domain);
      }
    }
    // For discovery only: a port that does not read as one names nobody
    // (MemberAddresses) rather than failing the scrape.
    channel.source_host = Text(row, host_column);
    if (!ParsePort(Text(row, port_column), &channel.source_port)) {
      channel.source_port = 0;
    }
    channels.push_back(std::move(channel));
  }
  return channels;
}

std::vector<std::string> MemberStatements(Flavor flavor,
                                          absl::string_view server_version) {
  const std::string status = ScrapeStatements(flavor, server_version)[1];
  if (flavor == Flavor::kMySql && VersionAtLeast(server_version, 8, 0, 22)) {
    return {status, "SHOW REPLICAS"};
  }
  return {status, "SHOW SLAVE HOSTS"};
}

absl::StatusOr<std::vector<ReplicaHost>> ParseReplicaHosts(
    const ResultSet& result) {
  std::vector<ReplicaHost> replicas;
  if (result.rows.empty()) return replicas;
  const std::optional<size_t> host_column = FindColumn(result, {"Host"});
  const std::optional<size_t> port_column = FindColumn(result, {"Port"});
  if (!host_column || !port_column) {
    return absl::InvalidArgumentError("replica hosts: no Host or Port column");
  }
  for (const auto& row : result.rows) {
    ReplicaHost replica;
    replica.host = Text(row, host_column);
    const std::string port = Text(row, port_column);
    if (!ParsePort(port, &replica.port)) {
      return BadValue("replica hosts: Port", port);
    }
    replicas.push_back(std::move(replica));
  }
  return replicas;
}

std::vector<std::string> MemberAddresses(
    const std::vector<ReplicationChannel>& channels,
    const std::vector<ReplicaHost>& replicas) {
  std::vector<std::string> addresses;
  std::set<std::string> seen;
  auto add = [&](const std::string& host, int port) {
    if (host.empty() || port <= 0) return;
    std::string address = FormatHostPort(host, port);
    if (seen.insert(address).second) addresses.push_back(std::move(address));
  };
  for (const ReplicationChannel& channel : channels) {
    add(channel.source_host, channel.source_port);
  }
  for (const ReplicaHost& replica : replicas) add(replica.host, replica.port);
  return addresses;
}

bool ReplicationChannel::Replicates(uint32_t domain) const {
  if (ignore_domains.count(domain) > 0) return false;
  return do_domains.empty() || do_domains.count(domain) > 0;
}

absl::StatusOr<std::map<uint32_t, uint64_t>> ParseMariaDbGtidList(
    absl::string_view text) {
  std::map<uint32_t, uint64_t> sequences;
  for (absl::string_view gtid : absl::StrSplit(text, ',')) {
    gtid = absl::StripAsciiWhitespace(gtid);
    if (gtid.empty()) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(gtid, '-');
    uint32_t domain = 0, server_id = 0;
    uint64_t sequence = 0;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &domain) ||
        !absl::SimpleAtoi(parts[1], &server_id) ||
        !absl::SimpleAtoi(parts[2], &sequence)) {
      return absl::InvalidArgumentError(
          absl::StrCat("GTID \"", gtid.substr(0, 80),
                       "\": expected domain-server-sequence"));
    }
    uint64_t& known = sequences[domain];
    known = std::max(known, sequence);
  }
  return sequences;
}

absl::StatusOr<uint64_t> CountMySqlGtidSet(absl::string_view text) {
  uint64_t count = 0;
  for (absl::string_view entry : absl::StrSplit(text, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(entry, ':');
    auto bad = [&] {
      return absl::InvalidArgumentError(
          absl::StrCat("GTID set entry \"", entry.substr(0, 80),
                       "\": expected uuid[:tag]:interval[:interval...]"));
    };
    if (!IsUuid(parts[0])) return bad();
    bool have_interval = false;
    for (size_t i = 1; i < parts.size(); ++i) {
      if (IsTag(parts[i])) continue;
      std::pair<absl::string_view, absl::string_view> bounds =
          absl::StrSplit(parts[i], absl::MaxSplits('-', 1));
      uint64_t start = 0, end = 0;
      if (!absl::SimpleAtoi(bounds.first, &start) || start == 0) return bad();
      end = start;
      if (!bounds.second.empty() && !absl::SimpleAtoi(bounds.second, &end)) {
        return bad();
      }
      if (end < start ||
          end - start + 1 > std::numeric_limits<uint64_t>::max() - count) {
        return bad();
      }
      count += end - start + 1;
      have_interval = true;
    }
    if (!have_interval) return bad();
  }
  return count;
}

absl::StatusOr<NodeModel> BuildModel(
    Flavor flavor, const ServerVariables& variables,
    const std::vector<ReplicationChannel>& channels) {
  NodeModel model;
  model.version = variables.version;
  model.node = absl::StrCat(variables.hostname, ":", variables.port);

  // The shards: one per GTID domain of the executed position.
  struct DomainShard {
    std::optional<uint32_t> domain;  // Empty for MySQL.
    Shard shard;
  };
  std::vector<DomainShard> shards;
  if (flavor == Flavor::kMariaDb) {
    auto positions = ParseMariaDbGtidList(variables.gtid_position);
    if (!positions.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("@@gtid_current_pos: ", positions.status().message()));
    }
    for (const auto& [domain, sequence] : *positions) {
      DomainShard entry{domain, {}};
      entry.shard.id = std::to_string(domain);
      entry.shard.commit_offset = CommitOffset{"transactions", sequence};
      shards.push_back(std::move(entry));
    }
    // Nothing executed yet (or no binary log): the node's own domain, with
    // no commit offset since none can be told.
    if (shards.empty() && variables.gtid_domain_id) {
      DomainShard entry{variables.gtid_domain_id, {}};
      entry.shard.id = std::to_string(*variables.gtid_domain_id);
      shards.push_back(std::move(entry));
    }
  } else {
    auto count = CountMySqlGtidSet(variables.gtid_position);
    if (!count.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("@@gtid_executed: ", count.status().message()));
    }
    DomainShard entry{std::nullopt, {}};
    entry.shard.id = kMySqlShardId;
    if (!absl::StripAsciiWhitespace(variables.gtid_position).empty()) {
      entry.shard.commit_offset = CommitOffset{"transactions", *count};
    }
    shards.push_back(std::move(entry));
  }

  for (DomainShard& entry : shards) {
    Shard& shard = entry.shard;
    // The connections that bring this shard's transactions (for MySQL, all).
    // None: the node replicates it from nobody, so it is its primary.
    bool replicated = false, running = true, lag_known = true;
    double lag = 0;
    for (const ReplicationChannel& channel : channels) {
      if (entry.domain && !channel.Replicates(*entry.domain)) continue;
      replicated = true;
      running = running && channel.io_running && channel.sql_running;
      lag_known = lag_known && channel.seconds_behind.has_value();
      if (channel.seconds_behind) lag = std::max(lag, *channel.seconds_behind);
    }
    if (!replicated) {
      shard.role = Role::kPrimary;
    } else {
      shard.role = running ? Role::kSecondary : Role::kRecovering;
      if (lag_known) shard.lags.push_back(Lag{"seconds", lag});
    }
    model.shards.push_back(std::move(shard));
  }
  return model;
}

absl::Status StatementError(Flavor flavor, absl::string_view statement,
                            unsigned int error_code,
                            absl::string_view message) {
  std::string text =
      absl::StrCat(statement, ": ", message, " (error ", error_code, ")");
  if (error_code == kSpecificAccessDenied || error_code == kTableAccessDenied ||
      error_code == kDatabaseAccessDenied) {
    const bool replica_list =
        statement == "SHOW SLAVE HOSTS" || statement == "SHOW REPLICAS";
    absl::string_view privilege;
    if (replica_list) {
      privilege = flavor == Flavor::kMariaDb
                      ? "REPLICATION MASTER ADMIN (MariaDB 10.5.2 and later; "
                        "REPLICATION SLAVE before)"
                      : "REPLICATION SLAVE";
    } else {
      privilege = flavor == Flavor::kMariaDb
                      ? "SLAVE MONITOR (MariaDB 10.5.9 and later; REPLICATION "
                        "CLIENT before 10.5)"
                      : "REPLICATION CLIENT";
    }
    return absl::PermissionDeniedError(absl::StrCat(
        text, "; the exporter's user needs ", privilege, " on *.*"));
  }
  return absl::FailedPreconditionError(text);
}

}  // namespace dse::mysql
