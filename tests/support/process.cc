#include "tests/support/process.h"

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace dse::testing {

TempDir::TempDir() {
  std::string pattern = "/tmp/dse-test-XXXXXX";
  char* made = mkdtemp(pattern.data());
  if (made != nullptr) {
    path_ = made;
    chmod(path_.c_str(), 0755);
  }
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::Sub(const std::string& name) const {
  std::string sub = path_ + "/" + name;
  mkdir(sub.c_str(), 0755);
  chmod(sub.c_str(), 0755);
  return sub;
}

bool WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  return static_cast<bool>(out);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

bool PortFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return free;
}

}  // namespace

int FreePort(int also_free_offset) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t length = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
    close(fd);
    int port = ntohs(addr.sin_port);
    if (also_free_offset == 0) return port;
    if (port + also_free_offset < 65536 && PortFree(port + also_free_offset)) {
      return port;
    }
  }
  return 0;
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             absl::Duration interval) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(interval);
  }
}

absl::StatusOr<std::unique_ptr<Process>> Process::Start(
    const std::vector<std::string>& argv, const ProcessOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("empty command");
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
  if (!options.run_as.empty()) {
    passwd* user = getpwnam(options.run_as.c_str());
    if (user == nullptr) {
      return absl::NotFoundError(absl::StrCat("no user ", options.run_as));
    }
    uid = user->pw_uid;
    gid = user->pw_gid;
    home = user->pw_dir;
  }
  std::vector<char*> args;
  for (const std::string& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0)
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);
    int log =
        open(options.log_path.empty() ? "/dev/null" : options.log_path.c_str(),
             O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null_in = open("/dev/null", O_RDONLY);
    dup2(null_in, 0);
    dup2(log, 1);
    dup2(log, 2);
    for (const std::string& entry : options.env)
      putenv(const_cast<char*>(entry.c_str()));
    if (!options.run_as.empty()) {
      setenv("HOME", home.c_str(), 1);
      setenv("USER", options.run_as.c_str(), 1);
      if (initgroups(options.run_as.c_str(), gid) != 0 || setgid(gid) != 0 ||
          setuid(uid) != 0) {
        _exit(126);
      }
    }
    execvp(args[0], args.data());
    dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  return std::unique_ptr<Process>(new Process(pid));
}

Process::~Process() {
  if (!Exited()) {
    kill(pid_, SIGKILL);
    kill(pid_, SIGCONT);
    Wait(absl::Seconds(10));
  }
}

namespace {

// True when every thread of `pid` is stopped (state T or t in
// /proc/PID/task/TID/stat).
bool AllThreadsStopped(pid_t pid) {
  std::error_code error;
  const std::filesystem::path tasks = absl::StrCat("/proc/", pid, "/task");
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t paren = line.rfind(')');
    if (paren == std::string::npos || paren + 2 >= line.size()) return false;
    const char state = line[paren + 2];
    if (state != 'T' && state != 't') return false;
  }
  return !error;
}

}  // namespace

void Process::Signal(int signal) const {
  if (reaped_) return;
  kill(pid_, signal);
  if (signal != SIGSTOP) return;
  // kill() returns before every thread has stopped: a request sent right
  // after could still be answered. Tests that stop a server mean "stopped".
  const absl::Time give_up = absl::Now() + absl::Seconds(2);
  while (!AllThreadsStopped(pid_) && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
}

bool Process::Exited() {
  if (reaped_) return true;
  int status = 0;
  pid_t got = waitpid(pid_, &status, WNOHANG);
  if (got == pid_) {
    reaped_ = true;
    status_ = status;
  }
  return reaped_;
}

int Process::Wait(absl::Duration timeout) {
  WaitFor([this] { return Exited(); }, timeout, absl::Milliseconds(10));
  return reaped_ ? status_ : -1;
}

void Process::Stop(absl::Duration grace) {
  if (Exited()) return;
  kill(pid_, SIGCONT);
  kill(pid_, SIGTERM);
  if (Wait(grace) == -1 && !reaped_) {
    kill(pid_, SIGKILL);
    Wait(absl::Seconds(10));
  }
}

CommandResult RunCommand(const std::vector<std::string>& argv,
                         absl::Duration timeout,
                         const ProcessOptions& options) {
  CommandResult result;
  TempDir dir;
  ProcessOptions with_log = options;
  std::string log = dir.path() + "/output";
  with_log.log_path = log;
  if (!options.run_as.empty()) {
    WriteFile(log, "");
    chmod(log.c_str(), 0666);
  }
  auto process = Process::Start(argv, with_log);
  if (!process.ok()) {
    result.output = std::string(process.status().message());
    return result;
  }
  int status = (*process)->Wait(timeout);
  if (status == -1) {
    (*process)->Signal(SIGKILL);
    (*process)->Wait(absl::Seconds(5));
    result.output = ReadFile(log) + "\n[timed out]";
    return result;
  }
  result.output = ReadFile(log);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

std::string FindProgram(const std::string& name) {
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  dirs += ":/usr/sbin:/sbin";
  for (absl::string_view dir : absl::StrSplit(dirs, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace dse::testing
