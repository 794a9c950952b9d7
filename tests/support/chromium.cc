#include "tests/support/chromium.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace dse::testing {
namespace {

using nlohmann::json;

// A descriptor numbered above 4, so that placing the child's ends at 3 and 4
// never overwrites one of them.
int HighDescriptor(int fd) {
  int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  close(fd);
  return high;
}

bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Chromium>> Chromium::Start(const TempDir& dir) {
  const std::string program = FindProgram("chromium");
  if (program.empty()) {
    return absl::NotFoundError(
        "chromium is not installed (Debian package \"chromium\"; "
        "tests/scripts/install-deps.sh installs it)");
  }
  // A browser that dies makes our writes fail instead of killing the test.
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<Chromium> browser(new Chromium);
  browser->log_path_ = dir.path() + "/chromium.log";
  int commands[2], answers[2];
  if (pipe2(commands, O_CLOEXEC) != 0 || pipe2(answers, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const int child_reads = HighDescriptor(commands[0]);
  const int child_writes = HighDescriptor(answers[1]);
  browser->to_browser_ = commands[1];
  browser->from_browser_ = answers[0];
  if (child_reads < 0 || child_writes < 0) {
    return absl::InternalError(absl::StrCat("fcntl: ", std::strerror(errno)));
  }
  const int log = open(browser->log_path_.c_str(),
                       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  std::vector<std::string> args = {
      program,
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--user-data-dir=" + dir.Sub("chromium-profile"),
      "--remote-debugging-pipe",
      "--hide-scrollbars",
      "about:blank"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (log >= 0) {
    posix_spawn_file_actions_adddup2(&actions, log, 1);
    posix_spawn_file_actions_adddup2(&actions, log, 2);
  }
  posix_spawn_file_actions_adddup2(&actions, child_reads, 3);
  posix_spawn_file_actions_adddup2(&actions, child_writes, 4);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own process group, so that every process it starts can be ended.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  int spawned = posix_spawn(&browser->pid_, program.c_str(), &actions,
                            &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(child_reads);
  close(child_writes);
  if (log >= 0) close(log);
  if (spawned != 0) {
    browser->pid_ = -1;
    return absl::InternalError(
        absl::StrCat("cannot start ", program, ": ", std::strerror(spawned)));
  }
  // The first answer proves the protocol is up.
  auto version = browser->Call("Browser.getVersion", json::object(), false,
                               absl::Seconds(30));
  if (!version.ok()) {
    return absl::UnavailableError(
        absl::StrCat("chromium did not answer: ", version.status().message(),
                     "\nlog:\n", browser->Log()));
  }
  return browser;
}

Chromium::~Chromium() {
  if (pid_ > 0 && to_browser_ >= 0) {
    (void)Call("Browser.close", json::object(), false, absl::Seconds(3));
  }
  if (to_browser_ >= 0) close(to_browser_);
  if (from_browser_ >= 0) close(from_browser_);
  if (pid_ <= 0) return;
  bool exited = WaitFor([&] { return waitpid(pid_, nullptr, WNOHANG) == pid_; },
                        absl::Seconds(5));
  // Renderers and helpers share the group; end whatever is left of it.
  kill(-pid_, SIGKILL);
  if (!exited) waitpid(pid_, nullptr, 0);
}

absl::StatusOr<std::string> Chromium::ReadMessage(absl::Time deadline) {
  while (true) {
    size_t end = buffer_.find('\0');
    if (end != std::string::npos) {
      std::string message = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      return message;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("no answer from chromium in time");
    }
    pollfd ready{from_browser_, POLLIN, 0};
    int polled = poll(&ready, 1,
                      static_cast<int>(std::max<int64_t>(
                          1, absl::ToInt64Milliseconds(left))));
    if (polled < 0 && errno == EINTR) continue;
    if (polled <= 0) continue;  // Timed out: the loop checks the deadline.
    char chunk[65536];
    ssize_t n = read(from_browser_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError("chromium closed the pipe");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

absl::StatusOr<json> Chromium::Call(const std::string& method, json params,
                                    bool to_tab, absl::Duration timeout) {
  const int id = next_id_++;
  json command = {
      {"id", id}, {"method", method}, {"params", std::move(params)}};
  if (to_tab) {
    if (session_.empty()) return absl::FailedPreconditionError("no tab open");
    command["sessionId"] = session_;
  }
  if (!WriteAll(to_browser_, command.dump() + '\0')) {
    return absl::UnavailableError(
        absl::StrCat(method, ": cannot write to chromium"));
  }
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    auto text = ReadMessage(deadline);
    if (!text.ok()) {
      return absl::Status(text.status().code(),
                          absl::StrCat(method, ": ", text.status().message()));
    }
    json message = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!message.is_object() || !message.contains("id") ||
        message["id"] != id) {
      continue;  // An event, or the answer to an abandoned call.
    }
    if (message.contains("error")) {
      return absl::InternalError(
          absl::StrCat(method, ": ", message["error"].dump()));
    }
    return message.value("result", json::object());
  }
}

absl::Status Chromium::SetViewport(int width, int height) {
  return Call("Emulation.setDeviceMetricsOverride", {{"width", width},
                                                     {"height", height},
                                                     {"deviceScaleFactor", 1},
                                                     {"mobile", false}})
      .status();
}

absl::Status Chromium::Open(const std::string& url, int width, int height) {
  auto target = Call("Target.createTarget", {{"url", "about:blank"}}, false);
  if (!target.ok()) return target.status();
  auto attached =
      Call("Target.attachToTarget",
           {{"targetId", (*target)["targetId"]}, {"flatten", true}}, false);
  if (!attached.ok()) return attached.status();
  session_ = (*attached)["sessionId"].get<std::string>();
  absl::Status viewport = SetViewport(width, height);
  if (!viewport.ok()) return viewport;
  auto navigated = Call("Page.navigate", {{"url", url}});
  if (!navigated.ok()) return navigated.status();
  if (navigated->contains("errorText")) {
    return absl::UnavailableError(absl::StrCat(
        "navigate to ", url, ": ", (*navigated)["errorText"].dump()));
  }
  return absl::OkStatus();
}

absl::StatusOr<json> Chromium::Evaluate(const std::string& expression) {
  auto result = Call("Runtime.evaluate",
                     {{"expression", expression}, {"returnByValue", true}});
  if (!result.ok()) return result.status();
  if (result->contains("exceptionDetails")) {
    return absl::InvalidArgumentError(
        absl::StrCat("exception in \"", expression,
                     "\": ", (*result)["exceptionDetails"].dump()));
  }
  return (*result)["result"].value("value", json(nullptr));
}

absl::Status Chromium::Screenshot(const std::string& path) {
  auto size = Evaluate(
      "[document.documentElement.scrollWidth, "
      "document.documentElement.scrollHeight]");
  if (!size.ok()) return size.status();
  const int width = (*size)[0].get<int>();
  const int height = std::min((*size)[1].get<int>(), 4000);
  absl::Status viewport = SetViewport(width, height);
  if (!viewport.ok()) return viewport;
  auto shot = Call("Page.captureScreenshot", {{"format", "png"}});
  if (!shot.ok()) return shot.status();
  std::string png;
  if (!absl::Base64Unescape((*shot)["data"].get<std::string>(), &png)) {
    return absl::InternalError("screenshot: bad base64");
  }
  if (!WriteFile(path, png)) {
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

}  // namespace dse::testing
