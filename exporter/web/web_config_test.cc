#include "exporter/web/web_config.h"

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse {
namespace {

using ::testing::HasSubstr;

// Writes `yaml` to a file in the test's temporary folder; returns its path.
std::string WebFile(const std::string& yaml) {
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/web_config_test.yml");
  std::ofstream(path) << yaml;
  return path;
}

TEST(LoadWebConfig, ReadsBasicAuthUsersAndAcceptsHttpServerConfig) {
  auto config = LoadWebConfig(
      WebFile("basic_auth_users:\n  prometheus: $2b$10$abcdefghijklmnopqrstuv"
              "\nhttp_server_config: {http2: false}\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->tls());
  EXPECT_EQ(config->basic_auth_users.at("prometheus"),
            "$2b$10$abcdefghijklmnopqrstuv");
}

TEST(LoadWebConfig, EmptyFileMeansPlainHttp) {
  auto config = LoadWebConfig(WebFile(""));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->tls());
  EXPECT_TRUE(config->basic_auth_users.empty());
}

TEST(LoadWebConfig, ReportsEveryProblemWithItsPlace) {
  const std::string path = WebFile(
      "tls_server_config:\n"
      "  cert_file: [a]\n"
      "  key_file: /k\n"
      "  colour: red\n"
      "basic_auth_users:\n"
      "  a: $2b$10$abcdefghijklmnopqrstuv\n"
      "  a: $2b$10$abcdefghijklmnopqrstuv\n"
      "  b: plain-password\n"
      "basic_auth_users: {}\n");
  auto config = LoadWebConfig(path);
  ASSERT_FALSE(config.ok());
  const std::string message(config.status().message());
  EXPECT_THAT(message, HasSubstr(path + ":2:14: tls_server_config: "
                                        "\"cert_file\" must be a string"));
  EXPECT_THAT(message, HasSubstr(path + ":4:3: tls_server_config: unknown "
                                        "key \"colour\""));
  EXPECT_THAT(message, HasSubstr(path + ":7:3: basic_auth_users: duplicate "
                                        "key \"a\""));
  EXPECT_THAT(message,
              HasSubstr(path + ":8:6: user \"b\": expected a bcrypt hash"));
  EXPECT_THAT(message, HasSubstr(path + ":9:1: duplicate key "
                                        "\"basic_auth_users\""));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("plain-password")));
}

TEST(LoadWebConfig, InvalidYamlAndWrongShapes) {
  auto broken = LoadWebConfig(WebFile("tls_server_config: [\n"));
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(broken.status().message(), HasSubstr("invalid YAML"));
  auto list = LoadWebConfig(WebFile("- a\n"));
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(list.status().message(),
              HasSubstr(":1:1: the web configuration must be a map"));
  auto users = LoadWebConfig(WebFile("basic_auth_users: [a]\n"));
  ASSERT_FALSE(users.ok());
  EXPECT_THAT(users.status().message(),
              HasSubstr("\"basic_auth_users\" must be a map"));
}

}  // namespace
}  // namespace dse
