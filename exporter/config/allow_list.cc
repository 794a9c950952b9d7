#include "exporter/config/allow_list.h"

#include <arpa/inet.h>
#include <fnmatch.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace dse {
namespace {

struct Pattern {
  enum class Host { kAny, kIpv4Cidr, kIpv4Glob, kIpv6Cidr, kIpv6Glob, kName };
  Host host_kind = Host::kAny;
  std::string host;  // The glob, or the network address of a CIDR block.
  int prefix = 0;    // Of a CIDR block.
  std::string port;  // A number or a glob over one.
};

bool IsGlobChar(char c) {
  return c == '*' || c == '?' || c == '[' || c == ']' || c == '!';
}

bool AllOf(absl::string_view text, bool (*ok)(char)) {
  for (char c : text) {
    if (!ok(c)) return false;
  }
  return !text.empty();
}

bool Ipv4(const std::string& text, in_addr* out) {
  return inet_pton(AF_INET, text.c_str(), out) == 1;
}
bool Ipv6(const std::string& text, in6_addr* out) {
  return inet_pton(AF_INET6, text.c_str(), out) == 1;
}

// The first `prefix` bits of a and b (both `bytes` long) are equal.
bool SamePrefix(const unsigned char* a, const unsigned char* b, int prefix) {
  int whole = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a, b, static_cast<size_t>(whole)) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

// Reads "ADDRESS/PREFIX" (the slash at `slash`) into the pattern's host and
// prefix; false unless ADDRESS parses with `parse` and PREFIX is from 0 to
// `max_prefix`.
template <typename Address>
bool ReadCidr(const std::string& host, size_t slash, int max_prefix,
              bool (*parse)(const std::string&, Address*), Pattern* pattern) {
  Address address;
  pattern->host = host.substr(0, slash);
  return parse(pattern->host, &address) &&
         absl::SimpleAtoi(host.substr(slash + 1), &pattern->prefix) &&
         pattern->prefix >= 0 && pattern->prefix <= max_prefix;
}

absl::Status Parse(const std::string& text, Pattern* pattern) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("allowed target \"", text, "\": ", why));
  };
  std::string host;
  if (text == "*") {  // Any host, any port.
    pattern->host_kind = Pattern::Host::kAny;
    pattern->port = "*";
    return absl::OkStatus();
  }
  if (absl::StartsWith(text, "[")) {
    size_t close = text.find(']');
    if (close == std::string::npos) return bad("missing \"]\"");
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("expected \":PORT\" after \"]\"");
    }
    pattern->port = text.substr(close + 2);
    size_t slash = host.find('/');
    in6_addr address;
    if (slash != std::string::npos) {
      pattern->host_kind = Pattern::Host::kIpv6Cidr;
      if (!ReadCidr(host, slash, 128, Ipv6, pattern)) {
        return bad("expected an IPv6 CIDR block such as [fd00::/8]");
      }
    } else if (std::any_of(host.begin(), host.end(), IsGlobChar)) {
      pattern->host_kind = Pattern::Host::kIpv6Glob;
      pattern->host = absl::AsciiStrToLower(host);
    } else {
      pattern->host_kind = Pattern::Host::kIpv6Cidr;
      pattern->host = host;
      pattern->prefix = 128;
      if (!Ipv6(host, &address)) return bad("not an IPv6 address");
    }
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos) return bad("expected HOST:PORT");
    host = text.substr(0, colon);
    pattern->port = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return bad("write IPv6 patterns in brackets, as [::1]:6379");
    }
    size_t slash = host.find('/');
    if (host == "*") {
      pattern->host_kind = Pattern::Host::kAny;
    } else if (slash != std::string::npos) {
      pattern->host_kind = Pattern::Host::kIpv4Cidr;
      if (!ReadCidr(host, slash, 32, Ipv4, pattern)) {
        return bad("expected an IPv4 CIDR block such as 10.0.1.0/24");
      }
    } else if (std::any_of(host.begin(), host.end(),
                           [](char c) {
                             return absl::ascii_isdigit(
                                 static_cast<unsigned char>(c));
                           }) &&
               AllOf(host, [](char c) {
                 return absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
                        c == '.' || IsGlobChar(c) || c == '-';
               })) {
      pattern->host_kind = Pattern::Host::kIpv4Glob;
      pattern->host = host;
    } else {
      pattern->host_kind = Pattern::Host::kName;
      pattern->host = absl::AsciiStrToLower(host);
    }
  }
  if (host.empty()) return bad("missing host");
  if (!AllOf(pattern->port, [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
               IsGlobChar(c) || c == '-';
      })) {
    return bad("PORT must be a number or a glob over one (\"*\", \"63??\")");
  }
  return absl::OkStatus();
}

bool Glob(const std::string& pattern, const std::string& text) {
  return fnmatch(pattern.c_str(), text.c_str(), FNM_NOESCAPE) == 0;
}

bool Matches(const Pattern& pattern, const HostPort& target) {
  if (!Glob(pattern.port, std::to_string(target.port))) return false;
  in_addr v4, network4;
  in6_addr v6, network6;
  const bool is_v4 = Ipv4(target.host, &v4);
  const bool is_v6 = !is_v4 && Ipv6(target.host, &v6);
  switch (pattern.host_kind) {
    case Pattern::Host::kAny:
      return true;
    case Pattern::Host::kIpv4Cidr:
      return is_v4 && Ipv4(pattern.host, &network4) &&
             SamePrefix(reinterpret_cast<const unsigned char*>(&v4),
                        reinterpret_cast<const unsigned char*>(&network4),
                        pattern.prefix);
    case Pattern::Host::kIpv4Glob:
      return is_v4 && Glob(pattern.host, target.host);
    case Pattern::Host::kIpv6Cidr:
      return is_v6 && Ipv6(pattern.host, &network6) &&
             SamePrefix(v6.s6_addr, network6.s6_addr, pattern.prefix);
    case Pattern::Host::kIpv6Glob:
      return is_v6 && Glob(pattern.host, absl::AsciiStrToLower(target.host));
    case Pattern::Host::kName:
      return !is_v4 && !is_v6 &&
             Glob(pattern.host, absl::AsciiStrToLower(target.host));
  }
  return false;
}

}  // namespace

absl::Status CheckAllowPattern(const std::string& text) {
  Pattern pattern;
  return Parse(text, &pattern);
}

bool ModuleAllows(const ModuleConfig& module, const HostPort& target) {
  for (const std::string& text : module.allowed_targets) {
    Pattern pattern;
    if (Parse(text, &pattern).ok() && Matches(pattern, target)) return true;
  }
  return false;
}

}  // namespace dse
