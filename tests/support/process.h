// Test support: child processes, temporary folders and free loopback ports.
// Every wait here is bounded.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_PROCESS_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dse::testing {

// A folder removed with everything in it when destroyed. Mode 755 so that
// servers running as another user (postgres) can traverse it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Creates (if needed) and returns path()/name.
  std::string Sub(const std::string& name) const;

 private:
  std::string path_;
};

// Writes `content` to `path`; returns false on failure.
bool WriteFile(const std::string& path, const std::string& content);
std::string ReadFile(const std::string& path);

// A TCP port on 127.0.0.1 that was free a moment ago. With `also_free_offset`
// the port plus that offset is free too (Redis cluster bus: +10000).
int FreePort(int also_free_offset = 0);

// Polls `condition` every `interval` until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             absl::Duration interval = absl::Milliseconds(50));

struct ProcessOptions {
  std::string log_path;  // stdout and stderr go here ("" = /dev/null).
  std::string run_as;    // User to run as (e.g. "postgres"); "" = ourselves.
  std::vector<std::string> env;  // Extra "NAME=value" entries.
};

class Process {
 public:
  static absl::StatusOr<std::unique_ptr<Process>> Start(
      const std::vector<std::string>& argv, const ProcessOptions& options = {});
  ~Process();  // Kills (SIGKILL) and reaps the process if still running.
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `signal`; for SIGSTOP, returns once every thread has stopped (at
  // most 2 s).
  void Signal(int signal) const;
  // True once the process has exited (reaps it). Zombies count as exited.
  bool Exited();
  // Waits up to `timeout` for exit; returns the exit status (as waitpid) or -1.
  int Wait(absl::Duration timeout);
  // SIGTERM, then SIGKILL after `grace`.
  void Stop(absl::Duration grace = absl::Seconds(5));

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool reaped_ = false;
  int status_ = -1;
};

struct CommandResult {
  int exit_code = -1;  // -1 when it did not exit in time or was signalled.
  std::string output;  // stdout and stderr together.
};

// Runs a command to completion (killed after `timeout`).
CommandResult RunCommand(const std::vector<std::string>& argv,
                         absl::Duration timeout = absl::Seconds(60),
                         const ProcessOptions& options = {});

// Absolute path of a program in PATH, or "" when missing.
std::string FindProgram(const std::string& name);

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_PROCESS_H_
