#include "collectors/nats/nats_parse.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collectors/json/json_reply.h"

namespace dse::nats {
namespace {

using Json = nlohmann::json;

// The JSON types the replies use, each with how an error names it.
enum class Type { kObject, kArray, kString, kUnsigned };

bool Is(const Json& value, Type type) {
  switch (type) {
    case Type::kObject:
      return value.is_object();
    case Type::kArray:
      return value.is_array();
    case Type::kString:
      return value.is_string();
    case Type::kUnsigned:
      // nlohmann reads a non-negative integer as unsigned.
      return value.is_number_unsigned();
  }
  return false;
}

const char* Expected(Type type) {
  switch (type) {
    case Type::kObject:
      return "an object";
    case Type::kArray:
      return "an array";
    case Type::kString:
      return "a string";
    case Type::kUnsigned:
      return "an unsigned integer";
  }
  return "";
}

// What an error quotes of a value: scalars as JSON (cut short), containers by
// their type (the reply may nest deeply).
std::string Shown(const Json& value) {
  if (value.is_structured()) return value.type_name();
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 40) text = absl::StrCat(text.substr(0, 40), "...");
  return text;
}

absl::Status WrongType(absl::string_view where, Type type, const Json& value) {
  return absl::InvalidArgumentError(absl::StrCat(
      where, ": expected ", Expected(type), ", got ", Shown(value)));
}

enum class Presence { kRequired, kOptional };

// The member of `object` at `path` ("cluster.name": nested objects) if it has
// `type`; nullptr when it (or an object on the way) is absent and optional.
// `where` says which object of the reply `object` is.
absl::StatusOr<const Json*> Field(const Json& object, absl::string_view where,
                                  absl::string_view path, Type type,
                                  Presence presence) {
  const Json* at = &object;
  size_t start = 0;
  while (at != nullptr) {
    const size_t dot = std::min(path.find('.', start), path.size());
    const std::string key(path.substr(start, dot - start));
    auto it = at->find(key);
    at = it == at->end() ? nullptr : &*it;
    if (at == nullptr || dot == path.size()) break;
    if (!at->is_object()) {
      return WrongType(
          absl::StrCat(where, ": field \"", path.substr(0, dot), "\""),
          Type::kObject, *at);
    }
    start = dot + 1;
  }
  const std::string field = absl::StrCat(where, ": field \"", path, "\"");
  if (at == nullptr) {
    if (presence == Presence::kOptional) return nullptr;
    return absl::InvalidArgumentError(absl::StrCat(field, ": missing"));
  }
  if (!Is(*at, type)) return WrongType(field, type, *at);
  return at;
}

// A string field; "" when it is optional and absent.
absl::StatusOr<std::string> String(const Json& object, absl::string_view where,
                                   absl::string_view path, Presence presence) {
  auto value = Field(object, where, path, Type::kString, presence);
  if (!value.ok()) return value.status();
  return *value == nullptr ? std::string() : (*value)->get<std::string>();
}

absl::StatusOr<StreamReplica> ParseStream(const Json& stream,
                                          const std::string& where) {
  if (!stream.is_object()) return WrongType(where, Type::kObject, stream);
  StreamReplica replica;
  auto name = String(stream, where, "name", Presence::kRequired);
  if (!name.ok()) return name.status();
  replica.stream = *std::move(name);
  auto cluster =
      Field(stream, where, "cluster", Type::kObject, Presence::kOptional);
  if (!cluster.ok()) return cluster.status();
  replica.has_cluster = *cluster != nullptr;
  // Omitted while the stream's Raft group has no leader.
  auto leader = Field(stream, where, "cluster.leader", Type::kString,
                      Presence::kOptional);
  if (!leader.ok()) return leader.status();
  if (*leader != nullptr) replica.leader = (*leader)->get<std::string>();
  auto last_seq = Field(stream, where, "state.last_seq", Type::kUnsigned,
                        Presence::kRequired);
  if (!last_seq.ok()) return last_seq.status();
  replica.last_seq = (*last_seq)->get<uint64_t>();
  return replica;
}

}  // namespace

absl::StatusOr<ServerInfo> ParseVarz(absl::string_view text) {
  constexpr absl::string_view kWhere = "varz reply";
  auto json = ParseJsonObject(text, kWhere);
  if (!json.ok()) return json.status();
  ServerInfo server;
  const struct {
    const char* path;
    Presence presence;
    std::string* field;
  } strings[] = {
      {"server_name", Presence::kRequired, &server.server_name},
      {"version", Presence::kRequired, &server.version},
      // A standalone server has "cluster": {}.
      {"cluster.name", Presence::kOptional, &server.cluster_name},
  };
  for (const auto& string : strings) {
    auto value = String(*json, kWhere, string.path, string.presence);
    if (!value.ok()) return value.status();
    *string.field = *std::move(value);
  }
  auto urls =
      Field(*json, kWhere, "connect_urls", Type::kArray, Presence::kOptional);
  if (!urls.ok()) return urls.status();
  for (size_t i = 0; *urls != nullptr && i < (*urls)->size(); ++i) {
    const Json& url = (**urls)[i];
    if (!url.is_string()) {
      return WrongType(
          absl::StrCat(kWhere, ": field \"connect_urls[", i, "]\""),
          Type::kString, url);
    }
    server.connect_urls.push_back(url.get<std::string>());
  }
  return server;
}

std::vector<std::string> MemberAddresses(const ServerInfo& server,
                                         int monitor_port) {
  std::vector<std::string> members;
  for (const std::string& url : server.connect_urls) {
    // "10.0.0.2:4222" or "[fd00::2]:4222": the host, brackets kept.
    const size_t colon = url.rfind(':');
    if (colon == std::string::npos || colon == 0) continue;
    std::string member = absl::StrCat(url.substr(0, colon), ":", monitor_port);
    if (std::find(members.begin(), members.end(), member) == members.end()) {
      members.push_back(std::move(member));
    }
  }
  return members;
}

absl::StatusOr<std::vector<StreamReplica>> ParseJsz(absl::string_view text) {
  constexpr absl::string_view kWhere = "jsz reply";
  auto json = ParseJsonObject(text, kWhere);
  if (!json.ok()) return json.status();
  auto accounts = Field(*json, kWhere, "account_details", Type::kArray,
                        Presence::kOptional);
  if (!accounts.ok()) return accounts.status();
  std::vector<StreamReplica> replicas;
  if (*accounts == nullptr) return replicas;
  for (size_t i = 0; i < (*accounts)->size(); ++i) {
    const Json& account = (**accounts)[i];
    const std::string where =
        absl::StrCat(kWhere, ": account_details[", i, "]");
    if (!account.is_object()) return WrongType(where, Type::kObject, account);
    auto name = String(account, where, "name", Presence::kRequired);
    if (!name.ok()) return name.status();
    auto streams = Field(account, where, "stream_detail", Type::kArray,
                         Presence::kOptional);
    if (!streams.ok()) return streams.status();
    if (*streams == nullptr) continue;  // An account with no stream.
    for (size_t j = 0; j < (*streams)->size(); ++j) {
      auto replica = ParseStream(
          (**streams)[j], absl::StrCat(where, ".stream_detail[", j, "]"));
      if (!replica.ok()) return replica.status();
      replica->account = *name;
      replicas.push_back(*std::move(replica));
    }
  }
  return replicas;
}

NodeModel BuildModel(const ServerInfo& server,
                     const std::vector<StreamReplica>& streams) {
  NodeModel model;
  // Empty on a standalone server: the scrape layer then takes the target's
  // configured cluster_id, or fails the target saying that none is known.
  model.cluster_id = server.cluster_name;
  model.node = server.server_name;
  model.version = server.version;
  for (const StreamReplica& stream : streams) {
    Shard shard;
    shard.id = absl::StrCat(stream.account, "/", stream.stream);
    if (!stream.has_cluster || stream.leader == server.server_name) {
      // Without a cluster object this server holds the only copy.
      shard.role = Role::kPrimary;
    } else if (stream.leader.has_value()) {
      shard.role = Role::kSecondary;
    } else {
      // An election in progress or no quorum: nobody is primary (as etcd).
      shard.role = Role::kUnknown;
      shard.role_detail = "no leader";
    }
    shard.commit_offset = CommitOffset{kStreamSequenceUnit, stream.last_seq};
    // No lag: a 2.9 follower cannot compute its own (README.md).
    model.shards.push_back(std::move(shard));
  }
  // The server lists accounts in no stable order.
  std::sort(model.shards.begin(), model.shards.end(),
            [](const Shard& a, const Shard& b) { return a.id < b.id; });
  return model;
}

}  // namespace dse::nats
