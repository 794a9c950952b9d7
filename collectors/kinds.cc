// The registry of datastore kinds: one line per kind.
#include "collectors/kinds.h"

#include "collectors/etcd/etcd_collector.h"
#include "collectors/mysql/mysql_collector.h"
#include "collectors/nats/nats_collector.h"
#include "collectors/postgresql/postgresql_collector.h"
#include "collectors/rabbitmq/rabbitmq_collector.h"
#include "collectors/redis/redis_collector.h"
#include "collectors/replicante/replicante_collector.h"
#include "collectors/zookeeper/zookeeper_collector.h"

namespace dse {

const KindRegistry& BuiltinKinds() {
  static const KindRegistry* const kinds = [] {
    auto* registry = new KindRegistry;
    registry->Add(etcd::EtcdKind());
    registry->Add(mysql::MySqlKind());
    registry->Add(nats::NatsKind());
    registry->Add(postgresql::PostgresqlKind());
    registry->Add(rabbitmq::RabbitMqKind());
    registry->Add(redis::RedisKind());
    registry->Add(replicante::ReplicanteKind());
    registry->Add(zookeeper::ZooKeeperKind());
    return registry;
  }();
  return *kinds;
}

}  // namespace dse
