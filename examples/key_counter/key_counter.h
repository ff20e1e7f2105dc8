// KeyCounter: a stateful transform that keeps a running count per record key in the store
// "counts" and emits "<key>=<count>" for every record. The store is per input partition and
// backed by a changelog, so the counts survive crashes and follow partitions to other
// instances; under eos, a count and the output that shows it commit together.
#ifndef ONCEFLOW_EXAMPLES_KEY_COUNTER_KEY_COUNTER_H_
#define ONCEFLOW_EXAMPLES_KEY_COUNTER_KEY_COUNTER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "onceflow/transform.h"
#include "state/kv_store.h"

namespace onceflow::examples {

inline constexpr char kCountsStore[] = "counts";

class KeyCounter : public Transform {
 public:
  absl::Status Init(TransformContext& context) override {
    absl::StatusOr<state::KeyValueStore*> store = context.Store(kCountsStore);
    if (!store.ok()) return store.status();
    counts_ = *store;
    return absl::OkStatus();
  }

  absl::Status Process(const Record& in, Emitter& out) override {
    if (!in.has_key()) return PermanentError("key_counter: record has no key");
    absl::StatusOr<std::optional<std::string>> current = counts_->Get(in.key());
    if (!current.ok()) return current.status();
    int64_t count = 0;
    if (current->has_value() && !absl::SimpleAtoi(**current, &count)) {
      return PermanentError(
          absl::StrCat("key_counter: stored count '", **current, "' is not a number"));
    }
    ++count;
    if (absl::Status st = counts_->Put(in.key(), absl::StrCat(count)); !st.ok()) return st;
    out.Emit(OutputRecord::Forward(in).SetValue(absl::StrCat(in.key(), "=", count)));
    return absl::OkStatus();
  }

  std::string name() const override { return "key_counter"; }

 private:
  state::KeyValueStore* counts_ = nullptr;
};

}  // namespace onceflow::examples

#endif  // ONCEFLOW_EXAMPLES_KEY_COUNTER_KEY_COUNTER_H_
