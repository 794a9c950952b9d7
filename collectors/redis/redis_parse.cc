#include "collectors/redis/redis_parse.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "exporter/model/target.h"

namespace dse::redis {
namespace {

const std::string* Field(const InfoFields& info, absl::string_view key) {
  auto it = info.find(key);
  return it == info.end() ? nullptr : &it->second;
}

// Reads a non-negative offset; absent or negative (Redis uses -1 and 0 while
// a replica has no data yet) gives false.
absl::StatusOr<bool> ReadOffset(const InfoFields& info, absl::string_view key,
                                uint64_t* out) {
  const std::string* text = Field(info, key);
  if (text == nullptr) return false;
  int64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("INFO field ", key, ": bad value \"", *text, "\""));
  }
  if (value < 0) return false;
  *out = static_cast<uint64_t>(value);
  return true;
}

bool ClusterMode(const InfoFields& info) {
  const std::string* enabled = Field(info, "cluster_enabled");
  return enabled != nullptr && *enabled == "1";
}

// A TCP port, 0 included (Redis's "unknown").
bool ParsePort(absl::string_view text, int* port) {
  return absl::SimpleAtoi(text, port) && *port >= 0 && *port <= 65535;
}

// The "ip" and "port" of a replica's INFO line
// ("ip=127.0.0.1,port=6380,state=online,offset=375,lag=0").
absl::Status ParseReplicaLine(absl::string_view key, absl::string_view line,
                              std::string* ip, int* port) {
  bool have_port = false;
  for (absl::string_view pair : absl::StrSplit(line, ',')) {
    std::pair<absl::string_view, absl::string_view> name_value =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (name_value.first == "ip") *ip = std::string(name_value.second);
    if (name_value.first == "port") {
      have_port = ParsePort(name_value.second, port);
    }
  }
  if (ip->empty() || !have_port) {
    return absl::InvalidArgumentError(
        absl::StrCat("INFO field ", key, ": expected ip and port, got \"",
                     line.substr(0, 80), "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::pair<int, int>> ParseSlotRange(absl::string_view text) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(text, absl::MaxSplits('-', 1));
  int start = 0, end = 0;
  if (!absl::SimpleAtoi(parts.first, &start)) {
    return absl::InvalidArgumentError(absl::StrCat("bad slot \"", text, "\""));
  }
  end = start;
  if (!parts.second.empty() && !absl::SimpleAtoi(parts.second, &end)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad slot range \"", text, "\""));
  }
  if (start < 0 || end > 16383 || start > end) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad slot range \"", text, "\""));
  }
  return std::make_pair(start, end);
}

}  // namespace

absl::StatusOr<InfoFields> ParseInfo(absl::string_view text) {
  InfoFields fields;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripSuffix(line, "\r");
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "INFO line ", line_number, ": expected key:value, got \"",
          line.substr(0, 80), "\""));
    }
    fields.emplace(std::string(line.substr(0, colon)),
                   std::string(line.substr(colon + 1)));
  }
  return fields;
}

absl::StatusOr<std::vector<ClusterNode>> ParseClusterNodes(
    absl::string_view text) {
  std::vector<ClusterNode> nodes;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripSuffix(line, "\r");
    if (line.empty()) continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    // id addr flags master ping-sent pong-recv config-epoch link-state slot...
    if (words.size() < 8) {
      return absl::InvalidArgumentError(
          absl::StrCat("CLUSTER NODES line ", line_number,
                       ": expected at least 8 fields, got ", words.size()));
    }
    ClusterNode node;
    node.id = std::string(words[0]);
    node.address = std::string(words[1]);
    // "ip:port@cport[,hostname]"; ip is "" and port 0 when unknown, and an
    // IPv6 ip holds colons itself.
    absl::string_view endpoint = words[1];
    endpoint = endpoint.substr(0, endpoint.find_first_of("@,"));
    const size_t colon = endpoint.rfind(':');
    if (colon == absl::string_view::npos ||
        !ParsePort(endpoint.substr(colon + 1), &node.port)) {
      return absl::InvalidArgumentError(
          absl::StrCat("CLUSTER NODES line ", line_number, ": bad address \"",
                       words[1].substr(0, 80), "\""));
    }
    node.ip = std::string(endpoint.substr(0, colon));
    for (absl::string_view flag : absl::StrSplit(words[2], ',')) {
      if (flag == "myself") node.myself = true;
      if (flag == "master") node.master = true;
      if (flag == "slave") node.replica = true;
      if (flag == "fail") node.failed = true;
      if (flag == "handshake") node.handshake = true;
      if (flag == "noaddr") node.no_address = true;
    }
    node.master_id = std::string(words[3]);
    for (size_t i = 8; i < words.size(); ++i) {
      if (words[i].front() == '[') continue;  // Slot being migrated/imported.
      auto range = ParseSlotRange(words[i]);
      if (!range.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("CLUSTER NODES line ", line_number, ": ",
                         range.status().message()));
      }
      node.slots.push_back(*range);
    }
    nodes.push_back(std::move(node));
  }
  return nodes;
}

absl::StatusOr<std::vector<std::string>> MemberAddresses(
    const InfoFields& info, const std::vector<ClusterNode>* cluster_nodes) {
  std::vector<std::string> members;
  if (ClusterMode(info)) {
    if (cluster_nodes == nullptr) {
      return absl::InvalidArgumentError(
          "cluster mode is on but CLUSTER NODES gave nothing");
    }
    for (const ClusterNode& node : *cluster_nodes) {
      // A failed node stays listed: it is a member, down. A node being met
      // may be a mistyped address and joins the list once it has joined.
      if (node.handshake || node.no_address) continue;
      if (node.ip.empty() || node.port == 0) continue;
      members.push_back(FormatHostPort(node.ip, node.port));
    }
    return members;
  }
  // A replica names its primary as configured (replicaof: an ip or a
  // hostname), whether the link is up or not.
  if (const std::string* host = Field(info, "master_host"); host != nullptr) {
    const std::string* port_text = Field(info, "master_port");
    int port = 0;
    if (port_text == nullptr || !ParsePort(*port_text, &port)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "INFO field master_port: bad value \"",
          port_text == nullptr ? "" : port_text->substr(0, 80), "\""));
    }
    if (!host->empty() && port != 0)
      members.push_back(FormatHostPort(*host, port));
  }
  // slave0, slave1, ...: numbered without gaps. The port is the one the
  // replica announces (its listening port, or replica-announce-port); the
  // ip is its replica-announce-ip, else the address its connection comes
  // from.
  for (int number = 0;; ++number) {
    const std::string key = absl::StrCat("slave", number);
    const std::string* line = Field(info, key);
    if (line == nullptr) break;
    std::string ip;
    int port = 0;
    absl::Status parsed = ParseReplicaLine(key, *line, &ip, &port);
    if (!parsed.ok()) return parsed;
    // Port 0: a replication stream that listens nowhere (redis-cli
    // --replica), not a server.
    if (port != 0) members.push_back(FormatHostPort(ip, port));
  }
  return members;
}

std::string SlotRangesId(const std::vector<std::pair<int, int>>& slots) {
  return absl::StrJoin(slots, ",",
                       [](std::string* out, const std::pair<int, int>& r) {
                         if (r.first == r.second) {
                           absl::StrAppend(out, r.first);
                         } else {
                           absl::StrAppend(out, r.first, "-", r.second);
                         }
                       });
}

absl::StatusOr<NodeModel> BuildModel(
    const InfoFields& info, const std::vector<ClusterNode>* cluster_nodes,
    const MappingInput& input) {
  NodeModel model;
  const std::string* version = Field(info, "redis_version");
  const std::string* role = Field(info, "role");
  if (version == nullptr)
    return absl::InvalidArgumentError("INFO has no redis_version");
  if (role == nullptr) return absl::InvalidArgumentError("INFO has no role");
  model.version = *version;

  // In cluster mode the role comes from the cluster's own view of this node
  // (the "myself" line of CLUSTER NODES); otherwise from INFO.
  const bool cluster_mode = ClusterMode(info);
  const ClusterNode* myself = nullptr;
  std::string native_role = *role;
  if (cluster_mode) {
    if (cluster_nodes == nullptr) {
      return absl::InvalidArgumentError(
          "cluster mode is on but CLUSTER NODES gave nothing");
    }
    for (const ClusterNode& node : *cluster_nodes) {
      if (node.myself) myself = &node;
    }
    if (myself == nullptr) {
      return absl::InvalidArgumentError("CLUSTER NODES has no \"myself\" line");
    }
    native_role = myself->master    ? "master"
                  : myself->replica ? "slave"
                                    : "none";
  }

  Shard shard;
  uint64_t offset = 0;
  bool have_offset = false;
  if (native_role == "master") {
    shard.role = Role::kPrimary;
    auto read = ReadOffset(info, "master_repl_offset", &offset);
    if (!read.ok()) return read.status();
    have_offset = *read;
  } else if (native_role == "slave") {
    // Not replicating (link down: primary unreachable, or waiting for a full
    // sync to start) or loading a full sync: the copy is catching up.
    const std::string* syncing = Field(info, "master_sync_in_progress");
    const std::string* link = Field(info, "master_link_status");
    const bool in_sync = (syncing == nullptr || *syncing == "0") &&
                         (link != nullptr && *link == "up");
    shard.role = in_sync ? Role::kSecondary : Role::kRecovering;
    // slave_repl_offset is meaningless while a full sync loads, and before
    // the replica ever had data (its own master_repl_offset is still 0).
    uint64_t own_stream = 0;
    auto read = ReadOffset(info, "master_repl_offset", &own_stream);
    if (!read.ok()) return read.status();
    if ((syncing == nullptr || *syncing == "0") && own_stream > 0) {
      read = ReadOffset(info, "slave_repl_offset", &offset);
      if (!read.ok()) return read.status();
      have_offset = *read;
    }
  } else {
    shard.role = Role::kUnknown;
    shard.role_detail = native_role;
  }
  if (have_offset) shard.commit_offset = CommitOffset{"bytes", offset};

  if (!cluster_mode) {
    model.node = input.node;
    shard.id = input.shard_id;
    model.shards.push_back(std::move(shard));
    return model;
  }

  model.node = myself->id;
  // The shard is identified by the slots its primary serves: they move with
  // the shard across failovers, unlike node IDs.
  const ClusterNode* owner = myself;
  if (!myself->master) {
    owner = nullptr;
    for (const ClusterNode& node : *cluster_nodes) {
      if (node.id == myself->master_id) owner = &node;
    }
  }
  if (owner != nullptr && !owner->slots.empty()) {
    shard.id = SlotRangesId(owner->slots);
    model.shards.push_back(std::move(shard));
  }
  // A master without slots, or a replica of an unknown master, holds no
  // shard: it is reported up with no shard series.
  return model;
}

}  // namespace dse::redis
