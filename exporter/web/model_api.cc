#include "exporter/web/model_api.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "exporter/model/model_json.h"

namespace dse {
namespace {

HttpResponse Json(int status, const nlohmann::json& document) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = DumpJson(document);
  response.compressible = true;
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

HttpResponse Error(int status, const std::string& message) {
  return Json(status, nlohmann::json{{"error", message}});
}

std::string QuotedNames(const std::vector<std::shared_ptr<Target>>& targets) {
  return absl::StrJoin(targets, ", ", [](std::string* out, const auto& target) {
    absl::StrAppend(out, "\"", target->config().name, "\"");
  });
}

}  // namespace

absl::StatusOr<std::shared_ptr<Target>> ChooseTarget(
    const std::vector<std::shared_ptr<Target>>& targets,
    const std::string& name) {
  if (targets.empty()) {
    return absl::NotFoundError("no targets are configured");
  }
  if (name.empty()) {
    if (targets.size() == 1) return targets[0];
    return absl::InvalidArgumentError(
        absl::StrCat("several targets are configured: choose one with "
                     "?target=NAME (one of ",
                     QuotedNames(targets), ")"));
  }
  for (const auto& target : targets) {
    if (target->config().name == name) return target;
  }
  return absl::NotFoundError(
      absl::StrCat("unknown target \"", name,
                   "\" (configured: ", QuotedNames(targets), ")"));
}

HttpResponse ServeModelApi(const HttpRequest& request,
                           const std::vector<std::shared_ptr<Target>>& targets,
                           absl::Time deadline) {
  auto target = ChooseTarget(targets, request.QueryParameter("target"));
  if (!target.ok()) {
    return Error(absl::IsInvalidArgument(target.status()) ? 400 : 404,
                 std::string(target.status().message()));
  }
  TargetResult result = (*target)->Collect(deadline);
  if (!result.up) {
    return Error(503, absl::StrCat("target \"", result.target,
                                   "\" is down: ", result.error));
  }
  if (request.path == kModelApiInfoPath) {
    return Json(200, DatastoreInfoToJson(result.model, result.kind));
  }
  return Json(200, ShardsToJson(result.model));
}

}  // namespace dse
