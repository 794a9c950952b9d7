#include "exporter/scrape/scrape.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "exporter/model/log.h"

namespace dse {

Target::Target(TargetConfig config, std::unique_ptr<Collector> collector)
    : config_(std::move(config)), collector_(std::move(collector)) {}

namespace {

// Runs `call` once the collector's turn is taken (by `deadline`); an
// exception becomes an error and sets *threw.
template <typename T, typename Call>
absl::StatusOr<T> InTurn(std::timed_mutex& mutex, absl::Time deadline,
                         const Call& call, bool* threw) {
  std::unique_lock<std::timed_mutex> turn(mutex, std::defer_lock);
  if (!turn.try_lock_until(absl::ToChronoTime(deadline))) {
    return absl::DeadlineExceededError(
        "another collection of this target is still running");
  }
  try {
    return call();
  } catch (const std::exception& e) {
    *threw = true;
    return absl::InternalError(
        absl::StrCat("unexpected exception: ", e.what()));
  } catch (...) {
    *threw = true;
    return absl::InternalError("unexpected exception");
  }
}

}  // namespace

TargetResult Target::Collect(absl::Time deadline) {
  const absl::Time start = absl::Now();
  deadline = std::min(deadline, start + config_.timeout);
  TargetResult result;
  result.target = config_.name;
  result.kind = config_.kind;

  bool threw = false;
  absl::StatusOr<NodeModel> model = InTurn<NodeModel>(
      collect_mutex_, deadline, [&] { return collector_->Collect(deadline); },
      &threw);
  if (!model.ok()) {
    result.error = std::string(model.status().message());
    result.reason =
        threw ? FailureReason::kOther : ReasonOf(model.status().code());
  } else {
    result.model = *std::move(model);
    if (!config_.cluster_id.empty())
      result.model.cluster_id = config_.cluster_id;
    if (!config_.node.empty()) result.model.node = config_.node;
    if (!config_.cluster_display_name.empty()) {
      result.model.cluster_display_name = config_.cluster_display_name;
    }
    if (result.model.node.empty()) result.model.node = config_.name;
    if (result.model.cluster_id.empty()) {
      result.error = "the datastore gave no cluster ID and none is configured";
      result.reason = FailureReason::kModel;
    } else {
      result.up = true;
    }
  }
  result.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!result.up) result.model = NodeModel();
  result.error = Printable(result.error);
  MakeValidUtf8(result.model);
  Remember(result);
  return result;
}

absl::StatusOr<std::vector<std::string>> Target::Members(absl::Time deadline) {
  deadline = std::min(deadline, absl::Now() + config_.timeout);
  bool threw = false;
  absl::StatusOr<std::vector<std::string>> members =
      InTurn<std::vector<std::string>>(
          collect_mutex_, deadline,
          [&] { return collector_->Members(deadline); }, &threw);
  if (!members.ok()) {
    return absl::Status(members.status().code(),
                        Printable(std::string(members.status().message())));
  }
  return members;
}

std::string Target::Printable(std::string error) const {
  // Whatever a datastore echoes, the error shown and logged holds no secret,
  // and what it tells is valid UTF-8 in labels and JSON.
  if (!error.empty() && !config_.password.empty()) {
    auto password = ReadSecret(config_.password);
    if (password.ok()) error = ScrubSecret(error, *password);
  }
  return ValidUtf8(error);
}

void Target::Remember(const TargetResult& result) {
  std::lock_guard<std::mutex> lock(last_mutex_);
  bool changed = !last_.ever || last_.result.up != result.up ||
                 last_.result.error != result.error;
  if (changed) {
    if (result.up) {
      Log(LogLevel::kInfo, "target is up",
          {{"target", config_.name}, {"kind", config_.kind}});
    } else {
      Log(LogLevel::kWarn, "target is down",
          {{"target", config_.name},
           {"kind", config_.kind},
           {"err", result.error}});
    }
  }
  last_.ever = true;
  last_.when = absl::Now();
  last_.result = result;
}

Target::LastState Target::last() const {
  std::lock_guard<std::mutex> lock(last_mutex_);
  return last_;
}

std::vector<std::shared_ptr<Target>> MakeTargets(const Config& config,
                                                 const KindRegistry& kinds) {
  std::vector<std::shared_ptr<Target>> targets;
  for (const TargetConfig& target : config.targets) {
    const Kind* kind = kinds.Find(target.kind);
    if (kind == nullptr) continue;  // Rejected when the config was loaded.
    targets.push_back(std::make_shared<Target>(target, kind->make(target)));
  }
  return targets;
}

namespace {

// Runs tasks on reused threads. Starting a thread per target per scrape cost
// about half of the exporter's CPU with 200 targets (clone, stack mmap and
// page faults), so threads stay for the next scrape. A task never waits for a
// busy thread: when no idle thread is left, a new one starts. A collector
// stuck past its deadline therefore holds only its own thread, as with one
// thread per task, and never delays other targets. Threads idle longer than
// kIdleTimeout (longer than any usual scrape interval) exit.
class WorkerPool {
 public:
  // Never destroyed: detached workers may still use it at exit.
  static WorkerPool& Shared() {
    static WorkerPool* const pool = new WorkerPool();
    return *pool;
  }

  void Run(std::function<void()> task) {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
    // Every queued task must have a thread of its own: a waiting one or one
    // that is starting.
    if (tasks_.size() > idle_ + starting_) {
      ++starting_;
      try {
        std::thread([this] { Work(); }).detach();
      } catch (const std::system_error&) {
        // Out of threads: the task waits for the next thread that frees up;
        // the scrape reports its target unfinished if that comes too late.
        --starting_;
      }
    } else {
      wake_.notify_one();
    }
  }

 private:
  static constexpr std::chrono::minutes kIdleTimeout{5};

  void Work() {
    std::unique_lock<std::mutex> lock(mutex_);
    --starting_;
    for (;;) {
      if (tasks_.empty()) {
        ++idle_;
        const bool got_task = wake_.wait_for(
            lock, kIdleTimeout, [this] { return !tasks_.empty(); });
        --idle_;
        if (!got_task) return;
      }
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      task = nullptr;  // Release what the task holds before waiting again.
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  size_t idle_ = 0;      // Threads waiting for a task.
  size_t starting_ = 0;  // Threads started that have not taken the lock yet.
};

// Shared between a scrape and its worker threads, which may outlive it if a
// collector overruns its deadline.
struct Pending {
  std::mutex mutex;
  std::condition_variable done;
  std::vector<TargetResult> results;
  std::vector<bool> finished;
  size_t remaining = 0;
};

}  // namespace

std::vector<TargetResult> CollectAll(
    const std::vector<std::shared_ptr<Target>>& targets, absl::Time deadline) {
  if (targets.size() == 1) return {targets[0]->Collect(deadline)};
  // Without a deadline from the client (no scrape-timeout header), the
  // longest target timeout bounds the scrape.
  absl::Duration longest = absl::ZeroDuration();
  for (const auto& target : targets) {
    longest = std::max(longest, target->config().timeout);
  }
  deadline = std::min(deadline, absl::Now() + longest);

  auto pending = std::make_shared<Pending>();
  pending->results.resize(targets.size());
  pending->finished.assign(targets.size(), false);
  pending->remaining = targets.size();
  for (size_t i = 0; i < targets.size(); ++i) {
    WorkerPool::Shared().Run([pending, target = targets[i], i, deadline] {
      TargetResult result = target->Collect(deadline);
      std::lock_guard<std::mutex> lock(pending->mutex);
      pending->results[i] = std::move(result);
      pending->finished[i] = true;
      if (--pending->remaining == 0) pending->done.notify_all();
    });
  }
  // Collectors bound their I/O by the deadline; the grace covers the work
  // after the last I/O call.
  const auto give_up = absl::ToChronoTime(deadline + absl::Milliseconds(200));
  std::unique_lock<std::mutex> lock(pending->mutex);
  pending->done.wait_until(lock, give_up,
                           [&] { return pending->remaining == 0; });
  std::vector<TargetResult> results = pending->results;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (pending->finished[i]) continue;
    results[i].target = targets[i]->config().name;
    results[i].kind = targets[i]->config().kind;
    results[i].error = "collection did not finish before the scrape deadline";
    results[i].reason = FailureReason::kTimeout;
  }
  return results;
}

absl::Status LoadClientLibraries(const Config& config,
                                 const KindRegistry& kinds) {
  auto load = [&](const std::string& kind_name,
                  const std::string& where) -> absl::Status {
    const Kind* kind = kinds.Find(kind_name);
    if (kind == nullptr || !kind->load) return absl::OkStatus();
    absl::Status loaded = kind->load();
    if (loaded.ok()) return loaded;
    return absl::FailedPreconditionError(
        absl::StrCat(where, " (kind ", kind_name, "): ", loaded.message()));
  };
  for (const TargetConfig& target : config.targets) {
    absl::Status loaded =
        load(target.kind, absl::StrCat("target \"", target.name, "\""));
    if (!loaded.ok()) return loaded;
  }
  for (const auto& [name, module] : config.modules) {
    absl::Status loaded =
        load(module.settings.kind, absl::StrCat("module \"", name, "\""));
    if (!loaded.ok()) return loaded;
  }
  return absl::OkStatus();
}

}  // namespace dse
