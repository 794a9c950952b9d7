#include "exporter/model/collector.h"

#include <utility>

namespace dse {

void KindRegistry::Add(Kind kind) {
  std::string name = kind.name;
  kinds_[name] = std::move(kind);
}

const Kind* KindRegistry::Find(const std::string& name) const {
  auto it = kinds_.find(name);
  return it == kinds_.end() ? nullptr : &it->second;
}

std::vector<std::string> KindRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, kind] : kinds_) names.push_back(name);
  return names;
}

}  // namespace dse
