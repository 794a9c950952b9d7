// libFuzzer target: ZooKeeper reply parsers and the mapping must never crash,
// whatever the server sends. Built with -DDSE_FUZZ=ON (clang); see
// tests/fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collectors/zookeeper/zookeeper_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The same bytes as a srvr reply and as a conf reply (both parsers).
  auto status = dse::zookeeper::ParseSrvr(text);
  auto server_id = dse::zookeeper::ParseConfServerId(text);
  (void)dse::zookeeper::ParseConfMembers(text, 2181);
  if (status.ok()) {
    dse::zookeeper::MappingInput input{"shard", ""};
    if (server_id.ok() && server_id->has_value()) input.node = **server_id;
    (void)dse::zookeeper::BuildModel(*status, input);
  }
  return 0;
}
