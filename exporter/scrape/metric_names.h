// Every metric the exporter serves, by name and help text: the one place
// they are written. The model's families are built in metrics.cc, the
// exporter's own telemetry in telemetry.cc; README.md lists them all (the
// metric contract). Help texts hold no backslash or newline (the text format
// would need them escaped).
#ifndef DATASTORE_EXPORTER_EXPORTER_SCRAPE_METRIC_NAMES_H_
#define DATASTORE_EXPORTER_EXPORTER_SCRAPE_METRIC_NAMES_H_

namespace dse::metric {

struct Name {
  const char* name;
  const char* help;
};

// The model (metrics.cc), in the order they are served.
inline constexpr Name kUp{
    "datastore_up",
    "1 if the target was reached and modelled in this scrape, else 0."};
inline constexpr Name kInfo{
    "datastore_info",
    "Administration information of the node (Datastore Model); always 1."};
inline constexpr Name kShardRole{
    "datastore_shard_role",
    "Role of the node for the shard: one series per role, exactly one is 1."};
inline constexpr Name kShardCommitOffset{
    "datastore_shard_commit_offset",
    "The node's commit offset for the shard, in the datastore's own unit."};
inline constexpr Name kShardReplicationLag{
    "datastore_shard_replication_lag",
    "Replication lag of the node's copy of the shard; absent when unknown."};
inline constexpr Name kCollectDuration{
    "datastore_collect_duration_seconds",
    "Time the collection of this target took in this scrape."};
inline constexpr Name kBuildInfo{
    "datastore_exporter_build_info",
    "Version and revision of datastore_exporter; always 1."};

// The exporter's own telemetry (telemetry.cc), on /metrics only.
inline constexpr Name kCollections{
    "datastore_exporter_collections_total",
    "Collections of a target, failed ones included."};
inline constexpr Name kCollectionErrors{
    "datastore_exporter_collection_errors_total",
    "Failed collections of a target, by reason: connect, timeout, auth, "
    "protocol, model or other."};
inline constexpr Name kHttpRequests{
    "datastore_exporter_http_requests_total",
    "HTTP requests answered, by handler and code."};
inline constexpr Name kHttpRequestDuration{
    "datastore_exporter_http_request_duration_seconds",
    "Time from a request's headers to its answer, by handler."};
inline constexpr Name kDiscoveries{
    "datastore_exporter_discoveries_total",
    "Cluster discoveries (/sd) of a module, by outcome: ok or failed."};
inline constexpr Name kDiscoveryRefused{
    "datastore_exporter_discovery_members_refused_total",
    "Discovered members left out because the module's allowed_targets do "
    "not match them."};
inline constexpr Name kConfigReloadSuccessful{
    "datastore_exporter_config_last_reload_successful",
    "1 if the last load of the configuration succeeded, else 0."};
inline constexpr Name kConfigReloadSuccessTime{
    "datastore_exporter_config_last_reload_success_timestamp_seconds",
    "Time of the last successful load of the configuration."};
// As the Prometheus client libraries name and describe them.
inline constexpr Name kProcessCpu{
    "process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds."};
inline constexpr Name kProcessResidentMemory{"process_resident_memory_bytes",
                                             "Resident memory size in bytes."};
inline constexpr Name kProcessVirtualMemory{"process_virtual_memory_bytes",
                                            "Virtual memory size in bytes."};
inline constexpr Name kProcessOpenFds{"process_open_fds",
                                      "Number of open file descriptors."};
inline constexpr Name kProcessMaxFds{
    "process_max_fds", "Maximum number of open file descriptors."};
inline constexpr Name kProcessStartTime{
    "process_start_time_seconds",
    "Start time of the process since unix epoch in seconds."};

}  // namespace dse::metric

#endif  // DATASTORE_EXPORTER_EXPORTER_SCRAPE_METRIC_NAMES_H_
