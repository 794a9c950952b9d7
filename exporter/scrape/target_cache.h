// Targets made on demand (one per probed address), kept between uses so
// that they keep their connections.
#ifndef DATASTORE_EXPORTER_EXPORTER_SCRAPE_TARGET_CACHE_H_
#define DATASTORE_EXPORTER_EXPORTER_SCRAPE_TARGET_CACHE_H_

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "exporter/scrape/scrape.h"

namespace dse {

// At most `capacity` targets, the least recently used dropped first, so
// that probes of many addresses cannot grow memory. Thread-safe.
class TargetCache {
 public:
  explicit TargetCache(size_t capacity) : capacity_(capacity) {}

  // The target cached under `key`, or the one `make` returns (cached unless
  // null).
  std::shared_ptr<Target> Get(
      const std::string& key,
      const std::function<std::shared_ptr<Target>()>& make);
  void Clear();

 private:
  const size_t capacity_;
  std::mutex mutex_;
  std::list<std::pair<std::string, std::shared_ptr<Target>>> entries_;
};

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_SCRAPE_TARGET_CACHE_H_
