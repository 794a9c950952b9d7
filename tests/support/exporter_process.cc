#include "tests/support/exporter_process.h"

#include <crypt.h>
#include <curl/curl.h>

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace dse::testing {
namespace {

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

}  // namespace

HttpResult HttpFetch(const std::string& url, const std::string& method,
                     const std::vector<std::string>& headers, long timeout_ms,
                     const std::string& body) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  curl_slist* list = nullptr;
  for (const std::string& header : headers)
    list = curl_slist_append(list, header.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  if (!body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return result;
}

std::vector<Sample> ParseExposition(const std::string& text) {
  std::vector<Sample> samples;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (line[0] == '#') continue;
    Sample sample;
    size_t brace = line.find('{');
    size_t space;
    if (brace != absl::string_view::npos) {
      sample.name = std::string(line.substr(0, brace));
      size_t i = brace + 1;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        if (eq == absl::string_view::npos || eq + 1 >= line.size() ||
            line[eq + 1] != '"') {
          ADD_FAILURE() << "malformed labels: " << line;
          return samples;
        }
        std::string name(line.substr(i, eq - i));
        std::string value;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) {
            ++j;
            value += line[j] == 'n' ? '\n' : line[j];
          } else {
            value += line[j];
          }
        }
        sample.labels[name] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      space = line.find(' ', i);
    } else {
      space = line.find(' ');
      sample.name = std::string(line.substr(0, space));
    }
    if (space == absl::string_view::npos ||
        !absl::SimpleAtod(line.substr(space + 1), &sample.value)) {
      ADD_FAILURE() << "malformed sample: " << line;
      return samples;
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

std::vector<Sample> Select(const std::vector<Sample>& samples,
                           const std::string& name,
                           const std::map<std::string, std::string>& match) {
  std::vector<Sample> selected;
  for (const Sample& sample : samples) {
    if (sample.name != name) continue;
    bool all = true;
    for (const auto& [key, value] : match) {
      auto it = sample.labels.find(key);
      all &= it != sample.labels.end() && it->second == value;
    }
    if (all) selected.push_back(sample);
  }
  return selected;
}

double ValueOf(const std::vector<Sample>& samples, const std::string& name,
               const std::map<std::string, std::string>& match) {
  std::vector<Sample> selected = Select(samples, name, match);
  if (selected.size() != 1) return std::numeric_limits<double>::quiet_NaN();
  return selected[0].value;
}

std::string RoleOf(const std::vector<Sample>& samples,
                   const std::string& target, const std::string& shard) {
  std::map<std::string, std::string> match = {{"target", target}};
  if (!shard.empty()) match["shard"] = shard;
  std::string role;
  int ones = 0;
  for (const Sample& sample : Select(samples, "datastore_shard_role", match)) {
    if (sample.value == 1) {
      ++ones;
      role = sample.labels.at("role");
    }
  }
  return ones == 1 ? role : "";
}

std::vector<std::string> PrimariesOf(const std::vector<Sample>& samples,
                                     const std::string& shard) {
  std::map<std::string, std::string> match = {{"role", "primary"}};
  if (!shard.empty()) match["shard"] = shard;
  std::vector<std::string> primaries;
  for (const Sample& sample : Select(samples, "datastore_shard_role", match)) {
    if (sample.value == 1) primaries.push_back(sample.labels.at("target"));
  }
  return primaries;
}

std::set<std::string> ShardsOf(const std::vector<Sample>& samples,
                               const std::string& target) {
  std::set<std::string> shards;
  for (const Sample& sample :
       Select(samples, "datastore_shard_role", {{"target", target}})) {
    shards.insert(sample.labels.at("shard"));
  }
  return shards;
}

std::string ExporterBinary() { return DSE_EXPORTER_BINARY; }

std::string TargetBlock(const std::string& name, const std::string& kind,
                        const std::string& address, const std::string& more) {
  return absl::StrCat("  - name: ", name, "\n    kind: ", kind,
                      "\n    address: ", address, "\n", more);
}

std::string Bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof salt),
            nullptr);
  crypt_data data{};
  const char* hash = crypt_r(password.c_str(), salt, &data);
  EXPECT_NE(hash, nullptr);
  return hash ? hash : "";
}

std::string PromtoolComplaints(const TempDir& dir,
                               const std::string& exposition) {
  const std::string promtool = FindProgram("promtool");
  if (promtool.empty()) return "promtool is not installed (package prometheus)";
  const std::string path = dir.path() + "/promtool-input.txt";
  if (!WriteFile(path, exposition)) return "cannot write " + path;
  CommandResult check =
      RunCommand({"sh", "-c", promtool + " check metrics < " + path});
  if (check.exit_code == 0 && check.output.empty()) return "";
  return absl::StrCat("promtool check metrics exited ", check.exit_code, ": ",
                      check.output);
}

absl::StatusOr<std::unique_ptr<ExporterProcess>> ExporterProcess::Start(
    const TempDir& dir, const std::string& config_yaml,
    const std::vector<std::string>& extra_flags,
    const std::vector<std::string>& env) {
  std::unique_ptr<ExporterProcess> exporter(new ExporterProcess);
  exporter->port_ = FreePort();
  exporter->log_path_ =
      dir.path() + "/exporter-" + std::to_string(exporter->port_) + ".log";
  std::vector<std::string> argv = {
      ExporterBinary(),
      "--web.listen-address=127.0.0.1:" + std::to_string(exporter->port_)};
  if (!config_yaml.empty()) {
    std::string config_path =
        dir.path() + "/exporter-" + std::to_string(exporter->port_) + ".yml";
    WriteFile(config_path, config_yaml);
    argv.push_back("--config.file=" + config_path);
  }
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  ProcessOptions options;
  options.log_path = exporter->log_path_;
  options.env = env;
  auto process = Process::Start(argv, options);
  if (!process.ok()) return process.status();
  exporter->process_ = *std::move(process);
  bool healthy = WaitFor(
      [&] {
        return exporter->process_->Exited() ||
               HttpFetch(exporter->url("/-/healthy"), "GET", {}, 1000).status ==
                   200;
      },
      absl::Seconds(10));
  if (!healthy || exporter->process_->Exited()) {
    return absl::UnavailableError(absl::StrCat(
        "exporter did not become healthy; log:\n", exporter->Logs()));
  }
  return exporter;
}

std::unique_ptr<ExporterProcess> ExporterProcess::StartOrFail(
    const TempDir& dir, const std::string& config_yaml) {
  auto exporter = Start(dir, config_yaml);
  EXPECT_TRUE(exporter.ok()) << exporter.status();
  return exporter.ok() ? *std::move(exporter) : nullptr;
}

std::string ExporterProcess::url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port_, path);
}

std::vector<Sample> ExporterProcess::Scrape(std::string* raw) const {
  HttpResult result = HttpFetch(url("/metrics"));
  EXPECT_EQ(result.status, 200) << result.body;
  if (raw != nullptr) *raw = result.body;
  return ParseExposition(result.body);
}

std::string WhereSecretsShow(const ExporterProcess& exporter,
                             const std::string& scrape,
                             const std::vector<std::string>& secrets) {
  const std::pair<const char*, std::string> places[] = {
      {"the scrape", scrape},
      {"the logs", exporter.Logs()},
      {"the landing page", HttpFetch(exporter.url("/")).body}};
  std::string shown;
  for (const auto& [place, text] : places) {
    for (const std::string& secret : secrets) {
      if (absl::StrContains(text, secret)) {
        absl::StrAppend(&shown, "\"", secret, "\" in ", place, "; ");
      }
    }
  }
  return shown;
}

ElectionSeen WatchElection(const ExporterProcess& exporter,
                           const std::vector<std::string>& shards,
                           const std::string& gone, absl::Duration timeout) {
  ElectionSeen seen;
  const absl::Time start = absl::Now();
  seen.elected = WaitFor(
      [&] {
        seen.samples = exporter.Scrape();
        ++seen.scrapes;
        bool all = true;
        for (const std::string& shard : shards) {
          const std::vector<std::string> primaries =
              PrimariesOf(seen.samples, shard);
          seen.split = seen.split || primaries.size() > 1;
          all = all && primaries.size() == 1 && primaries[0] != gone;
        }
        return all;
      },
      timeout, absl::Milliseconds(250));
  seen.took = absl::Now() - start;
  EXPECT_TRUE(seen.elected) << "no single primary of each shard off " << gone
                            << " after " << seen.scrapes << " scrapes:\n"
                            << exporter.Logs();
  EXPECT_FALSE(seen.split) << "a scrape showed a shard with two primaries";
  // Informational: how long the election took, as the exporter saw it.
  ::testing::Test::RecordProperty(
      "seconds_to_new_primary", absl::StrCat(absl::ToDoubleSeconds(seen.took)));
  return seen;
}

}  // namespace dse::testing
