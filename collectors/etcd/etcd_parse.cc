#include "collectors/etcd/etcd_parse.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "collectors/json/json_reply.h"

namespace dse::etcd {
namespace {

using Json = nlohmann::json;

constexpr char kRaftIndexUnit[] = "raft_index";

// The value at a dotted `path` ("header.member_id"), or nullptr when absent.
const Json* Find(const Json& object, absl::string_view path) {
  const Json* at = &object;
  for (absl::string_view key : absl::StrSplit(path, '.')) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(std::string(key));
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

// A value as quoted in an error: scalars as JSON, containers by their type
// (dumping them would recurse as deep as the reply is nested).
std::string Shown(const Json& value) {
  if (value.is_structured()) return value.type_name();
  std::string text = value.dump();
  if (text.size() > 40) text = absl::StrCat(text.substr(0, 40), "...");
  return text;
}

absl::Status FieldError(absl::string_view what, absl::string_view path,
                        absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": field \"", path, "\": ", problem));
}

enum class Presence { kRequired, kZeroWhenAbsent };

// A 64-bit unsigned field. The gateway sends decimal strings; plain JSON
// numbers are accepted too, as any proto3 JSON reader does.
absl::StatusOr<uint64_t> Uint64Field(const Json& object, absl::string_view what,
                                     absl::string_view path,
                                     Presence presence) {
  const Json* value = Find(object, path);
  if (value == nullptr) {
    if (presence == Presence::kZeroWhenAbsent) return 0;
    return FieldError(what, path, "missing");
  }
  uint64_t number = 0;
  if (value->is_number_unsigned()) return value->get<uint64_t>();
  if (value->is_string() &&
      absl::SimpleAtoi(value->get_ref<const std::string&>(), &number)) {
    return number;
  }
  return FieldError(
      what, path,
      absl::StrCat("expected a decimal string, got ", Shown(*value)));
}

absl::StatusOr<std::string> StringField(const Json& object,
                                        absl::string_view what,
                                        absl::string_view path,
                                        Presence presence) {
  const Json* value = Find(object, path);
  if (value == nullptr) {
    if (presence == Presence::kZeroWhenAbsent) return std::string();
    return FieldError(what, path, "missing");
  }
  if (!value->is_string()) {
    return FieldError(what, path,
                      absl::StrCat("expected a string, got ", Shown(*value)));
  }
  return value->get<std::string>();
}

absl::StatusOr<bool> BoolField(const Json& object, absl::string_view what,
                               absl::string_view path) {
  const Json* value = Find(object, path);
  if (value == nullptr) return false;
  if (!value->is_boolean()) {
    return FieldError(
        what, path,
        absl::StrCat("expected true or false, got ", Shown(*value)));
  }
  return value->get<bool>();
}

}  // namespace

absl::StatusOr<MemberStatus> ParseStatus(absl::string_view text) {
  constexpr absl::string_view kWhat = "status reply";
  auto json = ParseJsonObject(text, kWhat);
  if (!json.ok()) return json.status();
  MemberStatus status;
  auto cluster_id =
      Uint64Field(*json, kWhat, "header.cluster_id", Presence::kRequired);
  if (!cluster_id.ok()) return cluster_id.status();
  status.cluster_id = absl::StrCat(*cluster_id);
  const struct {
    const char* path;
    Presence presence;
    uint64_t* field;
  } numbers[] = {
      {"header.member_id", Presence::kRequired, &status.member_id},
      {"leader", Presence::kZeroWhenAbsent, &status.leader},
      {"raftIndex", Presence::kZeroWhenAbsent, &status.raft_index},
      {"raftAppliedIndex", Presence::kZeroWhenAbsent,
       &status.raft_applied_index},
  };
  for (const auto& number : numbers) {
    auto value = Uint64Field(*json, kWhat, number.path, number.presence);
    if (!value.ok()) return value.status();
    *number.field = *value;
  }
  auto version = StringField(*json, kWhat, "version", Presence::kRequired);
  if (!version.ok()) return version.status();
  status.version = *std::move(version);
  auto learner = BoolField(*json, kWhat, "isLearner");
  if (!learner.ok()) return learner.status();
  status.learner = *learner;
  if (const Json* errors = Find(*json, "errors"); errors != nullptr) {
    if (!errors->is_array()) {
      return FieldError(kWhat, "errors",
                        absl::StrCat("expected a list, got ", Shown(*errors)));
    }
    for (const Json& error : *errors) {
      status.errors.push_back(error.is_string() ? error.get<std::string>()
                                                : Shown(error));
    }
  }
  return status;
}

absl::StatusOr<std::vector<Member>> ParseMemberList(absl::string_view text) {
  constexpr absl::string_view kWhat = "member list reply";
  auto json = ParseJsonObject(text, kWhat);
  if (!json.ok()) return json.status();
  std::vector<Member> members;
  const Json* list = Find(*json, "members");
  if (list == nullptr) return members;
  if (!list->is_array()) {
    return FieldError(kWhat, "members",
                      absl::StrCat("expected a list, got ", Shown(*list)));
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& entry = (*list)[i];
    std::string what = absl::StrCat(kWhat, ": members[", i, "]");
    if (!entry.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": expected an object, got ", Shown(entry)));
    }
    Member member;
    auto id = Uint64Field(entry, what, "ID", Presence::kRequired);
    if (!id.ok()) return id.status();
    member.id = *id;
    auto name = StringField(entry, what, "name", Presence::kZeroWhenAbsent);
    if (!name.ok()) return name.status();
    member.name = *std::move(name);
    auto learner = BoolField(entry, what, "isLearner");
    if (!learner.ok()) return learner.status();
    member.learner = *learner;
    const Json* urls = Find(entry, "clientURLs");
    if (urls != nullptr && !urls->is_array()) {
      return FieldError(what, "clientURLs",
                        absl::StrCat("expected a list, got ", Shown(*urls)));
    }
    for (size_t j = 0; urls != nullptr && j < urls->size(); ++j) {
      if (!(*urls)[j].is_string()) {
        return FieldError(
            what, absl::StrCat("clientURLs[", j, "]"),
            absl::StrCat("expected a string, got ", Shown((*urls)[j])));
      }
      member.client_urls.push_back((*urls)[j].get<std::string>());
    }
    members.push_back(std::move(member));
  }
  return members;
}

std::vector<std::string> ClientAddresses(const std::vector<Member>& members) {
  std::vector<std::string> addresses;
  for (const Member& member : members) {
    // A member added but never started has no client URL yet.
    if (member.client_urls.empty()) continue;
    // "http://127.0.0.1:2379": the first URL's authority (a path is no part
    // of a target's address).
    absl::string_view url = member.client_urls[0];
    const size_t scheme = url.find("://");
    if (scheme != absl::string_view::npos) url.remove_prefix(scheme + 3);
    url = url.substr(0, url.find('/'));
    if (!url.empty()) addresses.emplace_back(url);
  }
  return addresses;
}

absl::StatusOr<std::string> ParseAuthenticate(absl::string_view text) {
  constexpr absl::string_view kWhat = "authenticate reply";
  auto json = ParseJsonObject(text, kWhat);
  if (!json.ok()) return json.status();
  auto token = StringField(*json, kWhat, "token", Presence::kRequired);
  if (!token.ok()) return token.status();
  if (token->empty()) return FieldError(kWhat, "token", "empty");
  return token;
}

GatewayError ParseGatewayError(absl::string_view text) {
  GatewayError error;
  auto json = ParseJsonObject(text, "error reply");
  if (json.ok()) {
    const Json* message = Find(*json, "message");
    const Json* code = Find(*json, "code");
    if (message != nullptr && message->is_string()) {
      error.message = message->get<std::string>();
      if (code != nullptr && code->is_number_integer()) {
        error.code = code->get<int>();
      }
      return error;
    }
  }
  // Not the gateway's JSON (a plain "Not Found" from the HTTP mux, say).
  text = absl::StripAsciiWhitespace(text);
  error.message = std::string(text.substr(0, 200));
  return error;
}

std::optional<std::string> MemberName(const std::vector<Member>& members,
                                      uint64_t member_id) {
  for (const Member& member : members) {
    if (member.id == member_id && !member.name.empty()) return member.name;
  }
  return std::nullopt;
}

NodeModel BuildModel(const MemberStatus& status, const std::string& node) {
  NodeModel model;
  model.cluster_id = status.cluster_id;
  model.node = node;
  model.version = status.version;
  Shard shard;
  // etcd is one raft group: one shard, named after the cluster so that its ID
  // is the same on every member and survives leader changes.
  shard.id = status.cluster_id;
  if (status.leader == 0) {
    // Quorum lost or an election running: no member is primary.
    shard.role = Role::kUnknown;
    shard.role_detail = "no leader";
  } else if (status.leader == status.member_id) {
    shard.role = Role::kPrimary;
  } else {
    // Learners too: they hold a full copy and follow the leader's log.
    shard.role = Role::kSecondary;
  }
  shard.commit_offset = CommitOffset{kRaftIndexUnit, status.raft_index};
  // Both indexes are read at slightly different moments inside etcd; an
  // applied index ahead of the committed one means nothing is left to apply.
  uint64_t unapplied = status.raft_index > status.raft_applied_index
                           ? status.raft_index - status.raft_applied_index
                           : 0;
  shard.lags.push_back(Lag{kRaftIndexUnit, static_cast<double>(unapplied)});
  model.shards.push_back(std::move(shard));
  return model;
}

}  // namespace dse::etcd
