// Test support: headless Chromium (Debian's `chromium`) driven over the
// DevTools protocol on a pipe (--remote-debugging-pipe: NUL-separated JSON on
// file descriptors 3 and 4), so a test can load a page, read its DOM while it
// runs, and take screenshots, all in one browser session. Every wait is
// bounded.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_CHROMIUM_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_CHROMIUM_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tests/support/process.h"

namespace dse::testing {

class Chromium {
 public:
  // Starts `chromium --headless --no-sandbox ...` with a fresh profile under
  // `dir`. Fails (never skips) when chromium is not installed.
  static absl::StatusOr<std::unique_ptr<Chromium>> Start(const TempDir& dir);
  ~Chromium();  // Closes the browser; kills its process group if it hangs.
  Chromium(const Chromium&) = delete;
  Chromium& operator=(const Chromium&) = delete;

  // Opens a tab of `width` x `height` CSS pixels and navigates it to `url`.
  absl::Status Open(const std::string& url, int width = 1200, int height = 800);
  // Evaluates a JavaScript expression in the tab; returns its value (JSON).
  // A thrown exception is an error.
  absl::StatusOr<nlohmann::json> Evaluate(const std::string& expression);
  // Writes a PNG of the whole page (up to 4000 px high) to `path`.
  absl::Status Screenshot(const std::string& path);

  // Chromium's own output (stderr), for failure messages.
  std::string Log() const { return ReadFile(log_path_); }

 private:
  Chromium() = default;
  // Sends one command (to the tab when `to_tab`) and waits for its answer,
  // skipping events. Returns the "result" member.
  absl::StatusOr<nlohmann::json> Call(
      const std::string& method, nlohmann::json params, bool to_tab = true,
      absl::Duration timeout = absl::Seconds(10));
  absl::StatusOr<std::string> ReadMessage(absl::Time deadline);
  // Sets the tab's viewport, in CSS pixels.
  absl::Status SetViewport(int width, int height);

  pid_t pid_ = -1;
  int to_browser_ = -1;    // Our end of its fd 3.
  int from_browser_ = -1;  // Our end of its fd 4.
  std::string buffer_;
  int next_id_ = 1;
  std::string session_;  // The tab's session (flattened protocol).
  std::string log_path_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_CHROMIUM_H_
