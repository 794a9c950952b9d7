#include "exporter/scrape/discovery.h"

#include <algorithm>
#include <deque>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "exporter/config/allow_list.h"

namespace dse {

absl::StatusOr<Discovery> Discover(const ModuleConfig& module,
                                   const std::string& seed,
                                   const HostPort& seed_endpoint,
                                   const MemberTarget& target,
                                   absl::Time deadline,
                                   const DiscoveryLimits& limits) {
  std::shared_ptr<Target> seed_target = target(seed, seed_endpoint);
  if (seed_target == nullptr) {
    return absl::InternalError("the module has no usable kind");
  }
  // The seed first: what it names (a kind that cannot tell says so with no
  // I/O), then its collection, whose cluster ID labels the group (as /probe
  // reports it). A seed that fails fails the discovery at once, before any
  // member is asked.
  auto seed_members = seed_target->Members(deadline);
  if (!seed_members.ok()) {
    return absl::Status(
        seed_members.status().code(),
        absl::StrCat("seed ", seed, ": ", seed_members.status().message()));
  }
  TargetResult collected = seed_target->Collect(deadline);
  if (!collected.up) {
    return absl::UnavailableError(
        absl::StrCat("seed ", seed, ": ", collected.error));
  }
  Discovery found;
  found.cluster_id = collected.model.cluster_id;
  found.members.push_back(seed);
  std::set<std::string> seen = {seed, FormatHostPort(seed_endpoint)};

  struct Pending {
    std::string address;
    HostPort endpoint;
    int hop;
  };
  std::deque<Pending> pending = {{seed, seed_endpoint, 0}};
  while (!pending.empty()) {
    const Pending next = std::move(pending.front());
    pending.pop_front();
    absl::StatusOr<std::vector<std::string>> members;
    if (next.hop == 0) {
      members = std::move(seed_members);
    } else {
      std::shared_ptr<Target> asked = target(next.address, next.endpoint);
      if (asked == nullptr) continue;
      members = asked->Members(deadline);
    }
    if (!members.ok()) {
      found.unreachable.push_back(
          absl::StrCat(next.address, ": ", members.status().message()));
      continue;
    }
    // A node that names itself gives the whole membership (etcd, ZooKeeper,
    // Redis Cluster...): the members it names need not be asked again.
    const std::string self = FormatHostPort(next.endpoint);
    const bool complete =
        std::find(members->begin(), members->end(), self) != members->end();
    for (const std::string& member : *members) {
      auto endpoint = ParseHostPort(member, 0);
      if (!endpoint.ok()) {
        found.refused.push_back(
            absl::StrCat(member, " (", endpoint.status().message(), ")"));
        continue;
      }
      std::string address = FormatHostPort(*endpoint);
      if (!seen.insert(address).second) continue;
      if (!ModuleAllows(module, *endpoint)) {
        found.refused.push_back(std::move(address));
        continue;
      }
      if (static_cast<int>(found.members.size()) >= limits.max_members) {
        found.truncated = true;
        continue;
      }
      found.members.push_back(address);
      if (!complete && next.hop < limits.max_hops) {
        pending.push_back({std::move(address), *endpoint, next.hop + 1});
      }
    }
  }
  return found;
}

}  // namespace dse
