#include "exporter/web/model_api.h"

#include <utility>

#include "absl/time/clock.h"
#include "exporter/model/model_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse {
namespace {

using ::testing::HasSubstr;

// A collector answering a fixed model, or an error when `error` is set.
class FixedCollector : public Collector {
 public:
  FixedCollector(NodeModel model, std::string error)
      : model_(std::move(model)), error_(std::move(error)) {}
  absl::StatusOr<NodeModel> Collect(absl::Time) override {
    if (!error_.empty()) return absl::UnavailableError(error_);
    return model_;
  }

 private:
  NodeModel model_;
  std::string error_;
};

std::shared_ptr<Target> MakeTarget(const std::string& name,
                                   const std::string& error = "") {
  TargetConfig config;
  config.name = name;
  config.kind = "redis";
  config.address = "127.0.0.1:6379";
  config.cluster_id = "cache";
  NodeModel model = OneShardModel(Role::kPrimary, 42);
  model.cluster_id.clear();  // Filled from the configuration.
  model.node = name;
  return std::make_shared<Target>(
      config, std::make_unique<FixedCollector>(model, error));
}

HttpResponse Get(const std::string& path, const std::string& query,
                 const std::vector<std::shared_ptr<Target>>& targets) {
  HttpRequest request;
  request.method = "GET";
  request.path = path;
  request.query = query;
  return ServeModelApi(request, targets, absl::Now() + absl::Seconds(5));
}

TEST(ModelApi, OneTargetNeedsNoParameter) {
  std::vector<std::shared_ptr<Target>> targets = {MakeTarget("a")};
  HttpResponse info = Get("/api/unstable/info/datastore", "", targets);
  EXPECT_EQ(info.status, 200);
  EXPECT_EQ(info.content_type, "application/json");
  EXPECT_EQ(info.body, R"({"cluster_display_name":null,"cluster_id":"cache",)"
                       R"("kind":"redis","node_id":"a","version":"7.0.15"})");
  HttpResponse shards = Get("/api/unstable/shards", "", targets);
  EXPECT_EQ(shards.status, 200);
  EXPECT_EQ(shards.body,
            R"({"shards":[{"commit_offset":{"unit":{"unit":"bytes"},)"
            R"("value":42},"id":"cache","lag":null,"role":"primary"}]})");
}

TEST(ModelApi, SeveralTargetsNeedTheParameter) {
  std::vector<std::shared_ptr<Target>> targets = {MakeTarget("a"),
                                                  MakeTarget("b")};
  HttpResponse ambiguous = Get("/api/unstable/shards", "", targets);
  EXPECT_EQ(ambiguous.status, 400);
  EXPECT_EQ(ambiguous.content_type, "application/json");
  EXPECT_THAT(ambiguous.body, HasSubstr(R"(one of \"a\", \"b\")"));
  HttpResponse unknown = Get("/api/unstable/shards", "target=c", targets);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(unknown.body, HasSubstr(R"(unknown target \"c\")"));
  HttpResponse chosen =
      Get("/api/unstable/info/datastore", "target=b", targets);
  EXPECT_EQ(chosen.status, 200);
  EXPECT_THAT(chosen.body, HasSubstr(R"("node_id":"b")"));
}

TEST(ModelApi, NoTargetsIsNotFound) {
  HttpResponse response = Get("/api/unstable/shards", "", {});
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, R"({"error":"no targets are configured"})");
}

TEST(ModelApi, DownTargetIsUnavailableWithItsError) {
  std::vector<std::shared_ptr<Target>> targets = {
      MakeTarget("a", "connect: Connection refused")};
  HttpResponse response = Get("/api/unstable/shards", "", targets);
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body,
            R"({"error":"target \"a\" is down: connect: Connection refused"})");
}

}  // namespace
}  // namespace dse
