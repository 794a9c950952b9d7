#include "tests/support/etcd_cluster.h"

#include <curl/curl.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dse::testing {
namespace {

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// A field of a JSON reply, "" when the reply is not JSON or lacks it.
std::string JsonString(const std::string& text,
                       const nlohmann::json::json_pointer& where) {
  nlohmann::json json =
      nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains(where) || !json[where].is_string()) {
    return "";
  }
  return json[where].get<std::string>();
}

}  // namespace

absl::StatusOr<TestCertificates> MakeTestCertificates(const TempDir& dir) {
  std::string openssl = FindProgram("openssl");
  if (openssl.empty()) {
    return absl::NotFoundError("openssl is not installed (package openssl)");
  }
  const std::string tls = dir.Sub("tls");
  TestCertificates certs;
  certs.ca_file = tls + "/ca.pem";
  certs.server_cert_file = tls + "/server.pem";
  certs.server_key_file = tls + "/server.key";
  certs.client_cert_file = tls + "/client.pem";
  certs.client_key_file = tls + "/client.key";
  WriteFile(
      tls + "/server.ext",
      "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
  WriteFile(tls + "/client.ext", "extendedKeyUsage=clientAuth\n");
  const std::vector<std::string> key = {
      "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
  std::vector<std::vector<std::string>> steps = {
      {openssl, "req", "-x509", "-days", "2", "-subj", "/CN=dse-test-ca",
       "-keyout", tls + "/ca.key", "-out", certs.ca_file},
      {openssl, "req", "-subj", "/CN=127.0.0.1", "-keyout",
       certs.server_key_file, "-out", tls + "/server.csr"},
      {openssl, "x509", "-req", "-days", "2", "-in", tls + "/server.csr", "-CA",
       certs.ca_file, "-CAkey", tls + "/ca.key", "-CAcreateserial", "-extfile",
       tls + "/server.ext", "-out", certs.server_cert_file},
      {openssl, "req", "-subj", "/CN=monitor", "-keyout", certs.client_key_file,
       "-out", tls + "/client.csr"},
      {openssl, "x509", "-req", "-days", "2", "-in", tls + "/client.csr", "-CA",
       certs.ca_file, "-CAkey", tls + "/ca.key", "-CAcreateserial", "-extfile",
       tls + "/client.ext", "-out", certs.client_cert_file},
  };
  for (std::vector<std::string>& step : steps) {
    if (step[1] == "req") step.insert(step.begin() + 2, key.begin(), key.end());
    CommandResult result = RunCommand(step, absl::Seconds(30));
    if (result.exit_code != 0) {
      return absl::InternalError(
          absl::StrCat(absl::StrJoin(step, " "), " failed: ", result.output));
    }
  }
  return certs;
}

absl::StatusOr<std::unique_ptr<EtcdCluster>> EtcdCluster::Start(
    const TempDir& dir, const Options& options) {
  std::unique_ptr<EtcdCluster> cluster(new EtcdCluster);
  cluster->binary_ = FindProgram("etcd");
  if (cluster->binary_.empty()) {
    return absl::NotFoundError("etcd is not installed (package etcd-server)");
  }
  cluster->tls_ = options.tls;
  cluster->advertised_ = options.advertised_client_urls;
  std::vector<std::string> initial;
  for (int i = 0; i < options.members; ++i) {
    Member member;
    member.name = absl::StrCat("member-", i + 1);
    member.client_port = FreePort();
    member.peer_port = FreePort();
    while (member.peer_port == member.client_port) {
      member.peer_port = FreePort();
    }
    member.data_dir = dir.Sub(absl::StrCat("etcd-", member.client_port));
    member.log_path = member.data_dir + ".log";
    initial.push_back(
        absl::StrCat(member.name, "=http://127.0.0.1:", member.peer_port));
    cluster->members_.push_back(std::move(member));
  }
  // Same token and peer URLs give the same IDs: keep clusters of one run apart.
  cluster->token_ = absl::StrCat("dse-test-", cluster->members_[0].client_port);
  for (int i = 0; i < options.members; ++i) {
    absl::Status started =
        cluster->StartMember(i, absl::StrJoin(initial, ","), "new");
    if (!started.ok()) return started;
  }
  EtcdCluster* raw = cluster.get();
  for (int i = 0; i < options.members; ++i) {
    bool ready = WaitFor(
        [&] { return raw->members_[i].process->Exited() || raw->HasLeader(i); },
        absl::Seconds(30));
    if (!ready || raw->members_[i].process->Exited()) {
      return absl::UnavailableError(
          absl::StrCat(raw->members_[i].name,
                       " did not join a cluster with a leader; log:\n",
                       ReadFile(raw->members_[i].log_path)));
    }
  }
  return cluster;
}

absl::Status EtcdCluster::StartMember(int i, const std::string& initial_cluster,
                                      const std::string& state) {
  Member& member = members_[i];
  const std::string client_url = ClientUrl(i);
  const std::string advertised =
      advertised_.count(i) != 0 ? advertised_.at(i) : client_url;
  const std::string peer_url =
      absl::StrCat("http://127.0.0.1:", member.peer_port);
  std::vector<std::string> argv = {
      binary_, "--name", member.name, "--data-dir", member.data_dir,
      "--listen-client-urls", client_url, "--advertise-client-urls", advertised,
      "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
      "--initial-cluster", initial_cluster, "--initial-cluster-state", state,
      "--initial-cluster-token", token_,
      // Loopback: elect a leader in half a second rather than the default 1 s.
      "--heartbeat-interval", "50", "--election-timeout", "500"};
  if (tls_) {
    argv.insert(argv.end(),
                {"--client-cert-auth", "--trusted-ca-file", tls_->ca_file,
                 "--cert-file", tls_->server_cert_file, "--key-file",
                 tls_->server_key_file});
  }
  ProcessOptions options;
  options.log_path = member.log_path;
  auto process = Process::Start(argv, options);
  if (!process.ok()) return process.status();
  member.process = *std::move(process);
  return absl::OkStatus();
}

absl::Status EtcdCluster::Restart(int i, const std::string& new_name) {
  Member& member = members_[i];
  if (!member.process->Exited()) {
    return absl::FailedPreconditionError(
        absl::StrCat(member.name, " is still running"));
  }
  member.name = new_name;
  // With a data folder, etcd ignores the initial cluster; it must still list
  // the member's own name.
  absl::Status started = StartMember(
      i, absl::StrCat(new_name, "=http://127.0.0.1:", member.peer_port),
      "existing");
  if (!started.ok()) return started;
  if (!WaitFor([&] { return member.process->Exited() || HasLeader(i); },
               absl::Seconds(30)) ||
      member.process->Exited()) {
    return absl::UnavailableError(absl::StrCat(
        new_name, " did not restart; log:\n", ReadFile(member.log_path)));
  }
  return absl::OkStatus();
}

std::string EtcdCluster::ClientUrl(int i) const {
  return absl::StrCat(tls_ ? "https" : "http",
                      "://127.0.0.1:", members_[i].client_port);
}

std::string EtcdCluster::address(int i) const {
  return absl::StrCat("127.0.0.1:", members_[i].client_port);
}

absl::StatusOr<std::string> EtcdCluster::Post(int i, const std::string& path,
                                              const std::string& body) const {
  std::string reply;
  CURL* curl = curl_easy_init();
  const std::string url = ClientUrl(i) + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 2000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  if (tls_) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, tls_->ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLCERT, tls_->client_cert_file.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, tls_->client_key_file.c_str());
  }
  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat(path, ": ", curl_easy_strerror(code)));
  }
  if (status != 200) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": HTTP ", status, ": ", reply));
  }
  return reply;
}

absl::Status EtcdCluster::EnableAuth(const std::string& user,
                                     const std::string& password) {
  struct Request {
    const char* path;
    nlohmann::json body;
  };
  const Request requests[] = {
      {"/v3/auth/user/add", {{"name", "root"}, {"password", "root-Pw-unique"}}},
      {"/v3/auth/user/add", {{"name", user}, {"password", password}}},
      {"/v3/auth/user/grant", {{"user", "root"}, {"role", "root"}}},
      {"/v3/auth/enable", nlohmann::json::object()},
  };
  for (const Request& request : requests) {
    auto done = Post(0, request.path, request.body.dump());
    if (!done.ok()) return done.status();
  }
  return absl::OkStatus();
}

std::string EtcdCluster::ClusterId(int i) const {
  auto status = Post(i, "/v3/maintenance/status");
  return status.ok() ? JsonString(*status, "/header/cluster_id"_json_pointer)
                     : "";
}

bool EtcdCluster::HasLeader(int i) const {
  auto status = Post(i, "/v3/maintenance/status");
  return status.ok() && !JsonString(*status, "/leader"_json_pointer).empty();
}

int EtcdCluster::Leader() const {
  for (int i = 0; i < size(); ++i) {
    auto status = Post(i, "/v3/maintenance/status");
    if (!status.ok()) continue;
    std::string leader = JsonString(*status, "/leader"_json_pointer);
    if (!leader.empty() &&
        leader == JsonString(*status, "/header/member_id"_json_pointer)) {
      return i;
    }
  }
  return -1;
}

}  // namespace dse::testing
