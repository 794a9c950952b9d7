// libFuzzer target: NATS monitoring reply parsers and the mapping must never
// crash, whatever the server sends. Built with -DDSE_FUZZ=ON (clang); see
// tests/fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collectors/nats/nats_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The same bytes as both replies the collector reads.
  auto server = dse::nats::ParseVarz(text);
  auto streams = dse::nats::ParseJsz(text);
  if (server.ok()) (void)dse::nats::MemberAddresses(*server, 8222);
  if (server.ok() && streams.ok()) {
    (void)dse::nats::BuildModel(*server, *streams);
  }
  return 0;
}
