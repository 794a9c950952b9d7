#include "exporter/collector.h"

#include <utility>

#include "absl/strings/str_cat.h"

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

absl::Status LoadClientLibraries(const Config& config,
                                 const KindRegistry& kinds) {
  auto load = [&](const std::string& kind_name,
                  const std::string& where) -> absl::Status {
    const Kind* kind = kinds.Find(kind_name);
    if (kind == nullptr || !kind->load) return absl::OkStatus();
    absl::Status loaded = kind->load();
    if (loaded.ok()) return loaded;
    return absl::FailedPreconditionError(
        absl::StrCat(where, " (kind ", kind_name, "): ", loaded.message()));
  };
  for (const TargetConfig& target : config.targets) {
    absl::Status loaded =
        load(target.kind, absl::StrCat("target \"", target.name, "\""));
    if (!loaded.ok()) return loaded;
  }
  for (const auto& [name, module] : config.modules) {
    absl::Status loaded =
        load(module.settings.kind, absl::StrCat("module \"", name, "\""));
    if (!loaded.ok()) return loaded;
  }
  return absl::OkStatus();
}

}  // namespace dse
