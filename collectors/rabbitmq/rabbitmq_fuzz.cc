// libFuzzer target: RabbitMQ reply parsers (the Prometheus text parser
// among them) and the mapping must never crash, whatever the node sends.
// Built with -DDSE_FUZZ=ON (clang); see tests/fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "collectors/rabbitmq/rabbitmq_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The same bytes as every reply the collector reads.
  auto metrics = dse::rabbitmq::ParseDetailedMetrics(text);
  auto queues = dse::rabbitmq::ParseQueues(text);
  auto names = dse::rabbitmq::ParseNodeNames(text);
  if (names.ok()) (void)dse::rabbitmq::MemberAddresses(*names, 15672);
  if (metrics.ok()) {
    std::set<dse::rabbitmq::QueueId> streams;
    if (queues.ok()) streams = dse::rabbitmq::StreamIds(*queues);
    (void)dse::rabbitmq::BuildModelFromMetrics(*metrics, streams);
  }
  if (queues.ok()) {
    dse::rabbitmq::NodeMetrics node;
    if (metrics.ok()) node = *metrics;
    // A node named by the reply itself, so that roles other than "not
    // held" are reached without a matching metrics reply.
    if (!queues->empty() && !(*queues)[0].members.empty()) {
      node.node = (*queues)[0].members[0];
    }
    (void)dse::rabbitmq::BuildModel(node, *queues);
  }
  return 0;
}
