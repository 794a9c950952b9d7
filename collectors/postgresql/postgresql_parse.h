// Pure parsing of the status query's result and the mapping onto the
// Datastore Model, and of the members query's result (discovery). No I/O
// here: everything is tested on results recorded from real PostgreSQL
// servers (fixtures/record.sh).
#ifndef DATASTORE_EXPORTER_COLLECTORS_POSTGRESQL_POSTGRESQL_PARSE_H_
#define DATASTORE_EXPORTER_COLLECTORS_POSTGRESQL_POSTGRESQL_PARSE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exporter/model/model.h"
#include "exporter/model/target.h"

namespace dse::postgresql {

// One result row in text form: column name -> value, nullopt for NULL.
using Row = std::map<std::string, std::optional<std::string>, std::less<>>;

// Reads a row as fixtures/record.sh records it (psql's expanded unaligned
// output): one "column<TAB>value" line per column, \N for NULL. Used by the
// tests and the fuzz target; errors name the line.
absl::StatusOr<Row> ParseRecordedRow(absl::string_view text);

// Parses a pg_lsn in its text form "XXXXXXXX/XXXXXXXX" (two hexadecimal
// halves of the 64-bit WAL position, in bytes).
absl::StatusOr<uint64_t> ParseLsn(absl::string_view text);

// The row of status.sql, typed. Optional fields are NULL on the server in
// the situations noted.
struct ServerStatus {
  std::string system_identifier;  // pg_control_system(): shared by standbys.
  std::string cluster_name;       // "" when the setting is empty.
  std::string server_version;     // As the setting: "15.18 (Debian ...)".
  bool in_recovery = false;
  std::optional<uint64_t> flush_lsn;    // Primary only.
  std::optional<uint64_t> replay_lsn;   // Standby (and after a promotion).
  std::optional<uint64_t> receive_lsn;  // Standby that ever streamed.
  // Commit time of the last transaction replayed (the primary's clock), in
  // seconds since the epoch; NULL until a standby replays a commit.
  std::optional<double> last_replay_epoch;
  double now_epoch = 0;  // The server's clock when the query ran.
  bool wal_receiver_running = false;
  // pg_stat_wal_receiver.status ("streaming", "waiting", ...); NULL when
  // no WAL receiver runs, or when the role may not see it (no pg_monitor).
  std::optional<std::string> wal_receiver_status;
};

// Reads the row of status.sql. A missing column or a value of the wrong
// form is an error naming the column.
absl::StatusOr<ServerStatus> ParseStatus(const Row& row);

// The row of members.sql, typed: the servers a node names as members of its
// cluster (discovery, /sd).
struct MemberReport {
  // The upstream server this standby's WAL receiver is connected to, as
  // libpq names it (host, else hostaddr; a directory for a Unix socket).
  // Empty when no WAL receiver is connected, and on a primary.
  std::optional<std::string> sender_host;
  int sender_port = 0;
  // primary_conninfo, only while in recovery. It may hold a password: it is
  // given to libpq's parser (ConninfoAddressKeywords) and never shown.
  std::optional<std::string> primary_conninfo;
  // client_addr of each standby streaming from this node (physical WAL
  // senders whose peer replays WAL), as text ("10.0.0.6", "::1").
  std::vector<std::string> standby_hosts;
};

// Reads the row of members.sql. Fails when the role may not see the
// addresses (no pg_read_all_stats, which pg_monitor includes): they would
// read NULL, and the node would seem to name nobody.
absl::StatusOr<MemberReport> ParseMemberReport(const Row& row);

// The servers a connection string names, from the keywords libpq's parser
// gave ("host", "hostaddr" and "port", each possibly a comma-separated list
// as libpq takes it): for each host, the host (else its hostaddr, as libpq's
// PQhost does) and its port, libpq's default 5432 where none is given.
// Unix-socket hosts (a directory, or "@" for the abstract namespace) and a
// string with no host at all (the default socket) name no network address.
std::vector<HostPort> ConninfoServers(
    const std::map<std::string, std::string>& keywords);

// The "host:port" addresses ("[v6]:port") a node names, in this order, each
// once: its upstream (the connected WAL sender, else `configured_upstream`,
// the servers of its primary_conninfo), then its standbys, each at
// `standby_port`, since PostgreSQL does not tell the port a standby listens
// on.
std::vector<std::string> MemberAddresses(
    const MemberReport& report,
    const std::vector<HostPort>& configured_upstream, int standby_port);

// Maps a server's status onto the model: cluster ID and shard ID are the
// system identifier, node is cluster_name (left empty when unset, so that the
// configured name is used), one shard, role and commit offset in bytes, and
// for a streaming standby its lag in bytes and seconds (README.md defines
// both). Fails when the role may not see the WAL receiver's status.
absl::StatusOr<NodeModel> BuildModel(const ServerStatus& status);

}  // namespace dse::postgresql

#endif  // DATASTORE_EXPORTER_COLLECTORS_POSTGRESQL_POSTGRESQL_PARSE_H_
