// A target's settings as the collectors see them, and the small helpers
// every kind uses on them: secrets, addresses, reply limits. No I/O but
// reading a secret file.
#ifndef DATASTORE_EXPORTER_EXPORTER_MODEL_TARGET_H_
#define DATASTORE_EXPORTER_EXPORTER_MODEL_TARGET_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dse {

struct HostPort {
  std::string host;  // Without brackets for IPv6.
  int port = 0;
};

// Splits "host:port", "[v6]:port" or "host" (then `default_port`).
absl::StatusOr<HostPort> ParseHostPort(const std::string& address,
                                       int default_port);

// "host:port", or "[host]:port" for an IPv6 address: what ParseHostPort
// reads.
std::string FormatHostPort(absl::string_view host, int port);
inline std::string FormatHostPort(const HostPort& address) {
  return FormatHostPort(address.host, address.port);
}

// Where a secret comes from. The secret itself is read only when needed and
// never stored in the configuration, logged or shown.
struct SecretSource {
  std::string
      file;  // Path of a file holding the secret (trailing newline dropped).
  std::string env;  // Name of an environment variable holding it.
  bool empty() const { return file.empty() && env.empty(); }
};

// Reads a whole regular file of at most `limit` bytes without blocking on it:
// a FIFO, a device or a directory is refused. Errors, without the path: the
// system's reason, "not a regular file", "larger than N bytes".
absl::StatusOr<std::string> ReadRegularFile(const std::string& path,
                                            size_t limit);
inline constexpr size_t kMaxConfigFileBytes = 16 << 20;

// Reads a secret. An empty source gives an empty string. A file must be a
// regular file of at most kMaxSecretFileBytes, read without blocking (a FIFO
// or a device is refused). Errors name the file or variable, never the
// content.
absl::StatusOr<std::string> ReadSecret(const SecretSource& source);
inline constexpr size_t kMaxSecretFileBytes = 64 << 10;

// `text` with every occurrence of `secret` replaced by "<secret>", and every
// run of 8 or more of its first characters too (servers that echo arguments
// in errors cut them short). For error texts that came from a datastore.
std::string ScrubSecret(const std::string& text, const std::string& secret);

// Default of TargetConfig::max_reply_bytes (`max_reply_bytes:`): 4 MiB.
inline constexpr size_t kDefaultMaxReplyBytes = 4 << 20;
// The error of a reply over that limit: "reply larger than N bytes".
absl::Status ReplyTooLarge(size_t limit);

struct TargetConfig {
  std::string name;
  std::string kind;
  std::string address;
  // `address` resolved when the target is loaded (configuration, --target or
  // /probe): host and port, the kind's default port where none is written.
  HostPort endpoint;
  std::string cluster_id;
  std::string cluster_display_name;
  std::string node;  // Overrides the node name the datastore gives.
  std::string username;
  SecretSource password;
  absl::Duration timeout = absl::Seconds(5);
  // Largest reply the collector accepts from the datastore in one
  // collection; a larger one fails it ("reply larger than N bytes"). The
  // replies parsed are a few KB: this only stops a peer that streams without
  // end.
  size_t max_reply_bytes = kDefaultMaxReplyBytes;
  std::map<std::string, std::string> options;  // Kind-specific.
};

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_MODEL_TARGET_H_
