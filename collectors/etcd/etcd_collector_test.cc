// Tests of the etcd kind's option handling (no I/O; the collector itself is
// tested against real clusters in tests/integration/etcd_test.cc).
#include "collectors/etcd/etcd_collector.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse::etcd {
namespace {

using ::testing::HasSubstr;

TEST(TlsOptionsFrom, DefaultsToPlainHttp) {
  auto tls = TlsOptionsFrom({});
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_FALSE(tls->enabled);
}

TEST(TlsOptionsFrom, FilesTurnTlsOn) {
  auto tls = TlsOptionsFrom({{"ca_file", "/ca.pem"},
                             {"cert_file", "/c.pem"},
                             {"key_file", "/k.pem"}});
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_TRUE(tls->enabled);
  EXPECT_EQ(tls->ca_file, "/ca.pem");
  EXPECT_EQ(tls->cert_file, "/c.pem");
  EXPECT_EQ(tls->key_file, "/k.pem");
  EXPECT_FALSE(tls->insecure_skip_verify);
  auto plain = TlsOptionsFrom({{"tls", "true"}});
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->enabled);
}

TEST(TlsOptionsFrom, RejectsContradictionsAndBadBooleans) {
  struct Bad {
    std::map<std::string, std::string> options;
    std::string message;
  };
  for (const Bad& bad : std::vector<Bad>{
           {{{"tls", "yes"}},
            "option \"tls\": expected true or false, got \"yes\""},
           {{{"tls", "false"}, {"ca_file", "/ca.pem"}},
            "option \"tls\" is false but"},
           {{{"key_file", "/k.pem"}},
            "option \"key_file\" needs \"cert_file\""},
           {{{"insecure_skip_verify", "1"}},
            "option \"insecure_skip_verify\": expected true or false"},
       }) {
    auto tls = TlsOptionsFrom(bad.options);
    ASSERT_FALSE(tls.ok()) << bad.message;
    EXPECT_THAT(tls.status().message(), HasSubstr(bad.message));
  }
}

TEST(EtcdKind, HasItsOwnClusterIdAndDefaultPort) {
  Kind kind = EtcdKind();
  EXPECT_EQ(kind.name, "etcd");
  EXPECT_TRUE(kind.native_cluster_id);
  EXPECT_EQ(kind.default_port, 2379);
}

}  // namespace
}  // namespace dse::etcd
