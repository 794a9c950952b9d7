// Test support: asking the exporter's /sd (Prometheus HTTP service
// discovery) and reading its answer.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_SERVICE_DISCOVERY_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_SERVICE_DISCOVERY_H_

#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/support/exporter_process.h"

namespace dse::testing {

// One entry of a configuration's `modules:`: `kind`, a 2 s timeout,
// `allowed_targets`, then `more` (further keys, each line indented by four
// spaces and ending in a newline).
std::string ModuleBlock(const std::string& name, const std::string& kind,
                        const std::vector<std::string>& allowed_targets,
                        const std::string& more = "");

// GET /sd?module=...&target=... (an IPv6 target's brackets escaped).
HttpResult Sd(const ExporterProcess& exporter, const std::string& module,
              const std::string& target);

// The one group of an /sd answer; fails the calling test unless the answer
// is 200, JSON, and holds exactly one group (then gives an empty object).
nlohmann::json OneGroup(const HttpResult& answer);

// The "targets" of a group.
std::vector<std::string> Targets(const nlohmann::json& group);

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_SERVICE_DISCOVERY_H_
