// The "nats" kind: one nats-server with JetStream, read through its HTTP
// monitoring port (nats-server 2.9).
#ifndef DATASTORE_EXPORTER_COLLECTORS_NATS_NATS_COLLECTOR_H_
#define DATASTORE_EXPORTER_COLLECTORS_NATS_NATS_COLLECTOR_H_

#include "exporter/model/collector.h"

namespace dse::nats {

// No options. The address is the monitoring port (`http:` in the server's
// configuration), 8222 when none is given.
Kind NatsKind();

}  // namespace dse::nats

#endif  // DATASTORE_EXPORTER_COLLECTORS_NATS_NATS_COLLECTOR_H_
