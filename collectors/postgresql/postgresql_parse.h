// Pure parsing of the status query's result and the mapping onto the
// Datastore Model. No I/O here: everything is tested on results recorded from
// real PostgreSQL servers (fixtures/record.sh).
#ifndef DATASTORE_EXPORTER_COLLECTORS_POSTGRESQL_POSTGRESQL_PARSE_H_
#define DATASTORE_EXPORTER_COLLECTORS_POSTGRESQL_POSTGRESQL_PARSE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exporter/model/model.h"

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

// Maps a server's status onto the model: cluster ID and shard ID are the
// system identifier, node is cluster_name (left empty when unset, so that the
// configured name is used), one shard, role and commit offset in bytes, and
// for a streaming standby its lag in bytes and seconds (README.md defines
// both). Fails when the role may not see the WAL receiver's status.
absl::StatusOr<NodeModel> BuildModel(const ServerStatus& status);

}  // namespace dse::postgresql

#endif  // DATASTORE_EXPORTER_COLLECTORS_POSTGRESQL_POSTGRESQL_PARSE_H_
