// Test support: our exporter binary as a child process, HTTP fetches, and a
// parser of the Prometheus text format to check what it serves.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_EXPORTER_PROCESS_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_EXPORTER_PROCESS_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/process.h"

namespace dse::testing {

struct HttpResult {
  long status = 0;
  std::string body;
  std::string headers;
};

// GET (or `method`, with `body` when not empty) with a bounded timeout;
// status 0 when nothing answered.
HttpResult HttpFetch(const std::string& url, const std::string& method = "GET",
                     const std::vector<std::string>& headers = {},
                     long timeout_ms = 10000, const std::string& body = "");

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Parses text format 0.0.4 (comments skipped). Malformed lines fail the
// calling test through ADD_FAILURE.
std::vector<Sample> ParseExposition(const std::string& text);

// Samples named `name` whose labels include every pair of `match`.
std::vector<Sample> Select(
    const std::vector<Sample>& samples, const std::string& name,
    const std::map<std::string, std::string>& match = {});

// The value of the one sample matching, or NaN when there is not exactly one.
double ValueOf(const std::vector<Sample>& samples, const std::string& name,
               const std::map<std::string, std::string>& match);

// The role at 1 in the datastore_shard_role state set of `target` (and of
// `shard` when given), or "" when not exactly one series is 1.
std::string RoleOf(const std::vector<Sample>& samples,
                   const std::string& target, const std::string& shard = "");

// The targets whose role in `shard` (in any shard when "") is primary, in
// the order of the samples.
std::vector<std::string> PrimariesOf(const std::vector<Sample>& samples,
                                     const std::string& shard = "");

// The shards of `target`: those of its datastore_shard_role series.
std::set<std::string> ShardsOf(const std::vector<Sample>& samples,
                               const std::string& target);

// One entry of a configuration's `targets:` list, in block style: name,
// kind and address, then `more` (further keys, each line indented by four
// spaces and ending in a newline).
std::string TargetBlock(const std::string& name, const std::string& kind,
                        const std::string& address,
                        const std::string& more = "");

// A bcrypt hash of `password` (cost 5), as basic_auth_users takes it.
std::string Bcrypt(const std::string& password);

// The exporter binary built alongside the tests.
std::string ExporterBinary();

// Runs `promtool check metrics` on an exposition (written to a file in
// `dir`). Returns "" when promtool accepts it without a remark, else what
// promtool said, or why it could not run.
std::string PromtoolComplaints(const TempDir& dir,
                               const std::string& exposition);

class ExporterProcess {
 public:
  // Writes `config_yaml` (if not empty) to a file in `dir` and starts the
  // exporter on a free loopback port with --config.file plus `extra_flags`;
  // waits until /-/healthy answers.
  static absl::StatusOr<std::unique_ptr<ExporterProcess>> Start(
      const TempDir& dir, const std::string& config_yaml,
      const std::vector<std::string>& extra_flags = {},
      const std::vector<std::string>& env = {});

  // Start, or nullptr after failing the calling test with the reason.
  static std::unique_ptr<ExporterProcess> StartOrFail(
      const TempDir& dir, const std::string& config_yaml);

  std::string url(const std::string& path) const;
  // Fetches /metrics and parses it.
  std::vector<Sample> Scrape(std::string* raw = nullptr) const;
  std::string Logs() const { return ReadFile(log_path_); }
  Process& process() { return *process_; }

 private:
  ExporterProcess() = default;
  std::unique_ptr<Process> process_;
  int port_ = 0;
  std::string log_path_;
};

// Where any of `secrets` shows: in `scrape` (a /metrics body), in the
// exporter's logs or on its landing page; "" when nowhere.
std::string WhereSecretsShow(const ExporterProcess& exporter,
                             const std::string& scrape,
                             const std::vector<std::string>& secrets);

// What the scrapes after a node's death showed (WatchElection).
struct ElectionSeen {
  bool elected = false;  // Every shard had one primary, not on the node.
  bool split = false;    // Some scrape showed a shard with two or more.
  int scrapes = 0;
  absl::Duration took;          // From the call to the last scrape.
  std::vector<Sample> samples;  // The last scrape.
};

// Scrapes every 250 ms (at most `timeout`) until each of `shards` has
// exactly one primary and it is not target `gone`. Fails the calling test
// when that never came (with the exporter's logs) or when a scrape showed a
// shard with two primaries; records how long it took as the test's property
// seconds_to_new_primary.
ElectionSeen WatchElection(const ExporterProcess& exporter,
                           const std::vector<std::string>& shards,
                           const std::string& gone,
                           absl::Duration timeout = absl::Seconds(30));

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_EXPORTER_PROCESS_H_
