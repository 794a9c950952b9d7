// libFuzzer target: etcd gateway reply parsers and the mapping must never
// crash, whatever the member sends. Built with -DDSE_FUZZ=ON (clang); see
// tests/fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collectors/etcd/etcd_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The same bytes as every reply the collector reads.
  auto status = dse::etcd::ParseStatus(text);
  auto members = dse::etcd::ParseMemberList(text);
  if (members.ok()) (void)dse::etcd::ClientAddresses(*members);
  (void)dse::etcd::ParseAuthenticate(text);
  (void)dse::etcd::ParseGatewayError(text);
  if (status.ok()) {
    std::string node = "node";
    if (members.ok()) {
      node = dse::etcd::MemberName(*members, status->member_id).value_or(node);
    }
    (void)dse::etcd::BuildModel(*status, node);
  }
  return 0;
}
