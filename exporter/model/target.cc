#include "exporter/model/target.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace dse {

std::string FormatHostPort(absl::string_view host, int port) {
  if (host.find(':') != absl::string_view::npos) {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<HostPort> ParseHostPort(const std::string& address,
                                       int default_port) {
  HostPort result;
  std::string port_text;
  if (!address.empty() && address[0] == '[') {
    size_t close = address.find(']');
    if (close == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address, "\": missing \"]\""));
    }
    result.host = address.substr(1, close - 1);
    std::string rest = address.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        return absl::InvalidArgumentError(absl::StrCat(
            "address \"", address, "\": expected \":port\" after \"]\""));
      }
      port_text = rest.substr(1);
    }
  } else {
    size_t colon = address.rfind(':');
    if (colon != std::string::npos && address.find(':') != colon) {
      return absl::InvalidArgumentError(absl::StrCat(
          "address \"", address, "\": write IPv6 addresses as [host]:port"));
    }
    result.host = address.substr(0, colon);
    if (colon != std::string::npos) port_text = address.substr(colon + 1);
  }
  if (result.host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("address \"", address, "\": missing host"));
  }
  // Strict: what is matched against allow-lists is what gets connected to,
  // so no whitespace, signs or other bytes that a later parser would drop.
  if (address[0] == '[') {
    in6_addr v6;
    if (inet_pton(AF_INET6, result.host.c_str(), &v6) != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "address \"", address, "\": not an IPv6 address in brackets"));
    }
    // An IPv4 address written as IPv6 (::ffff:a.b.c.d, ::a.b.c.d) would
    // reach IPv4 hosts that no IPv4 pattern allowed.
    if (result.host.find('.') != std::string::npos ||
        IN6_IS_ADDR_V4MAPPED(&v6) || IN6_IS_ADDR_V4COMPAT(&v6)) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address,
                       "\": write IPv4 addresses as a.b.c.d, not inside IPv6"));
    }
  } else {
    for (char c : result.host) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
          c != '-' && c != '_') {
        return absl::InvalidArgumentError(absl::StrCat(
            "address \"", absl::CEscape(address),
            "\": the host may hold only letters, digits, '.', '-' and '_'"));
      }
    }
    // inet_aton's forms ("127.1", "0x7f.1", "2130706433") are IP addresses
    // to the resolver but not to the allow-list: refuse them.
    in_addr v4;
    if (inet_pton(AF_INET, result.host.c_str(), &v4) != 1 &&
        inet_aton(result.host.c_str(), &v4) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "address \"", address,
          "\": write IPv4 addresses as four decimal numbers (a.b.c.d)"));
    }
  }
  if (!port_text.empty() &&
      (port_text.size() > 5 ||
       !std::all_of(port_text.begin(), port_text.end(), [](char c) {
         return absl::ascii_isdigit(static_cast<unsigned char>(c));
       }))) {
    return absl::InvalidArgumentError(
        absl::StrCat("address \"", absl::CEscape(address),
                     "\": port must be a number from 1 to 65535"));
  }
  if (port_text.empty()) {
    if (default_port <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address, "\": missing port"));
    }
    result.port = default_port;
  } else if (!absl::SimpleAtoi(port_text, &result.port) || result.port <= 0 ||
             result.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "address \"", address, "\": port must be a number from 1 to 65535"));
  }
  return result;
}

absl::StatusOr<std::string> ReadRegularFile(const std::string& path,
                                            size_t limit) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int error = errno;
    return error == ENOENT
               ? absl::NotFoundError(std::strerror(error))
               : absl::FailedPreconditionError(std::strerror(error));
  }
  struct stat info {};
  std::string content;
  absl::Status status;
  if (fstat(fd, &info) != 0) {
    status = absl::FailedPreconditionError(std::strerror(errno));
  } else if (!S_ISREG(info.st_mode)) {
    status = absl::FailedPreconditionError("not a regular file");
  } else {
    char buffer[4096];
    for (;;) {
      ssize_t got = read(fd, buffer, sizeof(buffer));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        status = absl::FailedPreconditionError(std::strerror(errno));
        break;
      }
      if (got == 0) break;
      if (content.size() + static_cast<size_t>(got) > limit) {
        status = absl::FailedPreconditionError(
            absl::StrCat("larger than ", limit, " bytes"));
        break;
      }
      content.append(buffer, static_cast<size_t>(got));
    }
  }
  close(fd);
  if (!status.ok()) return status;
  return content;
}

absl::StatusOr<std::string> ReadSecret(const SecretSource& source) {
  if (!source.env.empty()) {
    const char* value = std::getenv(source.env.c_str());
    if (value == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("environment variable ", source.env, " is not set"));
    }
    return std::string(value);
  }
  if (!source.file.empty()) {
    auto secret = ReadRegularFile(source.file, kMaxSecretFileBytes);
    if (!secret.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "secret file ", source.file, ": ", secret.status().message()));
    }
    while (!secret->empty() &&
           (secret->back() == '\n' || secret->back() == '\r')) {
      secret->pop_back();
    }
    return secret;
  }
  return std::string();
}

absl::Status ReplyTooLarge(size_t limit) {
  return absl::ResourceExhaustedError(
      absl::StrCat("reply larger than ", limit, " bytes"));
}

std::string ScrubSecret(const std::string& input, const std::string& secret) {
  constexpr size_t kShortestCut = 8;
  if (secret.empty()) return input;
  // Whole occurrences first, so that a cut-short match cannot swallow the
  // start of a whole one (secrets that repeat themselves).
  const std::string text = absl::StrReplaceAll(input, {{secret, "<secret>"}});
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t same = 0;
    while (same < secret.size() && i + same < text.size() &&
           text[i + same] == secret[same]) {
      ++same;
    }
    if (same == secret.size() || same >= kShortestCut) {
      out += "<secret>";
      i += same;
    } else {
      out += text[i++];
    }
  }
  return out;
}

}  // namespace dse
