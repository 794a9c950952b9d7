// The "rabbitmq" kind: one RabbitMQ node (3.10), read through its management
// API and its Prometheus plugin.
#ifndef DATASTORE_EXPORTER_COLLECTORS_RABBITMQ_RABBITMQ_COLLECTOR_H_
#define DATASTORE_EXPORTER_COLLECTORS_RABBITMQ_RABBITMQ_COLLECTOR_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "exporter/model/collector.h"

namespace dse::rabbitmq {

// The address is the management API (`management.tcp.port`, 15672 when none
// is given); the username and password of the target are sent to it. Option
// `prometheus_port`: the Prometheus plugin's port on the same host
// (`prometheus.tcp.port`, default 15692).
Kind RabbitMqKind();

// The Prometheus plugin's port from a target's `options:` (keys checked by
// the configuration loader): 15692 when not given, else a number from 1 to
// 65535.
absl::StatusOr<int> PrometheusPortFrom(
    const std::map<std::string, std::string>& options);

}  // namespace dse::rabbitmq

#endif  // DATASTORE_EXPORTER_COLLECTORS_RABBITMQ_RABBITMQ_COLLECTOR_H_
