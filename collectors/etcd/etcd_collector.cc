#include "collectors/etcd/etcd_collector.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collectors/etcd/etcd_parse.h"
#include "collectors/libcurl/libcurl.h"

namespace dse::etcd {
namespace {

constexpr absl::string_view kStatusPath = "/v3/maintenance/status";
constexpr absl::string_view kMemberListPath = "/v3/cluster/member/list";

absl::StatusOr<std::optional<bool>> BoolOption(
    const std::map<std::string, std::string>& options, const std::string& key) {
  auto it = options.find(key);
  if (it == options.end()) return std::nullopt;
  if (it->second == "true") return true;
  if (it->second == "false") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("option \"", key, "\": expected true or false, got \"",
                   it->second, "\""));
}

std::string Option(const std::map<std::string, std::string>& options,
                   const std::string& key) {
  auto it = options.find(key);
  return it == options.end() ? std::string() : it->second;
}

class EtcdCollector : public Collector {
 public:
  // The option values were checked when the target was loaded
  // (kind.validate); a bad one still fails each collection, never a start.
  explicit EtcdCollector(const TargetConfig& config)
      : options_error_(TlsOptionsFrom(config.options).status()),
        client_(config.endpoint,
                TlsOptionsFrom(config.options).value_or(TlsOptions()),
                Credentials{config.username, config.password},
                config.max_reply_bytes) {}

  absl::StatusOr<NodeModel> Collect(absl::Time deadline) override {
    if (!options_error_.ok()) return options_error_;
    auto status_reply = client_.Post(kStatusPath, "{}", deadline);
    if (!status_reply.ok()) return status_reply.status();
    auto status = ParseStatus(*status_reply);
    if (!status.ok()) return status.status();

    // Steady state is one round trip: the name is asked for again only when
    // the member behind the address may have changed (another member ID, or a
    // new connection, e.g. after a restart with another --name).
    if (!name_ || name_member_id_ != status->member_id ||
        client_.reconnected()) {
      name_.reset();
      auto list_reply = client_.Post(kMemberListPath, "{}", deadline);
      if (!list_reply.ok()) return list_reply.status();
      auto members = ParseMemberList(*list_reply);
      if (!members.ok()) return members.status();
      name_ = MemberName(*members, status->member_id);
      name_member_id_ = status->member_id;
    }
    // A member whose name is not committed yet (no quorum since it started)
    // is named by its ID until it is; that is not cached.
    return BuildModel(*status, name_.value_or(absl::StrCat(status->member_id)));
  }

  absl::StatusOr<std::vector<std::string>> Members(
      absl::Time deadline) override {
    if (!options_error_.ok()) return options_error_;
    auto list_reply = client_.Post(kMemberListPath, "{}", deadline);
    if (!list_reply.ok()) return list_reply.status();
    auto members = ParseMemberList(*list_reply);
    if (!members.ok()) return members.status();
    // Learners are members too: /probe reports them as secondaries.
    return ClientAddresses(*members);
  }

 private:
  const absl::Status options_error_;
  GatewayClient client_;
  std::optional<std::string> name_;  // Cached name of name_member_id_.
  uint64_t name_member_id_ = 0;
};

}  // namespace

absl::StatusOr<TlsOptions> TlsOptionsFrom(
    const std::map<std::string, std::string>& options) {
  TlsOptions tls;
  tls.ca_file = Option(options, "ca_file");
  tls.cert_file = Option(options, "cert_file");
  tls.key_file = Option(options, "key_file");
  auto insecure = BoolOption(options, "insecure_skip_verify");
  if (!insecure.ok()) return insecure.status();
  tls.insecure_skip_verify = insecure->value_or(false);
  auto enabled = BoolOption(options, "tls");
  if (!enabled.ok()) return enabled.status();
  const bool implied = !tls.ca_file.empty() || !tls.cert_file.empty() ||
                       !tls.key_file.empty() || tls.insecure_skip_verify;
  if (enabled->has_value() && !**enabled && implied) {
    return absl::InvalidArgumentError(
        "option \"tls\" is false but ca_file, cert_file, key_file or "
        "insecure_skip_verify is set");
  }
  if (!tls.key_file.empty() && tls.cert_file.empty()) {
    return absl::InvalidArgumentError(
        "option \"key_file\" needs \"cert_file\" too");
  }
  tls.enabled = enabled->value_or(false) || implied;
  return tls;
}

Kind EtcdKind() {
  Kind kind = KindOf<EtcdCollector>("etcd", /*native_cluster_id=*/true,
                                    /*default_port=*/2379);
  kind.option_keys = {"tls", "ca_file", "cert_file", "key_file",
                      "insecure_skip_verify"};
  kind.validate = [](const TargetConfig& config) {
    return TlsOptionsFrom(config.options).status();
  };
  kind.load = [] { return LoadLibCurl().status(); };
  return kind;
}

}  // namespace dse::etcd
