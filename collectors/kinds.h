// Every datastore kind this binary knows: one line per kind in kinds.cc.
#ifndef DATASTORE_EXPORTER_COLLECTORS_KINDS_H_
#define DATASTORE_EXPORTER_COLLECTORS_KINDS_H_

#include "exporter/model/collector.h"

namespace dse {

const KindRegistry& BuiltinKinds();

}  // namespace dse

#endif  // DATASTORE_EXPORTER_COLLECTORS_KINDS_H_
