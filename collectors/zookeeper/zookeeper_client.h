// Four-letter-word commands ("srvr", "conf") to one ZooKeeper server; the only
// file doing ZooKeeper I/O.
#ifndef DATASTORE_EXPORTER_COLLECTORS_ZOOKEEPER_ZOOKEEPER_CLIENT_H_
#define DATASTORE_EXPORTER_COLLECTORS_ZOOKEEPER_ZOOKEEPER_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "exporter/model/target.h"

namespace dse::zookeeper {

// Sends `word` on a fresh TCP connection and returns the whole reply: the
// server answers one command and closes the connection. Name resolution,
// connect, write and every read stop at `deadline`; a reply over
// `max_reply_bytes` fails. Errors name the word first ("srvr: connect:
// Connection refused", "srvr: timed out").
absl::StatusOr<std::string> SendFourLetterWord(const HostPort& address,
                                               absl::string_view word,
                                               size_t max_reply_bytes,
                                               absl::Time deadline);

}  // namespace dse::zookeeper

#endif  // DATASTORE_EXPORTER_COLLECTORS_ZOOKEEPER_ZOOKEEPER_CLIENT_H_
