#include "collectors/net/socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace dse::net {
namespace {

std::string ErrnoText(int error) { return std::strerror(error); }

// Milliseconds left for poll(), at least 1 while time remains, or -1 when
// the deadline has passed.
int PollTimeout(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return -1;
  int64_t ms =
      absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(std::max<int64_t>(ms, 1), 1 << 30));
}

// Waits until `fd` is ready for `events`; false when the deadline passed.
bool WaitReady(int fd, short events, absl::Time deadline) {
  for (;;) {
    int timeout = PollTimeout(deadline);
    if (timeout < 0) return false;
    pollfd entry{fd, events, 0};
    int ready = poll(&entry, 1, timeout);
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return true;  // The next call reports it.
  }
}

struct AddrInfoDeleter {
  void operator()(addrinfo* list) const { freeaddrinfo(list); }
};
using AddrInfoList = std::unique_ptr<addrinfo, AddrInfoDeleter>;

constexpr int kMaxPendingLookups = 16;

// One name lookup, shared with the thread running it so that a lookup that
// outlives its caller's deadline finishes (and is freed) unobserved.
struct Lookup {
  std::mutex mutex;
  std::condition_variable done_signal;
  bool done = false;
  int result = 0;
  AddrInfoList list;
};

absl::StatusOr<AddrInfoList> Resolve(const HostPort& address,
                                     absl::Time deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
  const std::string port = std::to_string(address.port);
  addrinfo* list = nullptr;
  // An IP address needs no lookup.
  if (getaddrinfo(address.host.c_str(), port.c_str(), &hints, &list) == 0) {
    return AddrInfoList(list);
  }
  // getaddrinfo has no timeout of its own: run it on a thread and stop
  // waiting at the deadline.
  // A resolver that never answers leaves a thread per lookup: at most
  // kMaxPendingLookups of them, after which lookups fail at once until some
  // end.
  static std::atomic<int> pending{0};
  if (pending.fetch_add(1) >= kMaxPendingLookups) {
    --pending;
    return absl::ResourceExhaustedError(
        absl::StrCat("resolve \"", address.host, "\": ", kMaxPendingLookups,
                     " name lookups are pending already"));
  }
  hints.ai_flags = AI_NUMERICSERV;
  auto lookup = std::make_shared<Lookup>();
  try {
    std::thread([lookup, host = address.host, port, hints] {
      addrinfo* found = nullptr;
      int result = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
      --pending;
      std::lock_guard<std::mutex> lock(lookup->mutex);
      lookup->result = result;
      lookup->list.reset(found);
      lookup->done = true;
      lookup->done_signal.notify_all();
    }).detach();
  } catch (const std::system_error& e) {
    --pending;
    return absl::ResourceExhaustedError(
        absl::StrCat("resolve \"", address.host, "\": ", e.what()));
  }
  std::unique_lock<std::mutex> lock(lookup->mutex);
  if (!lookup->done_signal.wait_until(lock, absl::ToChronoTime(deadline),
                                      [&] { return lookup->done; })) {
    return absl::DeadlineExceededError(
        absl::StrCat("resolve \"", address.host, "\": timed out"));
  }
  if (lookup->result != 0) {
    return absl::UnavailableError(absl::StrCat(
        "resolve \"", address.host, "\": ", gai_strerror(lookup->result)));
  }
  return std::move(lookup->list);
}

// Connects a new non-blocking socket to one address; the socket or -1.
absl::StatusOr<int> ConnectOne(const addrinfo& to, absl::Time deadline) {
  int fd = socket(to.ai_family, to.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  to.ai_protocol);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("connect: socket: ", ErrnoText(errno)));
  }
  absl::Status status;
  if (connect(fd, to.ai_addr, to.ai_addrlen) == 0) return fd;
  if (errno != EINPROGRESS) {
    status =
        absl::UnavailableError(absl::StrCat("connect: ", ErrnoText(errno)));
  } else if (!WaitReady(fd, POLLOUT, deadline)) {
    status = absl::DeadlineExceededError("connect: timed out");
  } else {
    int error = 0;
    socklen_t length = sizeof(error);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
      error = errno;
    }
    if (error == 0) return fd;
    status =
        absl::UnavailableError(absl::StrCat("connect: ", ErrnoText(error)));
  }
  close(fd);
  return status;
}

}  // namespace

size_t PendingBytes(int fd) {
  int pending = 0;
  if (ioctl(fd, FIONREAD, &pending) != 0 || pending < 0) return 0;
  return static_cast<size_t>(pending);
}

void Socket::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

absl::Status Socket::Connect(const HostPort& address, absl::Time deadline) {
  Close();
  auto addresses = Resolve(address, deadline);
  if (!addresses.ok()) return addresses.status();
  // A name may resolve to several addresses (localhost: ::1 and 127.0.0.1)
  // of which the server listens on one: try each in turn.
  absl::Status status = absl::UnavailableError("connect: no address");
  for (const addrinfo* to = addresses->get(); to != nullptr; to = to->ai_next) {
    auto fd = ConnectOne(*to, deadline);
    if (fd.ok()) {
      fd_ = *fd;
      return absl::OkStatus();
    }
    status = fd.status();
    if (absl::IsDeadlineExceeded(status)) break;
  }
  return status;
}

absl::Status Socket::SendAll(absl::string_view data, absl::Time deadline) {
  while (!data.empty()) {
    if (!WaitReady(fd_, POLLOUT, deadline)) {
      return absl::DeadlineExceededError("timed out");
    }
    ssize_t sent = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return absl::UnavailableError(absl::StrCat("write: ", ErrnoText(errno)));
    }
    data.remove_prefix(static_cast<size_t>(sent));
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> Socket::ReadSome(char* buffer, size_t size,
                                        absl::Time deadline) {
  for (;;) {
    if (!WaitReady(fd_, POLLIN, deadline)) {
      return absl::DeadlineExceededError("timed out");
    }
    ssize_t got = recv(fd_, buffer, size, 0);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
    return absl::UnavailableError(absl::StrCat("read: ", ErrnoText(errno)));
  }
}

absl::StatusOr<std::string> Socket::ReadToEnd(size_t limit,
                                              absl::Time deadline) {
  std::string reply;
  char buffer[4096];
  for (;;) {
    auto got = ReadSome(buffer, sizeof(buffer), deadline);
    if (!got.ok()) return got.status();
    if (*got == 0) return reply;
    if (reply.size() + *got > limit) return ReplyTooLarge(limit);
    // Past 64 KiB (no normal reply is this long), room for the whole limit
    // at once: growing by doubling would copy and keep up to 3x the limit.
    if (reply.size() + *got > (64 << 10) && reply.capacity() < limit) {
      reply.reserve(limit);
    }
    reply.append(buffer, *got);
  }
}

}  // namespace dse::net
