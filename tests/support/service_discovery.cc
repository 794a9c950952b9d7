#include "tests/support/service_discovery.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"

namespace dse::testing {

std::string ModuleBlock(const std::string& name, const std::string& kind,
                        const std::vector<std::string>& allowed_targets,
                        const std::string& more) {
  std::string patterns;
  for (const std::string& pattern : allowed_targets) {
    absl::StrAppend(&patterns, patterns.empty() ? "" : ", ", "\"", pattern,
                    "\"");
  }
  return absl::StrCat("  ", name, ":\n    kind: ", kind,
                      "\n    timeout: 2s\n    allowed_targets: [", patterns,
                      "]\n", more);
}

HttpResult Sd(const ExporterProcess& exporter, const std::string& module,
              const std::string& target) {
  return HttpFetch(exporter.url(absl::StrCat(
      "/sd?module=", module,
      "&target=", absl::StrReplaceAll(target, {{"[", "%5B"}, {"]", "%5D"}}))));
}

nlohmann::json OneGroup(const HttpResult& answer) {
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_NE(answer.headers.find("Content-Type: application/json"),
            std::string::npos)
      << answer.headers;
  nlohmann::json groups = nlohmann::json::parse(answer.body, nullptr, false);
  EXPECT_TRUE(groups.is_array() && groups.size() == 1) << answer.body;
  return groups.is_array() && groups.size() == 1 ? groups[0]
                                                 : nlohmann::json::object();
}

std::vector<std::string> Targets(const nlohmann::json& group) {
  return group.value("targets", std::vector<std::string>());
}

}  // namespace dse::testing
