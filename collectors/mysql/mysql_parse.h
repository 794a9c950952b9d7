// Pure parsers of MariaDB/MySQL replies and the mapping onto the Datastore
// Model. No I/O here: everything is tested on replies recorded from MariaDB
// 10.11 and on replies shaped like MySQL 8.0's documented output.
#ifndef DATASTORE_EXPORTER_COLLECTORS_MYSQL_MYSQL_PARSE_H_
#define DATASTORE_EXPORTER_COLLECTORS_MYSQL_MYSQL_PARSE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exporter/model/model.h"

namespace dse::mysql {

// One result set as the server sent it; a NULL value is an empty optional.
struct ResultSet {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

// The two servers speak one protocol but name GTIDs and replication
// differently.
enum class Flavor { kMariaDb, kMySql };

// From the version string of the server's handshake ("10.11.19-MariaDB-...",
// "8.0.36"): MariaDB says so, anything else is MySQL.
Flavor FlavorOf(absl::string_view server_version);

// The statements of one scrape, sent together in one round trip:
// [0] the server variables read by ParseVariables, [1] the replication status
// read by ParseReplicaStatus. MySQL before 8.0.22 has no SHOW REPLICA STATUS.
std::vector<std::string> ScrapeStatements(Flavor flavor,
                                          absl::string_view server_version);

struct ServerVariables {
  std::string version;  // @@version, without the "-log" suffix.
  std::string hostname;
  std::string port;
  // @@gtid_current_pos on MariaDB ("0-1-8,1-1-2"), @@gtid_executed on MySQL
  // ("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,...").
  std::string gtid_position;
  // @@gtid_domain_id: where this MariaDB server's own writes go.
  std::optional<uint32_t> gtid_domain_id;
};

// Reads the one row of ScrapeStatements()[0].
absl::StatusOr<ServerVariables> ParseVariables(const ResultSet& result);

// One replication connection (MariaDB) or channel (MySQL) of a replica.
struct ReplicationChannel {
  std::string name;          // "" for the default one.
  bool io_running = false;   // The receiving thread is connected ("Yes").
  bool sql_running = false;  // The applying thread runs ("Yes").
  // Seconds_Behind_Master (Seconds_Behind_Source); empty while NULL.
  std::optional<double> seconds_behind;
  // Domain filters (MariaDB's Replicate_Do_Domain_Ids and
  // Replicate_Ignore_Domain_Ids); both empty replicate every domain.
  std::set<uint32_t> do_domains;
  std::set<uint32_t> ignore_domains;
  // The source it replicates from, as configured (Master_Host/Source_Host,
  // Master_Port/Source_Port), whether connected or not.
  std::string source_host;
  int source_port = 0;

  // Whether this connection brings the GTID domain's transactions.
  bool Replicates(uint32_t domain) const;
};

// Reads SHOW ALL SLAVES STATUS (MariaDB) or SHOW REPLICA|SLAVE STATUS
// (MySQL): one row per connection, none on a server that replicates from
// nobody. Both column namings (Slave_*/Master_* and Replica_*/Source_*) are
// accepted.
absl::StatusOr<std::vector<ReplicationChannel>> ParseReplicaStatus(
    const ResultSet& result);

// The statements of discovery (/sd), sent together in one round trip:
// [0] the replication status (ParseReplicaStatus: the sources this node
// replicates from), [1] the replicas registered with this node
// (ParseReplicaHosts): SHOW SLAVE HOSTS, or SHOW REPLICAS on MySQL 8.0.22+.
std::vector<std::string> MemberStatements(Flavor flavor,
                                          absl::string_view server_version);

// A replica as a source lists it: the host and port it reported when it
// registered. MariaDB 10.5+ gives the address of the replica's connection
// when it sets no report_host; MySQL gives "" then.
struct ReplicaHost {
  std::string host;
  int port = 0;  // The replica's report_port, which defaults to its port.
};

// Reads SHOW SLAVE HOSTS / SHOW REPLICAS: one row per registered replica.
absl::StatusOr<std::vector<ReplicaHost>> ParseReplicaHosts(
    const ResultSet& result);

// The "host:port" addresses ("[v6]:port") a node names, each once: the
// sources of its replication connections, then its registered replicas.
// An entry without a host or a port (a MySQL replica without report_host)
// names nobody.
std::vector<std::string> MemberAddresses(
    const std::vector<ReplicationChannel>& channels,
    const std::vector<ReplicaHost>& replicas);

// Parses a MariaDB GTID list ("0-1-8,1-2-5"; "" is empty) into the sequence
// number of each domain.
absl::StatusOr<std::map<uint32_t, uint64_t>> ParseMariaDbGtidList(
    absl::string_view text);

// Counts the transactions of a MySQL GTID set ("uuid:1-5:7,uuid2:1-3", with
// optional 8.3+ tags "uuid:tag:1-3"; "" is empty): 9 here.
absl::StatusOr<uint64_t> CountMySqlGtidSet(absl::string_view text);

// Builds the model: node "hostname:port", one shard per GTID domain (MySQL:
// one shard "0"), commit offset in transactions, role from the replication
// connections, lag in seconds. The cluster ID is left to the configuration.
absl::StatusOr<NodeModel> BuildModel(
    Flavor flavor, const ServerVariables& variables,
    const std::vector<ReplicationChannel>& channels);

// Turns a server error of one scrape or discovery statement into a status
// naming the statement. A missing privilege names the privilege the
// exporter's user needs (MariaDB 10.5+ needs SLAVE MONITOR for the
// replication status, REPLICATION MASTER ADMIN for the replica list).
absl::Status StatementError(Flavor flavor, absl::string_view statement,
                            unsigned int error_code, absl::string_view message);

}  // namespace dse::mysql

#endif  // DATASTORE_EXPORTER_COLLECTORS_MYSQL_MYSQL_PARSE_H_
