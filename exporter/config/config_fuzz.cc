// libFuzzer target: the configuration loader must report, never crash, on
// any input. Built with -DDSE_FUZZ=ON (clang); see tests/fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collectors/kinds.h"
#include "exporter/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)dse::ParseConfig(text, "fuzz.yml", dse::BuiltinKinds());
  (void)dse::TargetFromUrl(text, "c", dse::BuiltinKinds());
  return 0;
}
