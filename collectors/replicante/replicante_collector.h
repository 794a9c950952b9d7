// The "replicante" kind: any service speaking the Replicante agent API
// (unstable), such as a Replicante agent or another datastore_exporter.
#ifndef DATASTORE_EXPORTER_COLLECTORS_REPLICANTE_REPLICANTE_COLLECTOR_H_
#define DATASTORE_EXPORTER_COLLECTORS_REPLICANTE_REPLICANTE_COLLECTOR_H_

#include "exporter/model/collector.h"

namespace dse::replicante {

Kind ReplicanteKind();

}  // namespace dse::replicante

#endif  // DATASTORE_EXPORTER_COLLECTORS_REPLICANTE_REPLICANTE_COLLECTOR_H_
