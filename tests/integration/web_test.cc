// --web.config.file (TLS, client certificates, basic auth) and request limits,
// end to end with real TLS: certificates made by openssl, requests by curl.
#include <signal.h>

#include <future>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/redis_server.h"

namespace dse::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Makes a CA, a server certificate for 127.0.0.1, a client certificate the CA
// signed, and a self-signed client certificate (a stranger's).
void MakeCertificates(const std::string& dir) {
  const std::string script = absl::StrCat("set -e; cd ", dir, R"(
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1
printf 'subjectAltName=IP:127.0.0.1\n' > san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext
openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=scraper
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2
openssl req -x509 -newkey rsa:2048 -nodes -keyout stranger.key -out stranger.pem -days 2 -subj /CN=stranger
)");
  CommandResult made = RunCommand({"sh", "-c", script}, absl::Seconds(60));
  ASSERT_EQ(made.exit_code, 0) << made.output;
}

struct Curl {
  int exit_code;
  std::string status;  // HTTP status code as curl prints it.
  std::string output;
};

Curl RunCurl(const std::vector<std::string>& args) {
  std::string curl = FindProgram("curl");
  EXPECT_FALSE(curl.empty()) << "curl is not installed";
  std::vector<std::string> argv = {
      curl, "-sS", "--max-time",  "10", "--noproxy",
      "*",  "-o",  "/dev/stderr", "-w", "\nstatus=%{http_code}\n"};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult result = RunCommand(argv, absl::Seconds(20));
  Curl curl_result{result.exit_code, "", result.output};
  size_t at = result.output.rfind("status=");
  if (at != std::string::npos)
    curl_result.status = result.output.substr(at + 7, 3);
  return curl_result;
}

class WebConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeCertificates(dir_.path());
    auto server = RedisServer::Start(dir_);
    ASSERT_TRUE(server.ok()) << server.status();
    redis_ = *std::move(server);
  }
  std::string Config() const {
    return absl::StrCat("targets:\n  - {name: cache, kind: redis, address: \"",
                        redis_->address(), "\", cluster_id: c}\n");
  }
  std::string WebFile(const std::string& content) const {
    std::string path = dir_.path() + "/web.yml";
    WriteFile(path, content);
    return path;
  }
  std::string File(const std::string& name) const {
    return dir_.path() + "/" + name;
  }

  TempDir dir_;
  std::unique_ptr<RedisServer> redis_;
};

TEST_F(WebConfigTest, TlsWithBasicAuth) {
  const std::string password = "scrape-Secret-42";
  std::string web = WebFile(absl::StrCat(
      "tls_server_config:\n  cert_file: ", File("server.pem"),
      "\n  key_file: ", File("server.key"),
      "\nbasic_auth_users:\n  prometheus: ", Bcrypt(password), "\n"));
  // ExporterProcess checks /-/healthy over plain HTTP, which a TLS port
  // refuses: start it by hand.
  int port = FreePort();
  ProcessOptions options;
  options.log_path = File("exporter.log");
  // The dynamic loader reports every library it searches for: civetweb's
  // "libssl.so" and "libcrypto.so" (symlinks only libssl-dev installs) must
  // be answered without a search (tls_compat.cc).
  options.env = {"LD_DEBUG=libs", "LD_DEBUG_OUTPUT=" + File("ld-debug")};
  std::string config = File("exporter.yml");
  WriteFile(config, Config());
  auto exporter = Process::Start(
      {ExporterBinary(), "--config.file=" + config, "--web.config.file=" + web,
       "--web.listen-address=127.0.0.1:" + std::to_string(port)},
      options);
  ASSERT_TRUE(exporter.ok());
  const std::string url = absl::StrCat("https://127.0.0.1:", port, "/metrics");
  ASSERT_TRUE(WaitFor(
      [&] {
        return RunCurl({"--cacert", File("ca.pem"), url}).status == "401";
      },
      absl::Seconds(10)))
      << ReadFile(options.log_path);
  const std::string loader_log =
      ReadFile(File("ld-debug.") + std::to_string((*exporter)->pid()));
  EXPECT_THAT(loader_log, HasSubstr("find library=libssl.so.3 ["));
  EXPECT_THAT(loader_log, Not(HasSubstr("find library=libssl.so [")));
  EXPECT_THAT(loader_log, Not(HasSubstr("find library=libcrypto.so [")));

  Curl no_credentials = RunCurl({"--cacert", File("ca.pem"), "-i", url});
  EXPECT_EQ(no_credentials.status, "401");
  EXPECT_THAT(no_credentials.output,
              HasSubstr("WWW-Authenticate: Basic realm="));
  EXPECT_EQ(RunCurl({"--cacert", File("ca.pem"), "-u", "prometheus:wrong", url})
                .status,
            "401");
  EXPECT_EQ(
      RunCurl({"--cacert", File("ca.pem"), "-u", "nobody:" + password, url})
          .status,
      "401");
  Curl good = RunCurl(
      {"--cacert", File("ca.pem"), "-u", "prometheus:" + password, url});
  EXPECT_EQ(good.status, "200") << good.output;
  EXPECT_THAT(good.output,
              HasSubstr("datastore_up{target=\"cache\",kind=\"redis\"} 1"));
  // Every path is behind the same auth, /-/reload (POST) and the NUL trick
  // included.
  const std::string base = absl::StrCat("https://127.0.0.1:", port);
  for (const char* path : {"/-/reload", "/-/healthy", "/", "/api/status"}) {
    EXPECT_EQ(RunCurl({"--cacert", File("ca.pem"), "-X",
                       std::string(path) == "/-/reload" ? "POST" : "GET",
                       base + path})
                  .status,
              "401")
        << path;
  }
  EXPECT_EQ(RunCurl({"--cacert", File("ca.pem"), "-H",
                     "Authorization: Basic " +
                         absl::Base64Escape("prometheus:" + password +
                                            std::string(1, '\0') + "junk"),
                     url})
                .status,
            "401");
  // Plain HTTP to the TLS port gets no metrics.
  Curl plain = RunCurl({absl::StrCat("http://127.0.0.1:", port, "/metrics")});
  EXPECT_THAT(plain.output, Not(HasSubstr("datastore_up")));
  // A certificate the client does not trust is refused by the client.
  EXPECT_NE(RunCurl({"-u", "prometheus:" + password, url}).exit_code, 0);
  EXPECT_THAT(ReadFile(options.log_path), Not(HasSubstr(password)));
  (*exporter)->Stop();
}

TEST_F(WebConfigTest, ClientCertificatesRequired) {
  std::string web = WebFile(absl::StrCat(
      "tls_server_config:\n  cert_file: ", File("server.pem"),
      "\n  key_file: ", File("server.key"),
      "\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ",
      File("ca.pem"), "\n  min_version: TLS12\n"));
  int port = FreePort();
  std::string config = File("exporter.yml");
  WriteFile(config, Config());
  auto exporter = Process::Start(
      {ExporterBinary(), "--config.file=" + config, "--web.config.file=" + web,
       "--web.listen-address=127.0.0.1:" + std::to_string(port)},
      ProcessOptions{File("exporter.log"), "", {}});
  ASSERT_TRUE(exporter.ok());
  const std::string url = absl::StrCat("https://127.0.0.1:", port, "/metrics");
  const std::vector<std::string> with_cert = {
      "--cacert", File("ca.pem"),     "--cert", File("client.pem"),
      "--key",    File("client.key"), url};
  ASSERT_TRUE(WaitFor([&] { return RunCurl(with_cert).status == "200"; },
                      absl::Seconds(10)))
      << ReadFile(File("exporter.log"));
  Curl without = RunCurl({"--cacert", File("ca.pem"), url});
  EXPECT_NE(without.status, "200") << without.output;
  EXPECT_THAT(without.output, Not(HasSubstr("datastore_up")));
  // The server survives refused handshakes.
  EXPECT_EQ(RunCurl(with_cert).status, "200");
}

// Each client_auth_type as exporter-toolkit (Go's crypto/tls) defines it,
// with no client certificate, the CA's, and a stranger's.
TEST_F(WebConfigTest, EveryClientAuthTypeDoesWhatItSays) {
  struct Case {
    const char* type;
    bool none, signed_by_ca, stranger;  // Whether each gets the metrics.
  } cases[] = {
      {"NoClientCert", true, true, true},
      {"RequestClientCert", true, true, true},
      {"RequireAnyClientCert", false, true, true},
      {"VerifyClientCertIfGiven", true, true, false},
      {"RequireAndVerifyClientCert", false, true, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type);
    std::string web = WebFile(absl::StrCat(
        "tls_server_config:\n  cert_file: ", File("server.pem"),
        "\n  key_file: ", File("server.key"), "\n  client_auth_type: ", c.type,
        "\n  client_ca_file: ", File("ca.pem"), "\n"));
    int port = FreePort();
    std::string config = File("exporter.yml");
    WriteFile(config, Config());
    auto exporter = Process::Start(
        {ExporterBinary(), "--config.file=" + config,
         "--web.config.file=" + web,
         "--web.listen-address=127.0.0.1:" + std::to_string(port)},
        ProcessOptions{File("exporter.log"), "", {}});
    ASSERT_TRUE(exporter.ok());
    const std::string url =
        absl::StrCat("https://127.0.0.1:", port, "/metrics");
    auto fetch = [&](const std::string& cert) {
      std::vector<std::string> args = {"--cacert", File("ca.pem")};
      if (!cert.empty()) {
        args.insert(args.end(), {"--cert", File(cert + ".pem"), "--key",
                                 File(cert + ".key")});
      }
      args.push_back(url);
      return RunCurl(args);
    };
    ASSERT_TRUE(WaitFor([&] { return fetch("client").status == "200"; },
                        absl::Seconds(10)))
        << ReadFile(File("exporter.log"));
    for (auto [cert, allowed] :
         {std::make_pair(std::string(), c.none),
          std::make_pair(std::string("client"), c.signed_by_ca),
          std::make_pair(std::string("stranger"), c.stranger)}) {
      Curl got = fetch(cert);
      SCOPED_TRACE(cert.empty() ? "no certificate" : cert);
      if (allowed) {
        EXPECT_EQ(got.status, "200") << got.output;
        EXPECT_THAT(got.output, HasSubstr("datastore_up"));
      } else {
        EXPECT_NE(got.status, "200") << got.output;
        EXPECT_THAT(got.output, Not(HasSubstr("datastore_up")));
      }
    }
    (*exporter)->Stop();
  }
}

TEST_F(WebConfigTest, BadWebConfigIsAClearErrorAtStart) {
  struct Bad {
    std::string yaml;
    std::string message;
  } table[] = {
      {"tls_server_config:\n  cert_file: /nonexistent.pem\n  key_file: "
       "/nonexistent.key\n",
       "cannot read /nonexistent.pem"},
      {"tls_server_config:\n  cert_file: " + File("server.pem") + "\n",
       "web.yml:2:3: tls_server_config needs both cert_file and key_file"},
      {"basic_auth_users:\n  prometheus: plaintext-pw\n",
       "web.yml:2:15: user \"prometheus\": expected a bcrypt hash"},
      {"tls_server_config:\n  cert_file: " + File("server.pem") +
           "\n  key_file: " + File("server.key") +
           "\n  client_auth_type: RequireAndVerifyClientCert\n",
       "needs client_ca_file"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: "
       "SSL3\n",
       "unknown min_version \"SSL3\""},
      {"tsl_server_config: {}\n",
       "web.yml:1:1: unknown key \"tsl_server_config\""},
  };
  for (const Bad& bad : table) {
    std::string web = WebFile(bad.yaml);
    CommandResult result = RunCommand(
        {ExporterBinary(), "--web.config.file=" + web,
         "--target=redis://127.0.0.1:1", "--cluster-id=c",
         "--web.listen-address=127.0.0.1:" + std::to_string(FreePort())},
        absl::Seconds(10));
    EXPECT_EQ(result.exit_code, 2) << bad.yaml << result.output;
    EXPECT_THAT(result.output, HasSubstr(bad.message)) << bad.yaml;
    EXPECT_THAT(result.output, Not(HasSubstr("plaintext-pw")));
  }
}

TEST_F(WebConfigTest, RequestsBeyondTheLimitGet503) {
  // A hung target holds each scrape for its 2 s timeout.
  redis_->process().Signal(SIGSTOP);
  std::string config =
      absl::StrCat("targets:\n  - {name: cache, kind: redis, address: \"",
                   redis_->address(), "\", cluster_id: c, timeout: 2s}\n");
  auto exporter =
      ExporterProcess::Start(dir_, config, {"--web.max-requests=2"});
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::vector<std::future<long>> scrapes;
  for (int i = 0; i < 6; ++i) {
    scrapes.push_back(std::async(std::launch::async, [&] {
      return HttpFetch((*exporter)->url("/metrics")).status;
    }));
  }
  int ok = 0, busy = 0;
  for (auto& scrape : scrapes) {
    long status = scrape.get();
    ok += status == 200;
    busy += status == 503;
  }
  redis_->process().Signal(SIGCONT);
  EXPECT_GE(busy, 1);
  EXPECT_GE(ok, 1);
  EXPECT_EQ(ok + busy, 6);
  // Headers past the size limit are refused, and the server goes on.
  HttpResult huge = HttpFetch((*exporter)->url("/-/healthy"), "GET",
                              {"X-Padding: " + std::string(20000, 'a')});
  EXPECT_NE(huge.status, 200);
  EXPECT_EQ(HttpFetch((*exporter)->url("/-/healthy")).status, 200);
}

}  // namespace
}  // namespace dse::testing
