// The model of a target over HTTP in the shape of the Replicante agent API:
// GET /api/unstable/info/datastore and GET /api/unstable/shards (the JSON is
// described in exporter/model/model_json.h and exporter/README-api.md).
#ifndef DATASTORE_EXPORTER_EXPORTER_WEB_MODEL_API_H_
#define DATASTORE_EXPORTER_EXPORTER_WEB_MODEL_API_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "exporter/scrape/scrape.h"
#include "exporter/web/http_server.h"

namespace dse {

// The paths ServeModelApi answers.
inline constexpr char kModelApiInfoPath[] = "/api/unstable/info/datastore";
inline constexpr char kModelApiShardsPath[] = "/api/unstable/shards";

// The target a request means: `name` when given (NotFound when no target has
// it), else the only target (InvalidArgument naming the choices when there
// are several, NotFound when there is none). Messages list the names.
absl::StatusOr<std::shared_ptr<Target>> ChooseTarget(
    const std::vector<std::shared_ptr<Target>>& targets,
    const std::string& name);

// Collects the chosen target now (bounded by `deadline` and the target's
// timeout) and answers its model: 200 with the document, 400/404 when the
// `target` parameter does not choose one, 503 when the target is down. Errors
// are JSON too: {"error": "..."}.
HttpResponse ServeModelApi(const HttpRequest& request,
                           const std::vector<std::shared_ptr<Target>>& targets,
                           absl::Time deadline);

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_WEB_MODEL_API_H_
