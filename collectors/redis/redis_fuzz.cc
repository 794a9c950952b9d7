// libFuzzer target: Redis reply parsers, the mapping and discovery must
// never crash, whatever the server sends. Built with -DDSE_FUZZ=ON (clang);
// see tests/fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collectors/redis/redis_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The same bytes as an INFO reply and as a CLUSTER NODES reply.
  auto info = dse::redis::ParseInfo(text);
  auto nodes = dse::redis::ParseClusterNodes(text);
  if (info.ok()) {
    (void)dse::redis::BuildModel(*info, nodes.ok() ? &*nodes : nullptr,
                                 dse::redis::MappingInput{"shard", "node"});
    (void)dse::redis::MemberAddresses(*info, nodes.ok() ? &*nodes : nullptr);
  }
  if (nodes.ok() && !nodes->empty()) {
    (void)dse::redis::SlotRangesId(nodes->front().slots);
  }
  return 0;
}
