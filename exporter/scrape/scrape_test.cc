#include "exporter/scrape/scrape.h"

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace dse {
namespace {

class FastCollector : public Collector {
 public:
  absl::StatusOr<NodeModel> Collect(absl::Time) override { return NodeModel(); }
};

// Ignores its deadline: blocks until the test releases it.
class StuckCollector : public Collector {
 public:
  explicit StuckCollector(std::shared_future<void> release)
      : release_(std::move(release)) {}
  absl::StatusOr<NodeModel> Collect(absl::Time) override {
    release_.wait();
    return NodeModel();
  }

 private:
  std::shared_future<void> release_;
};

std::shared_ptr<Target> MakeTarget(const std::string& name,
                                   std::unique_ptr<Collector> collector) {
  TargetConfig config;
  config.name = name;
  config.kind = "fake";
  config.cluster_id = "c";
  return std::make_shared<Target>(config, std::move(collector));
}

TEST(CollectAllTest, ResultsComeInTargetOrder) {
  std::vector<std::shared_ptr<Target>> targets;
  for (int i = 0; i < 20; ++i) {
    targets.push_back(
        MakeTarget("t" + std::to_string(i), std::make_unique<FastCollector>()));
  }
  // Several scrapes, so that threads of the earlier ones are reused.
  for (int scrape = 0; scrape < 5; ++scrape) {
    std::vector<TargetResult> results =
        CollectAll(targets, absl::Now() + absl::Seconds(10));
    ASSERT_EQ(results.size(), targets.size());
    for (size_t i = 0; i < results.size(); ++i) {
      EXPECT_EQ(results[i].target, "t" + std::to_string(i));
      EXPECT_TRUE(results[i].up) << results[i].error;
    }
  }
}

// A collector stuck past its deadline is reported down, and holds only its
// own thread: the other targets are still collected in this scrape and the
// next ones while it stays stuck.
TEST(CollectAllTest, StuckCollectorDelaysNoOtherTarget) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::vector<std::shared_ptr<Target>> targets = {
      MakeTarget("stuck", std::make_unique<StuckCollector>(released)),
      MakeTarget("a", std::make_unique<FastCollector>()),
      MakeTarget("b", std::make_unique<FastCollector>()),
  };
  for (int scrape = 0; scrape < 3; ++scrape) {
    std::vector<TargetResult> results =
        CollectAll(targets, absl::Now() + absl::Milliseconds(50));
    ASSERT_EQ(results.size(), 3u);
    EXPECT_FALSE(results[0].up);
    EXPECT_EQ(results[0].target, "stuck");
    EXPECT_FALSE(results[0].error.empty());
    EXPECT_TRUE(results[1].up) << results[1].error;
    EXPECT_TRUE(results[2].up) << results[2].error;
  }
  release.set_value();
}

}  // namespace
}  // namespace dse
