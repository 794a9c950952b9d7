#include "exporter/scrape/target_cache.h"

namespace dse {

std::shared_ptr<Target> TargetCache::Get(
    const std::string& key,
    const std::function<std::shared_ptr<Target>()>& make) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == key) {
      entries_.splice(entries_.begin(), entries_, it);
      return it->second;
    }
  }
  std::shared_ptr<Target> target = make();
  if (target == nullptr) return nullptr;
  entries_.emplace_front(key, target);
  if (entries_.size() > capacity_) entries_.pop_back();
  return target;
}

void TargetCache::Clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.clear();
}

}  // namespace dse
