#include "exporter/model/model_testing.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace dse {

std::string ReadTestFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

NodeModel OneShardModel(Role role, uint64_t offset) {
  NodeModel model;
  model.cluster_id = "cache";
  model.node = "127.0.0.1:6380";
  model.version = "7.0.15";
  Shard shard;
  shard.id = "cache";
  shard.role = role;
  shard.commit_offset = CommitOffset{"bytes", offset};
  model.shards.push_back(shard);
  return model;
}

Shard ExpectOneShard(const NodeModel& model, const std::string& id, Role role,
                     const std::string& unit, uint64_t offset) {
  EXPECT_EQ(model.shards.size(), 1u);
  if (model.shards.size() != 1) return Shard();
  const Shard& shard = model.shards[0];
  EXPECT_EQ(shard.id, id);
  EXPECT_EQ(RoleName(shard.role), RoleName(role));
  EXPECT_TRUE(shard.commit_offset.has_value());
  if (shard.commit_offset.has_value()) {
    EXPECT_EQ(shard.commit_offset->unit, unit);
    EXPECT_EQ(shard.commit_offset->value, offset);
  }
  return shard;
}

std::map<std::string, std::string> ShardRoles(const NodeModel& model,
                                              const std::string& unit) {
  std::map<std::string, std::string> roles;
  for (const Shard& shard : model.shards) {
    EXPECT_TRUE(shard.lags.empty()) << shard.id;
    std::string role(RoleName(shard.role));
    if (!shard.role_detail.empty()) role += " (" + shard.role_detail + ")";
    if (shard.commit_offset.has_value()) {
      EXPECT_EQ(shard.commit_offset->unit, unit) << shard.id;
      role += " at " + std::to_string(shard.commit_offset->value);
    }
    roles[shard.id] = role;
  }
  return roles;
}

}  // namespace dse
