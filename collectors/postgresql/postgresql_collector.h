// The "postgresql" kind: a primary and its streaming (physical) standbys.
#ifndef DATASTORE_EXPORTER_COLLECTORS_POSTGRESQL_POSTGRESQL_COLLECTOR_H_
#define DATASTORE_EXPORTER_COLLECTORS_POSTGRESQL_POSTGRESQL_COLLECTOR_H_

#include "exporter/model/collector.h"

namespace dse::postgresql {

Kind PostgresqlKind();

}  // namespace dse::postgresql

#endif  // DATASTORE_EXPORTER_COLLECTORS_POSTGRESQL_POSTGRESQL_COLLECTOR_H_
