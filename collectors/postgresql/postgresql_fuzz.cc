// libFuzzer target: the status row parser and the mapping must never crash,
// whatever the server (or a recording) holds. Built with -DDSE_FUZZ=ON
// (clang); see tests/fuzz/run.sh, which seeds it with fixtures/.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collectors/postgresql/postgresql_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)dse::postgresql::ParseLsn(text);
  auto row = dse::postgresql::ParseRecordedRow(text);
  if (!row.ok()) return 0;
  auto status = dse::postgresql::ParseStatus(*row);
  if (status.ok()) (void)dse::postgresql::BuildModel(*status);
  return 0;
}
