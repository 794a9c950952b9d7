// libFuzzer target: the row parsers (status and members) and the mappings
// must never crash, whatever the server (or a recording) holds. Built with
// -DDSE_FUZZ=ON (clang); see tests/fuzz/run.sh, which seeds it with fixtures/.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "collectors/postgresql/postgresql_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)dse::postgresql::ParseLsn(text);
  auto row = dse::postgresql::ParseRecordedRow(text);
  if (!row.ok()) return 0;
  auto status = dse::postgresql::ParseStatus(*row);
  if (status.ok()) (void)dse::postgresql::BuildModel(*status);
  auto members = dse::postgresql::ParseMemberReport(*row);
  if (members.ok()) {
    // The row's own values stand for what libpq parsed from a conninfo.
    std::map<std::string, std::string> keywords;
    for (const char* keyword : {"host", "hostaddr", "port"}) {
      auto it = row->find(keyword);
      if (it != row->end() && it->second) keywords[keyword] = *it->second;
    }
    (void)dse::postgresql::MemberAddresses(
        *members, dse::postgresql::ConninfoServers(keywords), 5432);
  }
  return 0;
}
