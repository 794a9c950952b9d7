// The "etcd" kind: one member of an etcd cluster, read through its HTTP/JSON
// gateway (etcd 3.4+).
#ifndef DATASTORE_EXPORTER_COLLECTORS_ETCD_ETCD_COLLECTOR_H_
#define DATASTORE_EXPORTER_COLLECTORS_ETCD_ETCD_COLLECTOR_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "collectors/etcd/etcd_client.h"
#include "exporter/model/collector.h"

namespace dse::etcd {

Kind EtcdKind();

// Reads a target's `options:` (keys checked by the configuration loader):
// `tls` (true|false), `ca_file`, `cert_file`, `key_file`,
// `insecure_skip_verify` (true|false). Any file or insecure_skip_verify turns
// TLS on; `tls: false` with any of them is an error, as is a key without a
// certificate.
absl::StatusOr<TlsOptions> TlsOptionsFrom(
    const std::map<std::string, std::string>& options);

}  // namespace dse::etcd

#endif  // DATASTORE_EXPORTER_COLLECTORS_ETCD_ETCD_COLLECTOR_H_
