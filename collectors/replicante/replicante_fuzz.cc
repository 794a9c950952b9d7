// libFuzzer target: the agent API parsers must report, never crash, whatever
// a service answers; and what they accept must survive being written back
// and read again. Built with -DDSE_FUZZ=ON (clang); see tests/fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "collectors/replicante/replicante_mapping.h"
#include "collectors/replicante/replicante_parse.h"
#include "exporter/model/model_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The same bytes as both documents and as an error answer.
  auto model = dse::replicante::BuildModel(text, text);
  (void)dse::replicante::ErrorBodyMessage(text);
  if (model.ok()) {
    auto again =
        dse::replicante::ParseShards(dse::DumpJson(dse::ShardsToJson(*model)));
    if (!again.ok() || again->size() != model->shards.size()) std::abort();
  }
  return 0;
}
