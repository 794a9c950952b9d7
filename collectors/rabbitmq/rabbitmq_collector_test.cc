// Tests of the rabbitmq kind's options and load-time checks (no I/O; the
// parsers and the mapping are tested in rabbitmq_parse_test.cc).
#include "collectors/rabbitmq/rabbitmq_collector.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse::rabbitmq {
namespace {

using ::testing::HasSubstr;

TEST(RabbitMqKind, ManagementPortByDefaultAndItsOwnClusterId) {
  Kind kind = RabbitMqKind();
  EXPECT_EQ(kind.name, "rabbitmq");
  EXPECT_TRUE(kind.native_cluster_id);
  EXPECT_EQ(kind.default_port, 15672);
  EXPECT_EQ(kind.option_keys, std::vector<std::string>{"prometheus_port"});
}

TEST(PrometheusPortFrom, DefaultsTo15692) {
  auto port = PrometheusPortFrom({});
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_EQ(*port, 15692);
  port = PrometheusPortFrom({{"prometheus_port", "9419"}});
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_EQ(*port, 9419);
}

TEST(PrometheusPortFrom, RejectsWhatIsNoPort) {
  for (const char* bad : {"", "0", "65536", "-1", "+80", " 80", "80 ", "0x50",
                          "http", "99999999999"}) {
    auto port = PrometheusPortFrom({{"prometheus_port", bad}});
    EXPECT_FALSE(port.ok()) << bad;
    EXPECT_EQ(port.status().message(),
              std::string("option \"prometheus_port\": expected a port number "
                          "from 1 to 65535, got \"") +
                  bad + "\"");
  }
}

TEST(RabbitMqKind, ValidatesOptionsAndCredentialsAtLoad) {
  Kind kind = RabbitMqKind();
  ASSERT_TRUE(kind.validate);
  TargetConfig config;
  config.username = "monitor";
  config.password.env = "RABBITMQ_PASSWORD";
  EXPECT_TRUE(kind.validate(config).ok());
  config.options["prometheus_port"] = "none";
  EXPECT_THAT(kind.validate(config).message(), HasSubstr("prometheus_port"));
  config.username.clear();
  // Every problem at once.
  EXPECT_EQ(kind.validate(config).message(),
            "a password is configured without a username; option "
            "\"prometheus_port\": expected a port number from 1 to 65535, "
            "got \"none\"");
  config.options.clear();
  EXPECT_EQ(kind.validate(config).message(),
            "a password is configured without a username");
  // No credentials at all: loads (the management API then answers 401,
  // which the collection reports).
  config.password = SecretSource();
  EXPECT_TRUE(kind.validate(config).ok());
}

}  // namespace
}  // namespace dse::rabbitmq
