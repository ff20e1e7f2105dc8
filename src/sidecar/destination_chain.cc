#include "sidecar/destination_chain.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "onceflow/kafka_types.h"
#include "onceflow/record.h"
#include "onceflow/transform.h"

namespace onceflow::sidecar {
namespace {

// A stage's outputs keep the destination an earlier stage chose (onceflow::Chain hands each
// stage a Record, which has no destination; without this, a `route` followed by `headers`
// would lose its topic). Wraps stage i + 1 of a onceflow::Chain: the chain gives it a Record
// built from one output of stage i, and `previous` (owned by the chain, shared with a Tap
// after stage i) says which one.
//
// The Tap records the destinations of stage i's outputs in emission order; the chain feeds
// them to stage i + 1 in that same order (it runs stage by stage over buffered outputs), so
// the k-th Process call of the next stage for one input sees the k-th destination.
struct Destinations {
  std::vector<std::pair<std::string, Partition>> list;
  size_t next = 0;
};

// A transform around `stage`: Init and name are the stage's; Process is the wrapper's.
class Wrapper : public Transform {
 public:
  explicit Wrapper(std::unique_ptr<Transform> stage) : stage_(std::move(stage)) {}
  absl::Status Init(TransformContext& context) override { return stage_->Init(context); }
  std::string name() const override { return stage_->name(); }

 protected:
  Transform& stage() { return *stage_; }

 private:
  std::unique_ptr<Transform> stage_;
};

class Tap final : public Wrapper {
 public:
  Tap(std::unique_ptr<Transform> stage, std::shared_ptr<Destinations> destinations)
      : Wrapper(std::move(stage)), destinations_(std::move(destinations)) {}

  absl::Status Process(const Record& in, Emitter& out) override {
    class Recorder final : public Emitter {
     public:
      Recorder(Emitter& out, Destinations& d) : out_(out), d_(d) {}
      void Emit(OutputRecord record) override {
        d_.list.emplace_back(record.topic(), record.partition());
        out_.Emit(std::move(record));
      }

     private:
      Emitter& out_;
      Destinations& d_;
    };
    Recorder recorder(out, *destinations_);
    return stage().Process(in, recorder);
  }

 private:
  std::shared_ptr<Destinations> destinations_;
};

class Inherit final : public Wrapper {
 public:
  Inherit(std::unique_ptr<Transform> stage, std::shared_ptr<Destinations> previous)
      : Wrapper(std::move(stage)), previous_(std::move(previous)) {}

  absl::Status Process(const Record& in, Emitter& out) override {
    class Filler final : public Emitter {
     public:
      Filler(Emitter& out, const std::string& topic, Partition partition)
          : out_(out), topic_(topic), partition_(partition) {}
      void Emit(OutputRecord record) override {
        if (record.topic().empty() && !topic_.empty()) record.SetTopic(topic_);
        if (record.partition() == Partition::Any()) record.SetPartition(partition_);
        out_.Emit(std::move(record));
      }

     private:
      Emitter& out_;
      const std::string& topic_;
      Partition partition_;
    };
    Destinations& d = *previous_;
    if (d.next >= d.list.size()) {
      return absl::InternalError("sidecar chain: a stage ran without a recorded destination");
    }
    const auto& [topic, partition] = d.list[d.next++];
    if (topic.empty() && partition == Partition::Any()) return stage().Process(in, out);
    Filler filler(out, topic, partition);
    return stage().Process(in, filler);
  }

 private:
  std::shared_ptr<Destinations> previous_;
};

// Clears the recorded destinations at the start of each input (an error may leave some).
class ResetDestinations final : public Wrapper {
 public:
  ResetDestinations(std::unique_ptr<Transform> chain,
                    std::vector<std::shared_ptr<Destinations>> all)
      : Wrapper(std::move(chain)), all_(std::move(all)) {}

  absl::Status Process(const Record& in, Emitter& out) override {
    for (const std::shared_ptr<Destinations>& d : all_) {
      d->list.clear();
      d->next = 0;
    }
    return stage().Process(in, out);
  }

 private:
  std::vector<std::shared_ptr<Destinations>> all_;
};

}  // namespace

std::unique_ptr<Transform> DestinationChain(std::vector<std::unique_ptr<Transform>> stages) {
  // Every stage but the last records its outputs' destinations; every stage but the first
  // applies the destination of the output it was given.
  std::vector<std::shared_ptr<Destinations>> all;
  std::vector<std::unique_ptr<Transform>> wrapped;
  std::shared_ptr<Destinations> previous;
  for (size_t i = 0; i < stages.size(); ++i) {
    std::unique_ptr<Transform> stage = std::move(stages[i]);
    if (previous != nullptr) stage = std::make_unique<Inherit>(std::move(stage), previous);
    previous = nullptr;
    if (i + 1 < stages.size()) {
      previous = std::make_shared<Destinations>();
      all.push_back(previous);
      stage = std::make_unique<Tap>(std::move(stage), previous);
    }
    wrapped.push_back(std::move(stage));
  }
  return std::make_unique<ResetDestinations>(Chain(std::move(wrapped)), std::move(all));
}

}  // namespace onceflow::sidecar
