#include "collectors/json/json_reply.h"

#include "absl/strings/str_cat.h"

namespace dse {

absl::StatusOr<nlohmann::json> ParseJsonObject(absl::string_view text,
                                               absl::string_view what) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": invalid JSON: ", e.what()));
  }
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected a JSON object, got ", json.type_name()));
  }
  return json;
}

}  // namespace dse
