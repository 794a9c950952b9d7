// The registry of datastore kinds: one line per kind.
#include "collectors/redis/redis_collector.h"
#include "exporter/collector.h"

namespace dse {

const KindRegistry& BuiltinKinds() {
  static const KindRegistry* const kinds = [] {
    auto* registry = new KindRegistry;
    registry->Add(redis::RedisKind());
    return registry;
  }();
  return *kinds;
}

}  // namespace dse
