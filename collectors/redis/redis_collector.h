// The "redis" kind: standalone primary/replica and cluster mode.
#ifndef DATASTORE_EXPORTER_COLLECTORS_REDIS_REDIS_COLLECTOR_H_
#define DATASTORE_EXPORTER_COLLECTORS_REDIS_REDIS_COLLECTOR_H_

#include "exporter/model/collector.h"

namespace dse::redis {

Kind RedisKind();

}  // namespace dse::redis

#endif  // DATASTORE_EXPORTER_COLLECTORS_REDIS_REDIS_COLLECTOR_H_
