#include "collectors/rabbitmq/rabbitmq_parse.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "collectors/prometheus_text/prometheus_text.h"

namespace dse::rabbitmq {
namespace {

using Json = nlohmann::json;

constexpr char kIdentityInfo[] = "rabbitmq_identity_info";
constexpr char kBuildInfo[] = "rabbitmq_build_info";
constexpr char kCommitIndex[] = "rabbitmq_detailed_raft_log_commit_index";
// One of the queue_coarse_metrics family, given for every queue it lists.
constexpr char kQueueMessages[] = "rabbitmq_detailed_queue_messages";

std::string ShardId(const std::string& vhost, const std::string& name) {
  return absl::StrCat(vhost, "/", name);
}

// A label value or a shard ID as an error quotes it.
std::string Quoted(absl::string_view text) {
  return absl::StrCat("\"", absl::CEscape(text.substr(0, 80)),
                      text.size() > 80 ? "...\"" : "\"");
}

// A sample value as the exposition format writes it.
std::string ShownValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return absl::StrCat(value);
}

// The value of `label` of an info sample; "" when absent.
std::string LabelOrEmpty(const PrometheusSample& sample,
                         absl::string_view label) {
  const std::string* value = sample.Label(label);
  return value == nullptr ? std::string() : *value;
}

// The value of `label` of an info sample, which must be given, not empty.
absl::StatusOr<std::string> RequiredLabel(const PrometheusSample& sample,
                                          absl::string_view label) {
  const std::string* value = sample.Label(label);
  if (value != nullptr && !value->empty()) return *value;
  return absl::InvalidArgumentError(
      absl::StrCat("metrics reply: line ", sample.line, ": ", sample.name,
                   ": label \"", label, "\" ", value ? "empty" : "missing"));
}

// What an error quotes of a JSON value: scalars as JSON (cut short),
// containers by their type.
std::string Shown(const Json& value) {
  if (value.is_structured()) return value.type_name();
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 40) text = absl::StrCat(text.substr(0, 40), "...");
  return text;
}

absl::Status WrongType(absl::string_view where, absl::string_view expected,
                       const Json& value) {
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": expected ", expected, ", got ", Shown(value)));
}

// `text` as a JSON array of objects. A key of `checked` given twice in one of
// those objects is an error: nlohmann::json would silently keep the last.
absl::StatusOr<Json> ParseArrayOfObjects(
    absl::string_view text, absl::string_view where,
    const std::set<std::string, std::less<>>& checked) {
  // Keys of the array's element being read (its keys are at depth 2), how
  // many elements were begun, and the first key of `checked` repeated.
  std::set<std::string> keys;
  size_t begun = 0;
  std::optional<std::pair<size_t, std::string>> repeated;
  auto check = [&](int depth, Json::parse_event_t event, Json& parsed) {
    using Event = Json::parse_event_t;
    if (depth == 1 && (event == Event::object_start ||
                       event == Event::array_start || event == Event::value)) {
      ++begun;
      keys.clear();
    } else if (depth == 2 && event == Event::key && !repeated.has_value()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (checked.count(key) > 0 && !keys.insert(key).second) {
        repeated.emplace(begun - 1, key);
      }
    }
    return true;
  };
  Json json;
  try {
    json = Json::parse(text.begin(), text.end(), check);
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": invalid JSON: ", e.what()));
  }
  if (!json.is_array()) return WrongType(where, "a JSON array", json);
  for (size_t i = 0; i < json.size(); ++i) {
    if (!json[i].is_object()) {
      return WrongType(absl::StrCat(where, ": [", i, "]"), "an object",
                       json[i]);
    }
  }
  if (repeated.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": [", repeated->first, "]: field \"",
                     repeated->second, "\" given twice"));
  }
  return json;
}

// The string member `key` of `object`: required, or optional (then "" when
// absent or null).
absl::StatusOr<std::string> StringField(const Json& object,
                                        absl::string_view where,
                                        const char* key, bool required) {
  const std::string field = absl::StrCat(where, ": field \"", key, "\"");
  auto it = object.find(key);
  if (it == object.end() || (!required && it->is_null())) {
    if (!required) return std::string();
    return absl::InvalidArgumentError(absl::StrCat(field, ": missing"));
  }
  if (!it->is_string()) {
    return WrongType(field, required ? "a string" : "a string or null", *it);
  }
  return it->get<std::string>();
}

absl::StatusOr<Queue> ParseQueue(const Json& object, const std::string& where) {
  Queue queue;
  const struct {
    const char* key;
    bool required;
    std::string* value;
  } strings[] = {
      {"name", true, &queue.name},
      {"vhost", true, &queue.vhost},
      {"type", true, &queue.type},
      {"node", false, &queue.node},
  };
  for (const auto& string : strings) {
    auto value = StringField(object, where, string.key, string.required);
    if (!value.ok()) return value.status();
    *string.value = *std::move(value);
  }
  auto leader = StringField(object, where, "leader", /*required=*/false);
  if (!leader.ok()) return leader.status();
  if (!leader->empty()) queue.leader = *std::move(leader);
  auto members = object.find("members");
  if (members != object.end() && !members->is_null()) {
    const std::string field = absl::StrCat(where, ": field \"members\"");
    if (!members->is_array()) {
      return WrongType(field, "an array or null", *members);
    }
    for (size_t i = 0; i < members->size(); ++i) {
      const Json& member = (*members)[i];
      if (!member.is_string()) {
        return WrongType(absl::StrCat(where, ": field \"members[", i, "]\""),
                         "a string", member);
      }
      queue.members.push_back(member.get<std::string>());
    }
  }
  return queue;
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// A model with the node's identity and no shard yet.
NodeModel NodeIdentity(const NodeMetrics& metrics) {
  NodeModel model;
  // Empty only before rabbitmq_cluster_permanent_id existed: the target's
  // configured cluster_id is then used (or the target fails saying so).
  model.cluster_id = metrics.cluster_id;
  model.cluster_display_name = metrics.cluster_name;
  model.node = metrics.node;
  model.version = metrics.version;
  return model;
}

void SortShards(NodeModel& model) {
  std::sort(model.shards.begin(), model.shards.end(),
            [](const Shard& a, const Shard& b) { return a.id < b.id; });
}

}  // namespace

absl::StatusOr<NodeMetrics> ParseDetailedMetrics(absl::string_view text) {
  auto samples = ParsePrometheusText(
      text, {kIdentityInfo, kBuildInfo, kCommitIndex, kQueueMessages});
  if (!samples.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics reply: ", samples.status().message()));
  }
  NodeMetrics metrics;
  bool identity = false;
  bool build = false;
  for (const PrometheusSample& sample : *samples) {
    const std::string line = absl::StrCat("metrics reply: line ", sample.line);
    if (sample.name == kIdentityInfo || sample.name == kBuildInfo) {
      bool& seen = sample.name == kIdentityInfo ? identity : build;
      if (seen) {
        return absl::InvalidArgumentError(
            absl::StrCat(line, ": a second ", sample.name, " sample"));
      }
      seen = true;
    }
    if (sample.name == kIdentityInfo) {
      auto node = RequiredLabel(sample, "rabbitmq_node");
      if (!node.ok()) return node.status();
      metrics.node = *std::move(node);
      // Older versions have no permanent ID: the target's cluster_id then.
      metrics.cluster_id =
          LabelOrEmpty(sample, "rabbitmq_cluster_permanent_id");
      metrics.cluster_name = LabelOrEmpty(sample, "rabbitmq_cluster");
      continue;
    }
    if (sample.name == kBuildInfo) {
      auto version = RequiredLabel(sample, "rabbitmq_version");
      if (!version.ok()) return version.status();
      metrics.version = *std::move(version);
      continue;
    }
    const std::string* vhost = sample.Label("vhost");
    const std::string* queue = sample.Label("queue");
    // The node's other Raft clusters (the stream coordinator's) have
    // series without these labels: not queues.
    if (vhost == nullptr || queue == nullptr) continue;
    if (sample.name == kQueueMessages) {
      metrics.leading.emplace(*vhost, *queue);
      continue;
    }
    const std::string series = absl::StrCat(line, ": ", sample.name, " of ",
                                            Quoted(ShardId(*vhost, *queue)));
    const double value = sample.value;
    // Raft indexes are integers; 2^64 itself is out of range.
    if (!(value >= 0 && value < 18446744073709551616.0) ||
        value != std::floor(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(series, ": expected a non-negative integer, got ",
                       ShownValue(value)));
    }
    const QueueId id(*vhost, *queue);
    if (!metrics.commit_index.emplace(id, static_cast<uint64_t>(value))
             .second) {
      return absl::InvalidArgumentError(absl::StrCat(series, ": given twice"));
    }
  }
  if (!identity) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics reply: no ", kIdentityInfo, " sample"));
  }
  if (!build) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics reply: no ", kBuildInfo, " sample"));
  }
  return metrics;
}

absl::StatusOr<std::vector<Queue>> ParseQueues(absl::string_view text) {
  constexpr absl::string_view kWhere = "queues reply";
  auto json = ParseArrayOfObjects(
      text, kWhere, {"name", "vhost", "type", "leader", "node", "members"});
  if (!json.ok()) return json.status();
  std::vector<Queue> queues;
  for (size_t i = 0; i < json->size(); ++i) {
    auto queue = ParseQueue((*json)[i], absl::StrCat(kWhere, ": [", i, "]"));
    if (!queue.ok()) return queue.status();
    queues.push_back(*std::move(queue));
  }
  return queues;
}

absl::StatusOr<std::vector<std::string>> ParseNodeNames(
    absl::string_view text) {
  constexpr absl::string_view kWhere = "nodes reply";
  auto json = ParseArrayOfObjects(text, kWhere, {"name"});
  if (!json.ok()) return json.status();
  std::vector<std::string> names;
  for (size_t i = 0; i < json->size(); ++i) {
    auto name = StringField((*json)[i], absl::StrCat(kWhere, ": [", i, "]"),
                            "name", /*required=*/true);
    if (!name.ok()) return name.status();
    names.push_back(*std::move(name));
  }
  return names;
}

std::vector<std::string> MemberAddresses(
    const std::vector<std::string>& node_names, int management_port) {
  std::vector<std::string> addresses;
  for (const std::string& name : node_names) {
    const size_t at = name.find('@');
    if (at == std::string::npos || at + 1 == name.size()) continue;
    const std::string host = name.substr(at + 1);
    const bool v6 = host.find(':') != std::string::npos;
    std::string address =
        absl::StrCat(v6 ? "[" : "", host, v6 ? "]" : "", ":", management_port);
    if (!Contains(addresses, address)) addresses.push_back(std::move(address));
  }
  return addresses;
}

NodeModel BuildModel(const NodeMetrics& metrics,
                     const std::vector<Queue>& queues) {
  NodeModel model = NodeIdentity(metrics);
  for (const Queue& queue : queues) {
    Shard shard;
    shard.id = ShardId(queue.vhost, queue.name);
    if (queue.type == "quorum") {
      auto commit = metrics.commit_index.find(QueueId(queue.vhost, queue.name));
      const bool has_series = commit != metrics.commit_index.end();
      // The members come from the queue's record, which is current; the
      // Raft series are a snapshot refreshed every 5 s (and the only sign of
      // membership when a reply names no members).
      const bool member = queue.members.empty()
                              ? has_series
                              : Contains(queue.members, metrics.node);
      if (!member) continue;
      if (queue.leader == metrics.node) {
        shard.role = Role::kPrimary;
      } else if (queue.leader.has_value()) {
        shard.role = Role::kSecondary;
      } else {
        // "leader": null while the members elect one: nobody is primary.
        shard.role = Role::kUnknown;
        shard.role_detail = "no leader";
      }
      if (has_series) {
        shard.commit_offset = CommitOffset{kRaftIndexUnit, commit->second};
      }
    } else if (queue.type == "stream") {
      // A stream's writer is its leader; its replicas are named only in
      // replies with statistics (members), which are not asked.
      const bool writer = !queue.node.empty() && queue.node == metrics.node;
      if (!writer && !Contains(queue.members, metrics.node)) continue;
      if (writer) {
        shard.role = Role::kPrimary;
      } else if (!queue.node.empty()) {
        shard.role = Role::kSecondary;
      } else {
        shard.role = Role::kUnknown;
        shard.role_detail = "no writer";
      }
      // No commit offset: RabbitMQ 3.10 gives a stream's offsets only
      // through its CLI (README.md).
    } else {
      continue;  // Classic queues are not replicated.
    }
    // No lag: the node's own figure (commit − last applied) is 0 by
    // construction in the 5-s snapshot (README.md).
    model.shards.push_back(std::move(shard));
  }
  SortShards(model);
  return model;
}

std::set<QueueId> StreamIds(const std::vector<Queue>& queues) {
  std::set<QueueId> streams;
  for (const Queue& queue : queues) {
    if (queue.type == "stream") streams.emplace(queue.vhost, queue.name);
  }
  return streams;
}

std::set<std::string> UnlistedVhosts(const NodeMetrics& metrics,
                                     const std::vector<Queue>& queues) {
  std::set<std::string> vhosts;
  for (const auto& [queue, commit_index] : metrics.commit_index) {
    vhosts.insert(queue.first);
  }
  for (const Queue& queue : queues) vhosts.erase(queue.vhost);
  return vhosts;
}

NodeModel BuildModelFromMetrics(const NodeMetrics& metrics,
                                const std::set<QueueId>& streams) {
  NodeModel model = NodeIdentity(metrics);
  for (const auto& [queue, commit_index] : metrics.commit_index) {
    Shard shard;
    shard.id = ShardId(queue.first, queue.second);
    shard.role =
        metrics.leading.count(queue) > 0 ? Role::kPrimary : Role::kSecondary;
    shard.commit_offset = CommitOffset{kRaftIndexUnit, commit_index};
    model.shards.push_back(std::move(shard));
  }
  for (const QueueId& stream : streams) {
    if (metrics.leading.count(stream) == 0 ||
        metrics.commit_index.count(stream) > 0) {
      continue;
    }
    Shard shard;
    shard.id = ShardId(stream.first, stream.second);
    shard.role = Role::kPrimary;
    model.shards.push_back(std::move(shard));
  }
  SortShards(model);
  return model;
}

}  // namespace dse::rabbitmq
