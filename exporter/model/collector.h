// The collector interface and the registry of datastore kinds.
//
// A kind lives in its own folder under collectors/ and is made known to the
// exporter by one line in collectors/kinds.cc (BuiltinKinds,
// collectors/kinds.h).
#ifndef DATASTORE_EXPORTER_EXPORTER_MODEL_COLLECTOR_H_
#define DATASTORE_EXPORTER_EXPORTER_MODEL_COLLECTOR_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "exporter/model/model.h"
#include "exporter/model/target.h"

namespace dse {

// Reads the model of one node. One Collector serves one configured target and
// may keep a connection open between calls. The exporter never calls Collect
// concurrently on the same object.
class Collector {
 public:
  virtual ~Collector() = default;

  // Returns the node's model, or an error saying what failed. Must return by
  // `deadline` (every I/O call is bounded by it). Fields the collector cannot
  // know natively (cluster_id for most kinds) may be left empty: the exporter
  // fills them from the target's configuration.
  virtual absl::StatusOr<NodeModel> Collect(absl::Time deadline) = 0;

  // For discovery (/sd): the members of this node's cluster that the node
  // itself names, as "host:port" addresses of the kind's target port.
  // Listing this node itself (as FormatHostPort writes its endpoint) says
  // the list is the whole membership: discovery then asks none of them. A
  // partial view (a replica naming its primary) leaves it out, and the
  // members named are asked in turn. Bounded by `deadline`, never called
  // concurrently with Collect. A kind whose nodes cannot name their peers
  // keeps this default.
  virtual absl::StatusOr<std::vector<std::string>> Members(
      absl::Time deadline) {
    (void)deadline;
    return absl::UnimplementedError(
        "this kind cannot discover the members of its cluster");
  }
};

struct Kind {
  std::string name;  // As written in `kind:` and in the `kind` label.
  // False when the datastore has no cluster ID of its own: `cluster_id` is
  // then required in the target's configuration.
  bool native_cluster_id = false;
  // Used when an address has no port; 0: every address must give one.
  int default_port = 0;
  // Keys accepted under a target's `options:`; anything else is an error.
  std::vector<std::string> option_keys;
  // Optional: checks the option values of a target when the configuration is
  // loaded (names are checked against option_keys already). No I/O.
  std::function<absl::Status(const TargetConfig&)> validate;
  // Optional: opens the client library the kind needs (at most once per
  // process; see exporter/model/shared_library.h). Called when a configuration
  // using the kind is loaded, so that a missing library stops the start (or
  // the reload) with an error naming it, rather than every scrape.
  std::function<absl::Status()> load;
  // Builds a collector. Must not do I/O: connections are opened on Collect.
  std::function<std::unique_ptr<Collector>(const TargetConfig&)> make;
};

// A kind whose collector is built as `CollectorType(const TargetConfig&)`;
// the caller sets the optional fields (option_keys, validate, load).
template <typename CollectorType>
Kind KindOf(std::string name, bool native_cluster_id, int default_port) {
  Kind kind;
  kind.name = std::move(name);
  kind.native_cluster_id = native_cluster_id;
  kind.default_port = default_port;
  kind.make = [](const TargetConfig& config) -> std::unique_ptr<Collector> {
    return std::make_unique<CollectorType>(config);
  };
  return kind;
}

class KindRegistry {
 public:
  void Add(Kind kind);
  const Kind* Find(const std::string& name) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, Kind> kinds_;
};

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_MODEL_COLLECTOR_H_
