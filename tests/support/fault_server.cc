#include "tests/support/fault_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace dse::testing {
namespace {

// Waits up to 100 ms for `events` on fd; true when ready.
bool Ready(int fd, short events) {
  pollfd entry{fd, events, 0};
  return poll(&entry, 1, 100) > 0;
}

}  // namespace

FaultServer::FaultServer(Behaviour behaviour, std::string payload,
                         absl::Duration interval, absl::Duration lifetime,
                         bool speaks_first)
    : behaviour_(behaviour),
      payload_(std::move(payload)),
      interval_(interval),
      end_(absl::Now() + lifetime),
      speaks_first_(speaks_first) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (listen_fd_ < 0 ||
      bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      listen(listen_fd_, 128) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) !=
          0) {
    std::fprintf(stderr, "fault server: cannot listen: %s\n",
                 std::strerror(errno));
    std::abort();
  }
  port_ = ntohs(address.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

FaultServer::~FaultServer() {
  stop_ = true;
  accept_thread_.join();
  close(listen_fd_);
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::thread& thread : threads_) thread.join();
}

std::string FaultServer::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

void FaultServer::AcceptLoop() {
  while (!stop_ && absl::Now() < end_) {
    if (!Ready(listen_fd_, POLLIN)) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections_;
    std::lock_guard<std::mutex> lock(mutex_);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FaultServer::Serve(int fd) {
  auto running = [this] { return !stop_ && absl::Now() < end_; };
  auto send_all = [&](const char* data, size_t size) {
    while (size > 0 && running()) {
      if (!Ready(fd, POLLOUT)) continue;
      ssize_t sent = send(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (sent <= 0) return false;
      data += sent;
      size -= static_cast<size_t>(sent);
    }
    return size == 0;
  };
  // Every behaviour but kNeverAnswer waits for the request's first bytes.
  char buffer[4096];
  bool open = true;
  auto drain = [&] {
    while (Ready(fd, POLLIN)) {
      ssize_t got = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
        open = false;
        return;
      }
      if (got < 0) return;
    }
  };
  if (behaviour_ != Behaviour::kNeverAnswer && !speaks_first_) {
    while (running() && !Ready(fd, POLLIN)) {
    }
  }
  switch (behaviour_) {
    case Behaviour::kNeverAnswer:
    case Behaviour::kReply:
      if (behaviour_ == Behaviour::kReply &&
          !send_all(payload_.data(), payload_.size())) {
        break;
      }
      while (running() && open) drain();
      break;
    case Behaviour::kReplyThenClose:
      // The request is read first: closing on unread bytes would send a
      // reset, which can discard the reply on the client's side.
      drain();
      send_all(payload_.data(), payload_.size());
      shutdown(fd, SHUT_WR);
      break;
    case Behaviour::kEndless: {
      if (!send_all(payload_.data(), payload_.size())) break;
      const std::string filler(64 * 1024, 'x');
      while (running() && send_all(filler.data(), filler.size())) {
      }
      break;
    }
    case Behaviour::kTrickle:
      for (char c : payload_) {
        if (!running() || !send_all(&c, 1)) break;
        absl::SleepFor(interval_);
      }
      while (running() && open) drain();
      break;
  }
  close(fd);
}

}  // namespace dse::testing
