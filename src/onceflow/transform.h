// Transforms: one input record in, zero or more output records out, or an error whose class
// says whether trying again can help.
//
//   // One line each:
//   auto upper  = onceflow::Map([](const Record& r) {
//                   return OutputRecord::Forward(r).SetValue(absl::AsciiStrToUpper(r.value())); });
//   auto big    = onceflow::Filter([](const Record& r) { return r.value().size() > 100; });
//   auto split  = onceflow::FlatMap([](const Record& r, Emitter& out) {
//                   for (auto part : absl::StrSplit(r.value(), ',')) out.Emit(...);
//                   return absl::OkStatus(); });
//   auto both   = onceflow::Chain(std::move(big), std::move(upper));
//
// Errors: return TransientError(...) for what may pass on a retry (a downstream service is
// down; the runtime retries with backoff), PermanentError(...) for what never will (a record
// that cannot be parsed; the runtime applies the error policy: dead-letter, skip or fail).
// Any status code counts: kUnavailable, kDeadlineExceeded and kResourceExhausted are
// transient, everything else permanent.
//
// Thread-safety: the runtime calls Process from one thread at a time per Transform instance.
#ifndef ONCEFLOW_TRANSFORM_H_
#define ONCEFLOW_TRANSFORM_H_

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onceflow/record.h"

namespace onceflow::state {
class KeyValueStore;
}  // namespace onceflow::state

namespace onceflow {

// Receives the records a transform emits.
class Emitter {
 public:
  virtual ~Emitter() = default;
  virtual void Emit(OutputRecord record) = 0;
};

// What the runtime offers a transform at Init: its state stores.
class TransformContext {
 public:
  virtual ~TransformContext() = default;
  // The store called `name`, declared in ProcessorOptions::state.stores ("dedupe" is the
  // deduper's). The returned store routes every call to the store of the partition of the
  // record being processed (state is per input partition), so it may be kept and used from
  // Process; outside Process its calls fail with kFailedPrecondition. Valid as long as the
  // Processor (or TestDriver). kNotFound for an undeclared name.
  virtual absl::StatusOr<state::KeyValueStore*> Store(absl::string_view name) = 0;
  // This instance's id (for logs, headers).
  virtual const std::string& instance_id() const = 0;
};

class Transform {
 public:
  virtual ~Transform() = default;
  // Called once before the first Process, on the processing thread. Stateful transforms look
  // up their stores here. An error stops the processor before it consumes anything.
  virtual absl::Status Init(TransformContext& context) { return absl::OkStatus(); }
  // Turns `in` into zero or more records emitted to `out`. On error, whatever was emitted for
  // this input is discarded (the runtime retries or applies the policy to the whole input).
  virtual absl::Status Process(const Record& in, Emitter& out) = 0;
  // A short name for logs, metrics and dead-letter headers.
  virtual std::string name() const { return "transform"; }
};

// Error classes.
absl::Status TransientError(absl::string_view message);  // kUnavailable
absl::Status PermanentError(absl::string_view message);  // kInvalidArgument
bool IsTransient(const absl::Status& status);
// "transient" or "permanent" (the error-class dead-letter header).
const char* ErrorClass(const absl::Status& status);

// A Transform from a callable `Process(const Record&, Emitter&) -> absl::Status`.
class FunctionTransform : public Transform {
 public:
  using Fn = std::function<absl::Status(const Record&, Emitter&)>;
  FunctionTransform(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  absl::Status Process(const Record& in, Emitter& out) override { return fn_(in, out); }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  Fn fn_;
};

// Map: `fn(const Record&)` returns an OutputRecord or an absl::StatusOr<OutputRecord>.
template <typename F>
std::unique_ptr<Transform> Map(F fn, std::string name = "map") {
  return std::make_unique<FunctionTransform>(
      std::move(name), [fn = std::move(fn)](const Record& in, Emitter& out) -> absl::Status {
        using R = std::invoke_result_t<const F&, const Record&>;
        if constexpr (std::is_same_v<R, OutputRecord>) {
          out.Emit(fn(in));
          return absl::OkStatus();
        } else {
          static_assert(std::is_same_v<R, absl::StatusOr<OutputRecord>>,
                        "Map's function must return OutputRecord or absl::StatusOr<OutputRecord>");
          R result = fn(in);
          if (!result.ok()) return result.status();
          out.Emit(*std::move(result));
          return absl::OkStatus();
        }
      });
}

// Filter: passes `in` through unchanged (as views) when `pred(const Record&)` is true.
template <typename F>
std::unique_ptr<Transform> Filter(F pred, std::string name = "filter") {
  return std::make_unique<FunctionTransform>(
      std::move(name), [pred = std::move(pred)](const Record& in, Emitter& out) {
        if (pred(in)) out.Emit(OutputRecord::Forward(in));
        return absl::OkStatus();
      });
}

// FlatMap: `fn(const Record&, Emitter&) -> absl::Status` emits any number of records.
template <typename F>
std::unique_ptr<Transform> FlatMap(F fn, std::string name = "flat_map") {
  return std::make_unique<FunctionTransform>(std::move(name), std::move(fn));
}

// The identity transform: every record forwarded unchanged, without copying its payload.
std::unique_ptr<Transform> Passthrough();

// Runs `stages` in order; each output of one stage is the input of the next. An error in any
// stage is the error of the whole input.
std::unique_ptr<Transform> Chain(std::vector<std::unique_ptr<Transform>> stages);

template <typename... T>
std::unique_ptr<Transform> Chain(std::unique_ptr<T>... stages) {
  std::vector<std::unique_ptr<Transform>> v;
  (v.push_back(std::move(stages)), ...);
  return Chain(std::move(v));
}

}  // namespace onceflow

#endif  // ONCEFLOW_TRANSFORM_H_
