// Parser and mapping tests on replies recorded from Debian's zookeeper 3.8.0
// (fixtures/record.sh says how).
#include "collectors/zookeeper/zookeeper_parse.h"

#include "absl/strings/str_replace.h"
#include "exporter/model/model_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse::zookeeper {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

ServerStatus Srvr(const std::string& file) {
  return ExpectOk(ParseSrvr(ReadFixture(file)), file);
}

std::optional<std::string> ServerId(const std::string& file) {
  auto id = ParseConfServerId(ReadFixture(file));
  EXPECT_TRUE(id.ok()) << file << ": " << id.status();
  return id.ok() ? *id : std::nullopt;
}

NodeModel Model(const std::string& srvr_file) {
  return BuildModel(Srvr(srvr_file), MappingInput{"coordination", "2"});
}

TEST(ParseSrvr, EnsembleMembers) {
  // The fixtures were recorded after the same writes reached every member.
  for (const char* mode : {"leader", "follower", "observer"}) {
    ServerStatus status = Srvr(std::string("srvr_3.8.0_") + mode + ".txt");
    EXPECT_EQ(status.mode, mode);
    EXPECT_EQ(status.version, "3.8.0");
    EXPECT_EQ(status.zxid, 0x10000000aull) << mode;
  }
}

TEST(ParseSrvr, StandaloneAndReadOnly) {
  ServerStatus standalone = Srvr("srvr_3.8.0_standalone.txt");
  EXPECT_EQ(standalone.mode, "standalone");
  EXPECT_EQ(standalone.zxid, 6u);
  // The read-only server's extra line ("READ-ONLY mode; ...") is no field.
  ServerStatus read_only = Srvr("srvr_3.8.0_read-only.txt");
  EXPECT_EQ(read_only.mode, "read-only");
  EXPECT_EQ(read_only.version, "3.8.0");
  EXPECT_EQ(read_only.zxid, 0u);
}

TEST(ParseSrvr, VersionDropsCommitAndBuildDate) {
  std::string upstream = absl::StrReplaceAll(
      ReadFixture("srvr_3.8.0_leader.txt"),
      {{"${mvngit.commit.id}", "5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f"}});
  auto status = ParseSrvr(upstream);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->version, "3.8.0");
  auto alpha = ParseSrvr(absl::StrReplaceAll(
      ReadFixture("srvr_3.8.0_leader.txt"), {{"3.8.0-", "3.5.0-alpha-"}}));
  ASSERT_TRUE(alpha.ok()) << alpha.status();
  EXPECT_EQ(alpha->version, "3.5.0-alpha");
}

TEST(ParseSrvr, ServerWithoutQuorumIsAnError) {
  auto status = ParseSrvr(ReadFixture("srvr_3.8.0_no_quorum.txt"));
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(absl::IsUnavailable(status.status()));
  EXPECT_THAT(status.status().message(),
              HasSubstr("srvr: the server is not serving requests"));
}

TEST(ParseSrvr, SrvrLeftOutOfTheWhitelistIsAnError) {
  // The same sentence as conf_3.8.0_not_in_whitelist.txt, for srvr.
  auto status = ParseSrvr(absl::StrReplaceAll(
      ReadFixture("conf_3.8.0_not_in_whitelist.txt"), {{"conf", "srvr"}}));
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.status().message(),
              HasSubstr("srvr: not in the server's 4lw.commands.whitelist"));
}

TEST(ParseSrvr, MalformedRepliesNameWhatAndWhere) {
  const std::string leader = ReadFixture("srvr_3.8.0_leader.txt");
  struct Case {
    std::string reply;
    std::string message;
  };
  const Case cases[] = {
      {absl::StrReplaceAll(leader, {{"Zxid: 0x10000000a", "Zxid: 12"}}),
       "srvr line 7: bad Zxid \"12\""},
      {absl::StrReplaceAll(leader, {{"Zxid: 0x10000000a", "Zxid: 0x1g"}}),
       "srvr line 7: bad Zxid \"0x1g\""},
      {absl::StrReplaceAll(
           leader, {{"Zxid: 0x10000000a", "Zxid: 0x10000000000000000"}}),
       "srvr line 7: bad Zxid"},
      {absl::StrReplaceAll(leader, {{"Zxid: 0x10000000a", "Zxid: 0x -1"}}),
       "srvr line 7: bad Zxid"},
      {absl::StrReplaceAll(leader, {{"Zxid:", "Zxld:"}}), "srvr: no Zxid line"},
      {absl::StrReplaceAll(leader, {{"Mode: leader", "Mood: leader"}}),
       "srvr: no Mode line"},
      {"Zookeeper version: , built on 2024\nZxid: 0x1\nMode: leader\n",
       "srvr line 1: bad version \", built on 2024\""},
      {"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
       "srvr: not a ZooKeeper reply: \"HTTP/1.1 400 Bad Request\\r\""},
      {"", "srvr: not a ZooKeeper reply: \"\""},
  };
  for (const Case& c : cases) {
    auto status = ParseSrvr(c.reply);
    ASSERT_FALSE(status.ok()) << c.message;
    EXPECT_TRUE(absl::IsInvalidArgument(status.status())) << status.status();
    EXPECT_THAT(status.status().message(), HasSubstr(c.message));
  }
}

TEST(ParseConfServerId, GivesTheServerId) {
  EXPECT_EQ(ServerId("conf_3.8.0_leader.txt"), "3");
  EXPECT_EQ(ServerId("conf_3.8.0_follower.txt"), "2");
  EXPECT_EQ(ServerId("conf_3.8.0_observer.txt"), "4");
  EXPECT_EQ(ServerId("conf_3.8.0_standalone.txt"), "0");
}

TEST(ParseConfServerId, NothingWhenConfIsNotInTheWhitelist) {
  auto id = ParseConfServerId(ReadFixture("conf_3.8.0_not_in_whitelist.txt"));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_FALSE(id->has_value());
}

TEST(ParseConfServerId, ErrorsNameWhatAndWhere) {
  auto no_quorum = ParseConfServerId(ReadFixture("conf_3.8.0_no_quorum.txt"));
  ASSERT_FALSE(no_quorum.ok());
  EXPECT_THAT(no_quorum.status().message(),
              HasSubstr("conf: the server is not serving requests"));

  const std::string leader = ReadFixture("conf_3.8.0_leader.txt");
  auto bad = ParseConfServerId(
      absl::StrReplaceAll(leader, {{"serverId=3", "serverId=three"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("conf line 12: bad serverId \"three\""));
  auto missing = ParseConfServerId(
      absl::StrReplaceAll(leader, {{"serverId=3", "server=3"}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("conf: no serverId line"));
}

TEST(ParseConfMembers, ClientAddressesNamedInTheServerLines) {
  auto members =
      ParseConfMembers(ReadFixture("conf_3.8.0_client_addresses.txt"), 1);
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_THAT(*members, ElementsAre("127.0.0.1:40805", "127.0.0.1:42667",
                                    "127.0.0.1:54563"));
}

TEST(ParseConfMembers, WithoutClientAddressesTheAskedServersPort) {
  // Voters and the observer, each at its line's host and the given port.
  auto members = ParseConfMembers(ReadFixture("conf_3.8.0_follower.txt"), 2181);
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_THAT(*members, ElementsAre("127.0.0.1:2181", "127.0.0.1:2181",
                                    "127.0.0.1:2181", "127.0.0.1:2181"));
  members = ParseConfMembers(
      "membership: \nserver.1=zk-1.example:2888:3888;0.0.0.0:2181\n"
      "server.2=[fd00::2]:2888:3888:participant;2182\n"
      "server.3=10.0.0.3:2888:3888;[fd00::3]:2183\n",
      9);
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_THAT(*members, ElementsAre("zk-1.example:2181", "[fd00::2]:2182",
                                    "[fd00::3]:2183"));
}

TEST(ParseConfMembers, StandaloneNamesNoneAndErrorsSayWhy) {
  auto members =
      ParseConfMembers(ReadFixture("conf_3.8.0_standalone.txt"), 2181);
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_THAT(*members, ::testing::IsEmpty());
  members =
      ParseConfMembers(ReadFixture("conf_3.8.0_not_in_whitelist.txt"), 2181);
  EXPECT_THAT(members.status().message(),
              HasSubstr("not in the server's 4lw.commands.whitelist "
                        "(discovery needs it)"));
  members = ParseConfMembers("server.1=a:1:2;x:y\n", 2181);
  EXPECT_THAT(members.status().message(),
              HasSubstr("conf line 1: bad client port in"));
}

TEST(BuildModel, LeaderIsPrimaryWithZxidOffset) {
  NodeModel model = Model("srvr_3.8.0_leader.txt");
  EXPECT_EQ(model.version, "3.8.0");
  EXPECT_EQ(model.node, "2");
  EXPECT_EQ(model.cluster_id, "");  // Filled from the configuration.
  const Shard shard = ExpectOneShard(model, "coordination", Role::kPrimary,
                                     "zxid", 0x10000000aull);
  // ZooKeeper gives no lag of its own: absent, not zero.
  EXPECT_TRUE(shard.lags.empty());
}

TEST(BuildModel, RolesOfEveryMode) {
  struct Case {
    const char* file;
    Role role;
    const char* detail;
  };
  const Case cases[] = {
      {"srvr_3.8.0_leader.txt", Role::kPrimary, ""},
      {"srvr_3.8.0_standalone.txt", Role::kPrimary, ""},
      {"srvr_3.8.0_follower.txt", Role::kSecondary, ""},
      {"srvr_3.8.0_observer.txt", Role::kSecondary, ""},
      {"srvr_3.8.0_read-only.txt", Role::kUnknown, "read-only"},
  };
  for (const Case& c : cases) {
    NodeModel model = Model(c.file);
    ASSERT_THAT(model.shards, SizeIs(1)) << c.file;
    EXPECT_EQ(model.shards[0].role, c.role) << c.file;
    EXPECT_EQ(model.shards[0].role_detail, c.detail) << c.file;
    EXPECT_EQ(model.shards[0].commit_offset->unit, "zxid") << c.file;
  }
}

TEST(BuildModel, EmptyNodeIsLeftToTheExporter) {
  NodeModel model =
      BuildModel(Srvr("srvr_3.8.0_standalone.txt"), MappingInput{"c", ""});
  EXPECT_EQ(model.node, "");
}

}  // namespace
}  // namespace dse::zookeeper
