#include "exporter/config/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "exporter/config/allow_list.h"
#include "exporter/model/collector.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse {
namespace {

using ::testing::HasSubstr;

// Two kinds as the configuration sees them (name, port, options): one
// without a cluster ID of its own and without options, one with both.
const KindRegistry& TestKinds() {
  static const KindRegistry* const kinds = [] {
    auto* registry = new KindRegistry;
    Kind redis;
    redis.name = "redis";
    redis.default_port = 6379;
    registry->Add(redis);
    Kind etcd;
    etcd.name = "etcd";
    etcd.native_cluster_id = true;
    etcd.default_port = 2379;
    etcd.option_keys = {"tls"};
    etcd.validate = [](const TargetConfig& target) -> absl::Status {
      auto tls = target.options.find("tls");
      if (tls == target.options.end() || tls->second == "yes" ||
          tls->second == "no") {
        return absl::OkStatus();
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "option tls: expected yes or no, got \"", tls->second, "\""));
    };
    registry->Add(etcd);
    return registry;
  }();
  return *kinds;
}

TEST(ParseConfig, ReadsEveryField) {
  auto config = ParseConfig(R"(targets:
  - name: cache-a
    kind: redis
    address: 127.0.0.1:6379
    cluster_id: cache
    cluster_display_name: Cache
    node: a
    username: exporter
    password_file: /run/secret
    timeout: 1500ms
    max_reply_bytes: 512KiB
  - name: cache-b
    kind: redis
    address: "[::1]:6380"
    cluster_id: cache
    password_env: REDIS_PASSWORD
)",
                            "good.yml", TestKinds());
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->targets.size(), 2u);
  const TargetConfig& a = config->targets[0];
  EXPECT_EQ(a.name, "cache-a");
  EXPECT_EQ(a.kind, "redis");
  EXPECT_EQ(a.address, "127.0.0.1:6379");
  EXPECT_EQ(a.cluster_id, "cache");
  EXPECT_EQ(a.cluster_display_name, "Cache");
  EXPECT_EQ(a.node, "a");
  EXPECT_EQ(a.username, "exporter");
  EXPECT_EQ(a.password.file, "/run/secret");
  EXPECT_EQ(a.timeout, absl::Milliseconds(1500));
  EXPECT_EQ(config->targets[1].password.env, "REDIS_PASSWORD");
  EXPECT_EQ(config->targets[1].timeout, absl::Seconds(5));
  EXPECT_EQ(a.max_reply_bytes, 512u << 10);
  EXPECT_EQ(config->targets[1].max_reply_bytes, kDefaultMaxReplyBytes);
}

TEST(TargetFromUrl, TakesUserAndKindOptionsButNoPassword) {
  auto target =
      TargetFromUrl("etcd://monitor@127.0.0.1:2380?tls=yes", "", TestKinds());
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->username, "monitor");
  EXPECT_EQ(target->address, "127.0.0.1:2380");
  EXPECT_EQ(target->options.at("tls"), "yes");
  EXPECT_FALSE(
      TargetFromUrl("etcd://monitor:secret@127.0.0.1", "", TestKinds()).ok());
  EXPECT_FALSE(TargetFromUrl("etcd://h?sslmode=x", "", TestKinds()).ok());
}

TEST(ScrubSecret, WholeAndCutShortOccurrences) {
  EXPECT_EQ(ScrubSecret("ERR 'hunter2hunter2' bad", "hunter2hunter2"),
            "ERR '<secret>' bad");
  // Servers cut echoed arguments: 8 or more first characters are scrubbed.
  EXPECT_EQ(ScrubSecret("args beginning with: 'abcdefgh", "abcdefghijkl"),
            "args beginning with: '<secret>");
  EXPECT_EQ(ScrubSecret("abc and abcdefg", "abcdefghijkl"), "abc and abcdefg");
  EXPECT_EQ(ScrubSecret("short pw xy", "xy"), "short pw <secret>");
  EXPECT_EQ(ScrubSecret("anything", ""), "anything");
  // A secret that repeats itself: the whole occurrence goes first.
  EXPECT_EQ(ScrubSecret("aaaaaaaaaaaX", "aaaaaaaaaaX"), "a<secret>");
}

struct BadConfig {
  const char* name;
  const char* yaml;
  std::vector<const char*> errors;  // Each must appear in the message.
};

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, IsRejectedWithPositionedMessage) {
  const BadConfig& bad = GetParam();
  auto config = ParseConfig(bad.yaml, "bad.yml", TestKinds());
  ASSERT_FALSE(config.ok()) << bad.name;
  for (const char* error : bad.errors) {
    EXPECT_THAT(config.status().message(), HasSubstr(error)) << bad.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadConfigTest,
    ::testing::Values(
        BadConfig{"invalid yaml", "targets: [", {"bad.yml:1:", "invalid YAML"}},
        BadConfig{"not a map",
                  "- a\n",
                  {"bad.yml:1:1: the configuration must be a map"}},
        BadConfig{
            "no targets", "other: 1\n", {"bad.yml:1:1: unknown key \"other\""}},
        BadConfig{"empty targets",
                  "targets: []\n",
                  {"bad.yml:1:10: \"targets\" is empty"}},
        BadConfig{"targets not a list",
                  "targets: 3\n",
                  {"bad.yml:1:10: \"targets\" must be a list, got a string"}},
        BadConfig{"unknown key",
                  "targets:\n  - name: a\n    kind: redis\n    address: h:1\n"
                  "    cluster_id: c\n    pasword_file: x\n",
                  {"bad.yml:6:5: target \"a\": unknown key \"pasword_file\""}},
        BadConfig{
            "wrong type",
            "targets:\n  - name: [a]\n    kind: redis\n    address: h:1\n",
            {"bad.yml:2:11: target #1: \"name\" must be a string, got a list"}},
        BadConfig{"duplicate name",
                  "targets:\n  - {name: a, kind: redis, address: h:1, "
                  "cluster_id: c}\n"
                  "  - {name: a, kind: redis, address: h:2, cluster_id: c}\n",
                  {"bad.yml:3:5: target \"a\": duplicate target name"}},
        BadConfig{"duplicate key",
                  "targets:\n  - {name: a, name: b, kind: redis, address: h:1, "
                  "cluster_id: c}\n",
                  {"bad.yml:2:15: target \"a\": duplicate key \"name\""}},
        BadConfig{"unknown kind",
                  "targets:\n  - {name: a, kind: cassandra, address: h:1}\n",
                  {"bad.yml:2:21: target \"a\": unknown kind \"cassandra\" "
                   "(known: "}},
        BadConfig{
            "missing cluster_id",
            "targets:\n  - {name: a, kind: redis, address: h:1}\n",
            {"bad.yml:2:5: target \"a\": \"cluster_id\" is required for kind "
             "\"redis\""}},
        BadConfig{"missing name and address",
                  "targets:\n  - {kind: redis, cluster_id: c}\n",
                  {"\"name\" is required", "\"address\" is required"}},
        BadConfig{
            "bad port",
            "targets:\n  - {name: a, kind: redis, address: h:99999, "
            "cluster_id: c}\n",
            {"bad.yml:2:37: target \"a\": address \"h:99999\": port must be a "
             "number from 1 to 65535"}},
        BadConfig{"bad max_reply_bytes",
                  "targets:\n  - {name: a, kind: redis, address: h:1, "
                  "cluster_id: c, max_reply_bytes: 4MB}\n",
                  {"target \"a\": \"max_reply_bytes\" must be a positive "
                   "size"}},
        BadConfig{"bare ipv6",
                  "targets:\n  - {name: a, kind: redis, address: '::1:6379', "
                  "cluster_id: c}\n",
                  {"write IPv6 addresses as [host]:port"}},
        BadConfig{
            "bad timeout",
            "targets:\n  - {name: a, kind: redis, address: h:1, cluster_id: c, "
            "timeout: soon}\n",
            {"\"timeout\" must be a positive duration such as 2s or 500ms, "
             "got \"soon\""}},
        BadConfig{
            "negative timeout",
            "targets:\n  - {name: a, kind: redis, address: h:1, cluster_id: c, "
            "timeout: -1s}\n",
            {"\"timeout\" must be a positive duration"}},
        BadConfig{
            "two password sources",
            "targets:\n  - {name: a, kind: redis, address: h:1, cluster_id: c, "
            "password_file: f, password_env: E}\n",
            {"set \"password_file\" or \"password_env\", not both"}},
        BadConfig{
            "unknown option",
            "targets:\n  - {name: a, kind: redis, address: h:1, cluster_id: c, "
            "options: {sslmode: require}}\n",
            {"unknown option \"sslmode\" for kind \"redis\" (it takes none)"}},
        BadConfig{"every error at once",
                  "targets:\n  - {name: a, kind: nope, address: h:1}\n"
                  "  - {name: a, kind: redis, address: h:x, cluster_id: c}\n",
                  {"bad.yml:2:", "unknown kind \"nope\"", "bad.yml:3:",
                   "duplicate target name", "port must be a number"}}),
    [](const ::testing::TestParamInfo<BadConfig>& param_info) {
      std::string name = param_info.param.name;
      for (char& c : name) {
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

TEST(LoadConfigFile, MissingFileNamesThePath) {
  auto config = LoadConfigFile("/nonexistent/exporter.yml", TestKinds());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(),
              HasSubstr("/nonexistent/exporter.yml"));
}

TEST(TargetFromUrl, BuildsSidecarTarget) {
  auto target =
      TargetFromUrl("redis://exporter@127.0.0.1:6380", "cache", TestKinds());
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->kind, "redis");
  EXPECT_EQ(target->username, "exporter");
  EXPECT_EQ(target->address, "127.0.0.1:6380");
  EXPECT_EQ(target->name, "127.0.0.1:6380");
  EXPECT_EQ(target->cluster_id, "cache");
}

TEST(TargetFromUrl, RejectsPasswordInUrlWithoutEchoingIt) {
  auto target =
      TargetFromUrl("redis://u:hunter2@127.0.0.1:6380", "c", TestKinds());
  ASSERT_FALSE(target.ok());
  EXPECT_THAT(target.status().message(), HasSubstr("password in the URL"));
  EXPECT_THAT(std::string(target.status().message()),
              ::testing::Not(HasSubstr("hunter2")));
}

TEST(TargetFromUrl, RejectsUnknownKindAndMissingClusterId) {
  EXPECT_FALSE(TargetFromUrl("mongo://h:1", "c", TestKinds()).ok());
  EXPECT_FALSE(TargetFromUrl("127.0.0.1:6379", "c", TestKinds()).ok());
  auto no_id = TargetFromUrl("redis://h:1", "", TestKinds());
  ASSERT_FALSE(no_id.ok());
  EXPECT_THAT(no_id.status().message(), HasSubstr("--cluster-id is required"));
}

TEST(ReadSecret, FromFileAndEnvironment) {
  std::string path = ::testing::TempDir() + "/secret";
  std::ofstream(path) << "s3cret\n";
  auto from_file = ReadSecret(SecretSource{path, ""});
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(*from_file, "s3cret");
  setenv("DSE_TEST_SECRET", "other", 1);
  auto from_env = ReadSecret(SecretSource{"", "DSE_TEST_SECRET"});
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(*from_env, "other");
  auto missing = ReadSecret(SecretSource{"", "DSE_TEST_UNSET_VARIABLE"});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("DSE_TEST_UNSET_VARIABLE"));
}

TEST(ReadSecret, RefusesWhatIsNotASmallRegularFile) {
  const std::string fifo = ::testing::TempDir() + "/secret-fifo";
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // A FIFO without a writer: refused at once, never waited on.
  auto from_fifo = ReadSecret(SecretSource{fifo, ""});
  ASSERT_FALSE(from_fifo.ok());
  EXPECT_THAT(from_fifo.status().message(),
              HasSubstr("secret file " + fifo + ": not a regular file"));
  unlink(fifo.c_str());

  auto from_folder = ReadSecret(SecretSource{::testing::TempDir(), ""});
  ASSERT_FALSE(from_folder.ok());
  EXPECT_THAT(from_folder.status().message(), HasSubstr("not a regular file"));

  const std::string large = ::testing::TempDir() + "/secret-large";
  std::ofstream(large) << std::string(kMaxSecretFileBytes + 1, 'x');
  auto from_large = ReadSecret(SecretSource{large, ""});
  ASSERT_FALSE(from_large.ok());
  EXPECT_THAT(from_large.status().message(),
              HasSubstr("larger than 65536 bytes"));
  EXPECT_THAT(std::string(from_large.status().message()),
              ::testing::Not(HasSubstr("xxxx")));

  auto missing = ReadSecret(SecretSource{large + "-missing", ""});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("No such file or directory"));
}

TEST(ParseHostPort, Forms) {
  EXPECT_EQ(ParseHostPort("[::1]:6379", 0)->host, "::1");
  EXPECT_EQ(ParseHostPort("[::1]:6379", 0)->port, 6379);
  EXPECT_EQ(ParseHostPort("db", 5432)->port, 5432);
  EXPECT_FALSE(ParseHostPort("db", 0).ok());
  EXPECT_FALSE(ParseHostPort(":1", 0).ok());
  EXPECT_FALSE(ParseHostPort("[::1", 0).ok());
}

}  // namespace
}  // namespace dse

namespace dse {
namespace {

// Whether the module allows `address`, parsed as /probe parses it.
bool Allows(const ModuleConfig& module, const std::string& address) {
  auto target = ParseHostPort(address, 0);
  return target.ok() && ModuleAllows(module, *target);
}

// Checks which addresses the module's allow-list lets through.
void ExpectAllows(const ModuleConfig& module,
                  std::initializer_list<const char*> allowed,
                  std::initializer_list<const char*> refused) {
  for (const char* address : allowed) {
    EXPECT_TRUE(Allows(module, address)) << address;
  }
  for (const char* address : refused) {
    EXPECT_FALSE(Allows(module, address)) << address;
  }
}

TEST(ParseConfig, ModulesWithAllowList) {
  auto config = ParseConfig(R"(modules:
  cache:
    kind: redis
    cluster_id: c
    password_env: P
    allowed_targets: ["10.0.*:6379", "cache-?.internal:6379"]
)",
                            "m.yml", TestKinds());
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->modules.count("cache"), 1u);
  const ModuleConfig& module = config->modules.at("cache");
  EXPECT_EQ(module.settings.kind, "redis");
  EXPECT_EQ(module.settings.password.env, "P");
  // An IP pattern never matches a name that starts like it.
  ExpectAllows(
      module,
      {"10.0.3.4:6379", "cache-a.internal:6379", "CACHE-A.internal:6379"},
      {"10.0.3.4:6380", "evil.example:6379", "10.0.attacker.example:6379"});
}

TEST(AllowList, PatternsMatchParsedAddressesByKind) {
  ModuleConfig module;
  module.allowed_targets = {"127.0.0.1:4710?", "10.1.0.0/16:*", "[::1]:47101",
                            "[fd00::/8]:6379", "db-*.internal:5432"};
  for (const std::string& pattern : module.allowed_targets) {
    EXPECT_TRUE(CheckAllowPattern(pattern).ok()) << pattern;
  }
  ExpectAllows(module,
               {"127.0.0.1:47101", "10.1.200.3:1", "[::1]:47101",
                "[0:0::1]:47101", "[fd12::5]:6379", "db-a.internal:5432"},
               {"10.2.0.1:1", "[::2]:47101", "[fe80::1]:6379",
                "db-a.internal.evil:5432"});
  // Whitespace, signs and other bytes a later parser would drop never reach
  // the match: the address is refused first.
  for (const char* bad :
       {"127.0.0.1:4710 ", "127.0.0.1:4710\t", "127.0.0.1:4710\n",
        "127.0.0.1:4710\r", "127.0.0.1:+4710", "127.0.0.1:4710+",
        " 127.0.0.1:47101", "127.0.0.1 :47101", "127.1:47101",
        "2130706433:47101", "0x7f.0.0.1:47101", "[::1 ]:47101",
        "127.0.0.1:047101", "[::ffff:127.0.0.1]:47101",
        "[::ffff:7f00:1]:47101"}) {
    EXPECT_FALSE(ParseHostPort(bad, 0).ok()) << bad;
  }
  EXPECT_FALSE(CheckAllowPattern("10.0.1.0/33:1").ok());
  EXPECT_FALSE(CheckAllowPattern("::1:6379").ok());
  EXPECT_FALSE(CheckAllowPattern("host").ok());
  EXPECT_FALSE(CheckAllowPattern("host:6379 ").ok());
  EXPECT_TRUE(CheckAllowPattern("*").ok());
}

TEST(ParseConfig, ModuleErrors) {
  auto config = ParseConfig(R"(modules:
  a: {kind: redis, cluster_id: c}
  b: {kind: redis, cluster_id: c, address: "h:1", allowed_targets: ["*"]}
  c: {kind: redis, allowed_targets: "*"}
)",
                            "m.yml", TestKinds());
  ASSERT_FALSE(config.ok());
  const std::string message(config.status().message());
  EXPECT_THAT(
      message,
      HasSubstr("m.yml:2:6: module \"a\": \"allowed_targets\" is required"));
  EXPECT_THAT(message, HasSubstr("module \"b\": unknown key \"address\""));
  EXPECT_THAT(message,
              HasSubstr("module \"c\": \"allowed_targets\" must be a list"));
  EXPECT_THAT(message, HasSubstr("module \"c\": \"cluster_id\" is required"));
}

}  // namespace
}  // namespace dse

namespace dse {
namespace {

TEST(ParseConfig, KindValidatesOptionValuesAtLoad) {
  auto config = ParseConfig(
      "targets:\n  - {name: e, kind: etcd, address: \"h:2379\", options: {tls: "
      "maybe}}\n",
      "v.yml", TestKinds());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("v.yml:2:"));
  EXPECT_THAT(config.status().message(), HasSubstr("target \"e\": "));
  EXPECT_THAT(config.status().message(), HasSubstr("tls"));
}

}  // namespace
}  // namespace dse
