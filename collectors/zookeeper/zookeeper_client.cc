#include "collectors/zookeeper/zookeeper_client.h"

#include "absl/strings/str_cat.h"
#include "collectors/net/socket.h"

namespace dse::zookeeper {
namespace {

absl::Status WithWord(absl::string_view word, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(word, ": ", status.message()));
}

}  // namespace

absl::StatusOr<std::string> SendFourLetterWord(const HostPort& address,
                                               absl::string_view word,
                                               size_t max_reply_bytes,
                                               absl::Time deadline) {
  net::Socket socket;
  absl::Status status = socket.Connect(address, deadline);
  if (status.ok()) status = socket.SendAll(word, deadline);
  if (!status.ok()) return WithWord(word, status);
  auto reply = socket.ReadToEnd(max_reply_bytes, deadline);
  if (!reply.ok()) return WithWord(word, reply.status());
  return reply;
}

}  // namespace dse::zookeeper
