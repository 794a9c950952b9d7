#include "exporter/scrape/discovery.h"

#include <deque>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "exporter/config/allow_list.h"

namespace dse {

std::string FormatHostPort(const HostPort& address) {
  if (address.host.find(':') != std::string::npos) {
    return absl::StrCat("[", address.host, "]:", address.port);
  }
  return absl::StrCat(address.host, ":", address.port);
}

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
  Discovery found;
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
    std::shared_ptr<Target> asked =
        next.hop == 0 ? seed_target : target(next.address, next.endpoint);
    if (asked == nullptr) continue;
    auto members = asked->Members(deadline);
    if (!members.ok()) {
      if (next.hop == 0) {
        return absl::Status(
            members.status().code(),
            absl::StrCat("seed ", seed, ": ", members.status().message()));
      }
      found.unreachable.push_back(
          absl::StrCat(next.address, ": ", members.status().message()));
      continue;
    }
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
      if (next.hop < limits.max_hops) {
        pending.push_back({std::move(address), *endpoint, next.hop + 1});
      }
    }
  }
  // The cluster ID labels the group, as /probe reports it for the seed.
  TargetResult collected = seed_target->Collect(deadline);
  if (!collected.up) {
    return absl::UnavailableError(
        absl::StrCat("seed ", seed, ": ", collected.error));
  }
  found.cluster_id = collected.model.cluster_id;
  return found;
}

}  // namespace dse
