#include "collectors/zookeeper/zookeeper_parse.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "exporter/model/target.h"

namespace dse::zookeeper {
namespace {

// The one-sentence replies ZooKeeper gives instead of a command's output.
constexpr absl::string_view kNotServing =
    "This ZooKeeper instance is not currently serving requests";
constexpr absl::string_view kNotInWhitelist =
    "is not executed because it is not in the whitelist";

// Quotes the start of a reply line for an error message.
std::string Quoted(absl::string_view text) {
  constexpr size_t kMaxShown = 80;
  return absl::StrCat("\"", absl::CEscape(text.substr(0, kMaxShown)),
                      text.size() > kMaxShown ? "...\"" : "\"");
}

absl::Status CheckNotASentence(absl::string_view word,
                               absl::string_view reply) {
  if (absl::StartsWith(reply, kNotServing)) {
    return absl::UnavailableError(absl::StrCat(
        word,
        ": the server is not serving requests (leader election in progress "
        "or no quorum)"));
  }
  if (absl::StrContains(reply, kNotInWhitelist)) {
    return absl::FailedPreconditionError(
        absl::StrCat(word, ": not in the server's 4lw.commands.whitelist"));
  }
  return absl::OkStatus();
}

bool IsHex(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isxdigit(c)) return false;
  }
  return !text.empty();
}

// "3.8.0-${mvngit.commit.id}, built on ..." or "3.8.0-5a02a05e..., built on
// ..." gives "3.8.0"; a release suffix such as "3.5.0-alpha" stays.
std::string ReleaseVersion(absl::string_view text) {
  text = text.substr(0, text.find(','));
  size_t dash = text.rfind('-');
  if (dash != absl::string_view::npos) {
    absl::string_view build = text.substr(dash + 1);
    if ((build.size() >= 7 && IsHex(build)) || absl::StartsWith(build, "${"))
      text = text.substr(0, dash);
  }
  return std::string(absl::StripAsciiWhitespace(text));
}

}  // namespace

absl::StatusOr<ServerStatus> ParseSrvr(absl::string_view reply) {
  absl::Status sentence = CheckNotASentence("srvr", reply);
  if (!sentence.ok()) return sentence;
  if (!absl::StartsWith(reply, "Zookeeper version: ")) {
    return absl::InvalidArgumentError(
        absl::StrCat("srvr: not a ZooKeeper reply: ",
                     Quoted(reply.substr(0, reply.find('\n')))));
  }
  ServerStatus status;
  bool have_zxid = false;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(reply, '\n')) {
    ++line_number;
    line = absl::StripSuffix(line, "\r");
    // Lines without "key: value" (a read-only server's "READ-ONLY mode;
    // serving only read-only clients") are notes, not fields.
    std::pair<absl::string_view, absl::string_view> field =
        absl::StrSplit(line, absl::MaxSplits(": ", 1));
    if (field.first == "Zookeeper version") {
      status.version = ReleaseVersion(field.second);
      if (status.version.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "srvr line ", line_number, ": bad version ", Quoted(field.second)));
      }
    } else if (field.first == "Mode") {
      status.mode = std::string(field.second);
    } else if (field.first == "Zxid") {
      absl::string_view hex = field.second;
      if (!absl::ConsumePrefix(&hex, "0x") || !IsHex(hex) || hex.size() > 16 ||
          !absl::SimpleHexAtoi(hex, &status.zxid)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "srvr line ", line_number, ": bad Zxid ", Quoted(field.second)));
      }
      have_zxid = true;
    }
  }
  if (!have_zxid) return absl::InvalidArgumentError("srvr: no Zxid line");
  if (status.mode.empty()) {
    return absl::InvalidArgumentError("srvr: no Mode line");
  }
  return status;
}

absl::StatusOr<std::optional<std::string>> ParseConfServerId(
    absl::string_view reply) {
  absl::Status sentence = CheckNotASentence("conf", reply);
  if (absl::IsFailedPrecondition(sentence)) return std::nullopt;
  if (!sentence.ok()) return sentence;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(reply, '\n')) {
    ++line_number;
    line = absl::StripSuffix(line, "\r");
    if (!absl::ConsumePrefix(&line, "serverId=")) continue;
    uint64_t id = 0;
    if (!absl::SimpleAtoi(line, &id)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "conf line ", line_number, ": bad serverId ", Quoted(line)));
    }
    return std::optional<std::string>(absl::StrCat(id));
  }
  return absl::InvalidArgumentError("conf: no serverId line");
}

absl::StatusOr<std::vector<std::string>> ParseConfMembers(
    absl::string_view reply, int fallback_port) {
  absl::Status sentence = CheckNotASentence("conf", reply);
  if (absl::IsFailedPrecondition(sentence)) {
    return absl::FailedPreconditionError(
        "conf: not in the server's 4lw.commands.whitelist (discovery needs "
        "it)");
  }
  if (!sentence.ok()) return sentence;
  std::vector<std::string> members;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(reply, '\n')) {
    ++line_number;
    line = absl::StripSuffix(line, "\r");
    if (!absl::StartsWith(line, "server.")) continue;
    const size_t equals = line.find('=');
    if (equals == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "conf line ", line_number, ": no '=' in ", Quoted(line)));
    }
    absl::string_view value = line.substr(equals + 1);
    absl::string_view client;
    const size_t semicolon = value.find(';');
    if (semicolon != absl::string_view::npos) {
      client = value.substr(semicolon + 1);
      value = value.substr(0, semicolon);
    }
    // host:quorum:election[:role]; an IPv6 host is in brackets.
    absl::string_view host = value;
    if (absl::StartsWith(host, "[")) {
      host = host.substr(1, host.find(']') - 1);
    } else {
      host = host.substr(0, host.find(':'));
    }
    std::string client_host(host);
    int port = fallback_port;
    if (!client.empty()) {
      absl::string_view client_port = client;
      const size_t colon = client.rfind(':');
      if (colon != absl::string_view::npos) {
        absl::string_view named = client.substr(0, colon);
        named = absl::StripPrefix(absl::StripSuffix(named, "]"), "[");
        if (named != "0.0.0.0" && named != "::" && !named.empty()) {
          client_host = std::string(named);
        }
        client_port = client.substr(colon + 1);
      }
      if (!absl::SimpleAtoi(client_port, &port) || port <= 0 || port > 65535) {
        return absl::InvalidArgumentError(absl::StrCat(
            "conf line ", line_number, ": bad client port in ", Quoted(line)));
      }
    }
    if (client_host.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "conf line ", line_number, ": no host in ", Quoted(line)));
    }
    members.push_back(FormatHostPort(client_host, port));
  }
  return members;
}

NodeModel BuildModel(const ServerStatus& status, const MappingInput& input) {
  NodeModel model;
  model.version = status.version;
  model.node = input.node;
  Shard shard;
  shard.id = input.shard_id;
  if (status.mode == "leader" || status.mode == "standalone") {
    shard.role = Role::kPrimary;
  } else if (status.mode == "follower" || status.mode == "observer") {
    shard.role = Role::kSecondary;
  } else {
    // "read-only": cut off from the quorum, serving reads of possibly stale
    // data; neither primary nor a replica that follows one.
    shard.role = Role::kUnknown;
    shard.role_detail = status.mode;
  }
  shard.commit_offset = CommitOffset{"zxid", status.zxid};
  model.shards.push_back(std::move(shard));
  return model;
}

}  // namespace dse::zookeeper
