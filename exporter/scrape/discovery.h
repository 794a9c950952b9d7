// Cluster discovery behind /sd: from one seed address of a /probe module,
// the members of the seed's cluster as its nodes name them
// (Collector::Members), breadth first, each member checked against the
// module's allowed_targets before any connection is made to it.
#ifndef DATASTORE_EXPORTER_EXPORTER_SCRAPE_DISCOVERY_H_
#define DATASTORE_EXPORTER_EXPORTER_SCRAPE_DISCOVERY_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "exporter/config/config.h"
#include "exporter/scrape/scrape.h"

namespace dse {

struct DiscoveryLimits {
  // Members asked past the seed: the seed's members are 1 hop away, theirs
  // 2. Enough for a replica that names only its primary.
  int max_hops = 2;
  // At most this many members are listed (the seed included); more are
  // left out and reported.
  int max_members = 100;
};

struct Discovery {
  std::string cluster_id;  // The seed's, as /probe would report it.
  // Allowed members, the seed first, then in the order they were found;
  // "host:port" ("[v6]:port") as /probe takes them.
  std::vector<std::string> members;
  // Named by a member but not allowed by the module: never contacted.
  std::vector<std::string> refused;
  // Allowed members that could not be asked for their own members (listed
  // all the same: /probe will show them down), with the error.
  std::vector<std::string> unreachable;
  // True when max_members cut the list short.
  bool truncated = false;
};

// A member as a target of `module` (the /probe cache: connections are kept).
using MemberTarget = std::function<std::shared_ptr<Target>(
    const std::string& address, const HostPort& endpoint)>;

// Discovers the cluster of `seed` (already parsed and allowed): collects the
// seed for its cluster ID, then asks it and the allowed members it leads to
// for their members (not those named by a node that named itself: that list
// is whole), by `deadline`. Fails when the seed cannot be collected or asked
// (the error names it); a failed member is only reported.
absl::StatusOr<Discovery> Discover(const ModuleConfig& module,
                                   const std::string& seed,
                                   const HostPort& seed_endpoint,
                                   const MemberTarget& target,
                                   absl::Time deadline,
                                   const DiscoveryLimits& limits = {});

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_SCRAPE_DISCOVERY_H_
