// The "zookeeper" kind: standalone servers and ensemble members (leaders,
// followers, observers), read through the srvr and conf four-letter words.
#ifndef DATASTORE_EXPORTER_COLLECTORS_ZOOKEEPER_ZOOKEEPER_COLLECTOR_H_
#define DATASTORE_EXPORTER_COLLECTORS_ZOOKEEPER_ZOOKEEPER_COLLECTOR_H_

#include "exporter/model/collector.h"

namespace dse::zookeeper {

Kind ZooKeeperKind();

}  // namespace dse::zookeeper

#endif  // DATASTORE_EXPORTER_COLLECTORS_ZOOKEEPER_ZOOKEEPER_COLLECTOR_H_
