// Parser and mapping tests on replies recorded from etcd 3.4.23
// (fixtures/record.sh says how).
#include "collectors/etcd/etcd_parse.h"

#include "exporter/model/model_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse::etcd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

MemberStatus Status(const std::string& file) {
  return ExpectOk(ParseStatus(ReadFixture(file)));
}

TEST(ParseStatus, LeaderReadsEveryField) {
  MemberStatus status = Status("status_3.4.23_leader.json");
  EXPECT_EQ(status.cluster_id, "17485238565960767017");  // Above INT64_MAX.
  EXPECT_EQ(status.member_id, 691667430226741955u);
  EXPECT_EQ(status.leader, status.member_id);
  EXPECT_EQ(status.raft_index, 18u);
  EXPECT_EQ(status.raft_applied_index, 18u);
  EXPECT_EQ(status.version, "3.4.23");
  EXPECT_FALSE(status.learner);
  EXPECT_TRUE(status.errors.empty());
}

TEST(ParseStatus, FollowerSharesClusterIdAndKnowsTheLeader) {
  MemberStatus leader = Status("status_3.4.23_leader.json");
  MemberStatus follower = Status("status_3.4.23_follower.json");
  EXPECT_EQ(follower.cluster_id, leader.cluster_id);
  EXPECT_NE(follower.member_id, leader.member_id);
  EXPECT_EQ(follower.leader, leader.member_id);
}

TEST(ParseStatus, NoLeaderOmitsTheFieldAndSaysSo) {
  MemberStatus status = Status("status_3.4.23_no_leader.json");
  EXPECT_EQ(status.leader, 0u);
  EXPECT_THAT(status.errors, ElementsAre("etcdserver: no leader"));
}

TEST(ParseStatus, Learner) {
  EXPECT_TRUE(Status("status_3.4.23_learner.json").learner);
}

TEST(ParseStatus, ErrorsNameTheField) {
  struct Bad {
    std::string text;
    std::string message;
  };
  for (
      const Bad& bad : std::vector<Bad>{
          {"not json", "status reply: invalid JSON"},
          {"[1]", "status reply: expected a JSON object, got array"},
          {R"({"version":"3.4.23"})",
           "status reply: field \"header.cluster_id\": missing"},
          {R"({"header":{"cluster_id":"1","member_id":"-2"},"version":"x"})",
           "status reply: field \"header.member_id\": expected a decimal "
           "string, got \"-2\""},
          {R"({"header":{"cluster_id":"1","member_id":"2"},"version":"x",)"
           R"("raftIndex":true})",
           "status reply: field \"raftIndex\": expected a decimal string, "
           "got true"},
          {R"({"header":{"cluster_id":"1","member_id":"2"}})",
           "status reply: field \"version\": missing"},
          {R"({"header":{"cluster_id":"18446744073709551616","member_id":"2"}})",
           "field \"header.cluster_id\": expected a decimal string"},
      }) {
    auto status = ParseStatus(bad.text);
    ASSERT_FALSE(status.ok()) << bad.text;
    EXPECT_THAT(status.status().message(), HasSubstr(bad.message)) << bad.text;
  }
}

TEST(ParseStatus, AcceptsPlainNumbersAsProto3JsonAllows) {
  auto status = ParseStatus(
      R"({"header":{"cluster_id":7,"member_id":18446744073709551615},)"
      R"("version":"3.4.23","raftIndex":5})");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->cluster_id, "7");
  EXPECT_EQ(status->member_id, 18446744073709551615u);
  EXPECT_EQ(status->raft_index, 5u);
}

TEST(ParseMemberList, NamesAndIds) {
  auto members = ParseMemberList(ReadFixture("member_list_3.4.23.json"));
  ASSERT_TRUE(members.ok()) << members.status();
  ASSERT_THAT(*members, SizeIs(3));
  MemberStatus leader = Status("status_3.4.23_leader.json");
  MemberStatus follower = Status("status_3.4.23_follower.json");
  EXPECT_EQ(MemberName(*members, leader.member_id), "m2");
  EXPECT_EQ(MemberName(*members, follower.member_id), "m3");
  EXPECT_EQ(MemberName(*members, 42), std::nullopt);
}

TEST(ParseMemberList, LearnerThatNeverStartedHasNoName) {
  auto members = ParseMemberList(
      ReadFixture("member_list_3.4.23_learner_not_started.json"));
  ASSERT_TRUE(members.ok()) << members.status();
  ASSERT_THAT(*members, SizeIs(4));
  MemberStatus learner = Status("status_3.4.23_learner.json");
  EXPECT_EQ(MemberName(*members, learner.member_id), std::nullopt);
  int learners = 0;
  for (const Member& member : *members) learners += member.learner ? 1 : 0;
  EXPECT_EQ(learners, 1);
}

TEST(ClientAddresses, EveryStartedMembersFirstClientUrl) {
  auto members = ParseMemberList(ReadFixture("member_list_3.4.23.json"));
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_THAT(
      ClientAddresses(*members),
      ElementsAre("127.0.0.1:49093", "127.0.0.1:54979", "127.0.0.1:33751"));
  // A learner added but never started has no client URL: left out.
  members = ParseMemberList(
      ReadFixture("member_list_3.4.23_learner_not_started.json"));
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_THAT(ClientAddresses(*members), SizeIs(3));
  // TLS URLs and a trailing path give the authority alone.
  members = ParseMemberList(
      R"({"members":[{"ID":"1","clientURLs":["https://[::1]:2379/x","b"]}]})");
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_THAT(ClientAddresses(*members), ElementsAre("[::1]:2379"));
}

TEST(ParseMemberList, ErrorsNameTheEntry) {
  auto members = ParseMemberList(R"({"members":[{"ID":"1"},{"name":"x"}]})");
  ASSERT_FALSE(members.ok());
  EXPECT_THAT(
      members.status().message(),
      HasSubstr("member list reply: members[1]: field \"ID\": missing"));
  members = ParseMemberList(R"({"members":[{"ID":"1","clientURLs":[7]}]})");
  ASSERT_FALSE(members.ok());
  EXPECT_THAT(members.status().message(),
              HasSubstr("members[0]: field \"clientURLs[0]\": expected a "
                        "string, got 7"));
}

TEST(ParseAuthenticate, TokenAndWrongPassword) {
  auto token = ParseAuthenticate(ReadFixture("authenticate_3.4.23.json"));
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_FALSE(token->empty());

  std::string wrong = ReadFixture("authenticate_3.4.23_wrong_password.json");
  EXPECT_FALSE(ParseAuthenticate(wrong).ok());
  GatewayError error = ParseGatewayError(wrong);
  EXPECT_EQ(error.code, 3);
  EXPECT_EQ(error.message,
            "etcdserver: authentication failed, invalid user ID or password");
}

TEST(ParseGatewayError, PlainTextIsKeptTrimmed) {
  GatewayError error = ParseGatewayError("404 page not found\n");
  EXPECT_EQ(error.code, 0);
  EXPECT_EQ(error.message, "404 page not found");
}

TEST(BuildModel, LeaderIsPrimary) {
  NodeModel model = BuildModel(Status("status_3.4.23_leader.json"), "m2");
  EXPECT_EQ(model.cluster_id, "17485238565960767017");
  EXPECT_EQ(model.node, "m2");
  EXPECT_EQ(model.version, "3.4.23");
  const Shard shard = ExpectOneShard(model, model.cluster_id, Role::kPrimary,
                                     "raft_index", 18u);
  ASSERT_THAT(shard.lags, SizeIs(1));
  EXPECT_EQ(shard.lags[0].unit, "raft_index");
  EXPECT_EQ(shard.lags[0].value, 0);
}

TEST(BuildModel, FollowerAndLearnerAreSecondaries) {
  for (const char* file :
       {"status_3.4.23_follower.json", "status_3.4.23_learner.json"}) {
    NodeModel model = BuildModel(Status(file), "m");
    ASSERT_THAT(model.shards, SizeIs(1)) << file;
    EXPECT_EQ(model.shards[0].role, Role::kSecondary) << file;
    EXPECT_EQ(model.shards[0].id, "17485238565960767017") << file;
  }
}

TEST(BuildModel, NoLeaderIsUnknownWithItsOffset) {
  NodeModel model = BuildModel(Status("status_3.4.23_no_leader.json"), "m3");
  ASSERT_THAT(model.shards, SizeIs(1));
  EXPECT_EQ(model.shards[0].role, Role::kUnknown);
  EXPECT_EQ(model.shards[0].role_detail, "no leader");
  ASSERT_TRUE(model.shards[0].commit_offset.has_value());
  EXPECT_EQ(model.shards[0].commit_offset->value, 25u);
}

TEST(BuildModel, LagIsCommittedMinusApplied) {
  // Hand-written: on loopback the applied index catches up too fast to record.
  MemberStatus status = Status("status_3.4.23_follower.json");
  status.raft_index = 120;
  status.raft_applied_index = 100;
  EXPECT_EQ(BuildModel(status, "m").shards[0].lags[0].value, 20);
  status.raft_applied_index = 121;  // Read a moment later than the index.
  EXPECT_EQ(BuildModel(status, "m").shards[0].lags[0].value, 0);
}

}  // namespace
}  // namespace dse::etcd
