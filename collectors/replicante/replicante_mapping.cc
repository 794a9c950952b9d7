#include "collectors/replicante/replicante_mapping.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collectors/replicante/replicante_parse.h"
#include "nlohmann/json.hpp"

namespace dse::replicante {
namespace {

std::string PercentEncode(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out += c;
    } else {
      absl::StrAppendFormat(&out, "%%%02X", static_cast<unsigned char>(c));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<AgentEndpoint> EndpointFromConfig(const TargetConfig& config) {
  AgentEndpoint endpoint;
  endpoint.address = config.endpoint;
  auto option = [&](const char* key) -> std::string {
    auto it = config.options.find(key);
    return it == config.options.end() ? "" : it->second;
  };
  if (std::string scheme = option("scheme"); !scheme.empty()) {
    if (scheme != "http" && scheme != "https") {
      return absl::InvalidArgumentError(absl::StrCat(
          "option scheme: expected http or https, got \"", scheme, "\""));
    }
    endpoint.scheme = scheme;
  }
  endpoint.target = option("target");
  endpoint.ca_file = option("ca_file");
  return endpoint;
}

std::string AgentUrl(const AgentEndpoint& endpoint, absl::string_view path) {
  const std::string& host = endpoint.address.host;
  std::string url = absl::StrCat(
      endpoint.scheme, "://",
      host.find(':') == std::string::npos ? host : absl::StrCat("[", host, "]"),
      ":", endpoint.address.port, path);
  if (!endpoint.target.empty()) {
    absl::StrAppend(&url, "?target=", PercentEncode(endpoint.target));
  }
  return url;
}

absl::StatusOr<NodeModel> BuildModel(absl::string_view info_json,
                                     absl::string_view shards_json) {
  auto info = ParseDatastoreInfo(info_json);
  if (!info.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kInfoPath, ": ", info.status().message()));
  }
  auto shards = ParseShards(shards_json);
  if (!shards.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kShardsPath, ": ", shards.status().message()));
  }
  NodeModel model;
  model.cluster_id = std::move(info->cluster_id);
  model.cluster_display_name = std::move(info->cluster_display_name);
  model.node = std::move(info->node);
  model.version = std::move(info->version);
  model.shards = *std::move(shards);
  return model;
}

std::string ErrorBodyMessage(absl::string_view body) {
  nlohmann::json document = nlohmann::json::parse(
      body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (document.is_object()) {
    auto error = document.find("error");
    if (error != document.end() && error->is_string()) {
      return error->get<std::string>();
    }
  }
  absl::string_view line = body.substr(0, body.find('\n'));
  line = absl::StripAsciiWhitespace(line);
  constexpr size_t kMax = 200;
  if (line.size() > kMax) return absl::StrCat(line.substr(0, kMax), "...");
  return std::string(line);
}

}  // namespace dse::replicante
