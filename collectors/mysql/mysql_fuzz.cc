// libFuzzer target: the MySQL/MariaDB parsers and the mapping must never
// crash, whatever the server sends. Built with -DDSE_FUZZ=ON (clang); see
// tests/fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "collectors/mysql/mysql_parse.h"

namespace {
using dse::mysql::BuildModel;
using dse::mysql::CountMySqlGtidSet;
using dse::mysql::Flavor;
using dse::mysql::FlavorOf;
using dse::mysql::MemberAddresses;
using dse::mysql::MemberStatements;
using dse::mysql::ParseMariaDbGtidList;
using dse::mysql::ParseReplicaHosts;
using dse::mysql::ParseReplicaStatus;
using dse::mysql::ParseVariables;
using dse::mysql::ResultSet;
using dse::mysql::ScrapeStatements;
using dse::mysql::StatementError;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)ScrapeStatements(FlavorOf(text), text);
  (void)MemberStatements(FlavorOf(text), text);
  (void)ParseMariaDbGtidList(text);
  (void)CountMySqlGtidSet(text);
  // The input's lines as the values of one replication status row, of the
  // server variables and of a replica list row.
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  lines.resize(8);
  ResultSet status;
  status.columns = {"Connection_name",
                    "Slave_IO_Running",
                    "Slave_SQL_Running",
                    "Seconds_Behind_Master",
                    "Replicate_Do_Domain_Ids",
                    "Replicate_Ignore_Domain_Ids",
                    "Master_Host",
                    "Master_Port"};
  status.rows.emplace_back(lines.begin(), lines.end());
  ResultSet hosts{{"Host", "Port"}, {{lines[6], lines[7]}}};
  ResultSet variables{
      {"version", "hostname", "port", "gtid_position", "gtid_domain_id"},
      {{"10.11.19-MariaDB", "host", "3306", lines[0], "0"}}};
  auto channels = ParseReplicaStatus(status);
  auto parsed = ParseVariables(variables);
  if (channels.ok() && parsed.ok()) {
    (void)BuildModel(Flavor::kMariaDb, *parsed, *channels);
    (void)BuildModel(Flavor::kMySql, *parsed, *channels);
  }
  auto replicas = ParseReplicaHosts(hosts);
  if (channels.ok() && replicas.ok()) {
    (void)MemberAddresses(*channels, *replicas);
  }
  (void)StatementError(FlavorOf(text), text, 1227, text);
  return 0;
}
