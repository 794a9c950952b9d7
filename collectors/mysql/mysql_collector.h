// The "mysql" kind: MariaDB and MySQL GTID replication.
#ifndef DATASTORE_EXPORTER_COLLECTORS_MYSQL_MYSQL_COLLECTOR_H_
#define DATASTORE_EXPORTER_COLLECTORS_MYSQL_MYSQL_COLLECTOR_H_

#include "exporter/model/collector.h"

namespace dse::mysql {

Kind MySqlKind();

}  // namespace dse::mysql

#endif  // DATASTORE_EXPORTER_COLLECTORS_MYSQL_MYSQL_COLLECTOR_H_
