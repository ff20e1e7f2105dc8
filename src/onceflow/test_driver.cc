#include "onceflow/test_driver.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "onceflow/kafka_types.h"
#include "onceflow/record.h"
#include "onceflow/status_macros.h"
#include "runtime/record_processor.h"
#include "state/kv_store.h"

namespace onceflow {
namespace {

std::optional<std::string> Copy(const Bytes& b) {
  if (b.is_null()) return std::nullopt;
  return std::string(b.view());
}

// Copies everything it is sent; records for the dead-letter topic (under kDeadLetter) go to
// `dead_letters`, the rest to `outputs`.
class MemorySink : public runtime::Sink {
 public:
  explicit MemorySink(std::optional<std::string> dead_letter_topic)
      : dead_letter_topic_(std::move(dead_letter_topic)) {}

  absl::Status Send(const std::string& topic, const OutputRecord& record) override {
    TestOutput out;
    out.topic = topic;
    out.partition = record.partition().value();
    out.key = Copy(record.key());
    out.value = Copy(record.value());
    out.headers.reserve(record.headers().size());
    for (const auto& [name, value] : record.headers()) {
      out.headers.emplace_back(std::string(name.view()), std::string(value.view()));
    }
    out.timestamp_ms = record.timestamp_ms();
    if (dead_letter_topic_.has_value() && topic == *dead_letter_topic_) {
      dead_letters_.push_back(std::move(out));
    } else {
      outputs_.push_back(std::move(out));
    }
    return absl::OkStatus();
  }

  const std::vector<TestOutput>& outputs() const { return outputs_; }
  const std::vector<TestOutput>& dead_letters() const { return dead_letters_; }

 private:
  std::optional<std::string> dead_letter_topic_;
  std::vector<TestOutput> outputs_;
  std::vector<TestOutput> dead_letters_;
};

}  // namespace

std::optional<std::string> TestOutput::header(const std::string& name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return std::nullopt;
}

// A KeyValueStore over a std::map: what a partition's store looks like to a transform, minus
// durability (writes apply at once; there are no transactions in the driver). An attempt's
// writes are all or nothing, as in the runtime: a snapshot taken at the attempt's first touch
// is put back when the attempt fails.
class MemoryStore : public state::KeyValueStore {
 public:
  void Snapshot() { snapshot_ = data_; }
  void Restore() { data_ = snapshot_; }

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) override {
    auto it = data_.find(key);
    if (it == data_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  absl::Status Put(absl::string_view key, absl::string_view value) override {
    data_[std::string(key)] = std::string(value);
    return absl::OkStatus();
  }
  absl::Status Delete(absl::string_view key) override {
    auto it = data_.find(key);
    if (it != data_.end()) data_.erase(it);
    return absl::OkStatus();
  }
  absl::Status Scan(absl::string_view begin, absl::string_view end, const ScanFn& fn) override {
    for (auto it = data_.lower_bound(begin); it != data_.end(); ++it) {
      if (!end.empty() && it->first >= end) break;
      if (!fn(it->first, it->second)) break;
    }
    return absl::OkStatus();
  }

 private:
  std::map<std::string, std::string, std::less<>> data_;
  std::map<std::string, std::string, std::less<>> snapshot_;
};

// Stores by name and partition, routed to the partition of the record being piped.
class DriverContext : public TransformContext, public runtime::AttemptScope {
 public:
  DriverContext(std::vector<std::string> names, std::string instance_id)
      : instance_id_(std::move(instance_id)) {
    for (std::string& n : names) routing_.emplace(n, Routing(*this, n));
  }
  absl::StatusOr<state::KeyValueStore*> Store(absl::string_view name) override {
    auto it = routing_.find(name);
    if (it == routing_.end()) {
      return absl::NotFoundError(
          absl::StrCat("store '", name, "' is not declared in TestDriverOptions::stores"));
    }
    return &it->second;
  }
  const std::string& instance_id() const override { return instance_id_; }
  void set_current(std::optional<int32_t> p) { current_ = p; }

  // runtime::AttemptScope.
  void Begin() override {
    touched_.clear();
    in_attempt_ = true;
  }
  void Rollback() override {
    for (MemoryStore* s : touched_) s->Restore();
    touched_.clear();
    in_attempt_ = false;
  }
  absl::Status Commit() override {
    touched_.clear();
    in_attempt_ = false;
    return absl::OkStatus();
  }
  MemoryStore* Find(absl::string_view name, int32_t partition) {
    auto it = stores_.find({std::string(name), partition});
    return it == stores_.end() ? nullptr : &it->second;
  }

 private:
  class Routing : public state::KeyValueStore {
   public:
    Routing(DriverContext& ctx, std::string name) : ctx_(ctx), name_(std::move(name)) {}
    absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) override {
      ONCEFLOW_ASSIGN_OR_RETURN(MemoryStore * s, ctx_.Current(name_));
      return s->Get(key);
    }
    absl::Status Put(absl::string_view key, absl::string_view value) override {
      ONCEFLOW_ASSIGN_OR_RETURN(MemoryStore * s, ctx_.Current(name_));
      return s->Put(key, value);
    }
    absl::Status Delete(absl::string_view key) override {
      ONCEFLOW_ASSIGN_OR_RETURN(MemoryStore * s, ctx_.Current(name_));
      return s->Delete(key);
    }
    absl::Status Scan(absl::string_view begin, absl::string_view end, const ScanFn& fn) override {
      ONCEFLOW_ASSIGN_OR_RETURN(MemoryStore * s, ctx_.Current(name_));
      return s->Scan(begin, end, fn);
    }

   private:
    DriverContext& ctx_;
    std::string name_;
  };

  absl::StatusOr<MemoryStore*> Current(const std::string& name) {
    if (!current_.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat("store '", name, "' used outside Process (no current partition)"));
    }
    MemoryStore* store = &stores_[{name, *current_}];
    if (in_attempt_ && std::find(touched_.begin(), touched_.end(), store) == touched_.end()) {
      store->Snapshot();
      touched_.push_back(store);
    }
    return store;
  }

  std::string instance_id_;
  std::optional<int32_t> current_;
  bool in_attempt_ = false;
  std::vector<MemoryStore*> touched_;
  std::map<std::string, Routing, std::less<>> routing_;
  std::map<std::pair<std::string, int32_t>, MemoryStore> stores_;
};

class TestDriver::Impl {
 public:
  Impl(std::unique_ptr<Transform> transform, TestDriverOptions options)
      : options_(std::move(options)),
        transform_(std::move(transform)),
        clock_(options_.start_time_ms),
        sink_(options_.errors.policy == ErrorPolicy::kDeadLetter
                  ? std::optional<std::string>(options_.errors.dead_letter_topic)
                  : std::nullopt),
        context_(options_.stores, options_.instance_id),
        processor_(*transform_, MakeConfig(options_), sink_, clock_, &context_) {}

  absl::Status Pipe(TestRecord input) {
    if (!initialized_) {
      // Init once, before the first record, as the Processor does.
      initialized_ = true;
      init_error_ = transform_->Init(context_);
    }
    if (!init_error_.ok()) return init_error_;
    if (!stop_error_.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("test driver stopped after a failure under ErrorPolicy::kFail: ",
                       stop_error_.ToString()));
    }
    int64_t& next = next_offset_[{input.topic, input.partition}];
    if (input.offset < 0) input.offset = next;
    next = std::max(next, input.offset + 1);
    if (input.timestamp_ms < 0) input.timestamp_ms = clock_.NowMs();

    Record record;
    record.set_topic(input.topic)
        .set_partition(Partition(input.partition))
        .set_offset(Offset(input.offset))
        .set_timestamp_ms(input.timestamp_ms);
    if (input.key.has_value()) record.set_key(*input.key);
    if (input.value.has_value()) record.set_value(*input.value);
    for (const auto& [name, value] : input.headers) record.add_header(name, value);

    context_.set_current(input.partition);
    absl::StatusOr<runtime::RecordOutcome> outcome = processor_.Process(record);
    context_.set_current(std::nullopt);
    if (!outcome.ok()) return outcome.status();  // the in-memory sink never fails
    retries_ += outcome->attempts - 1;

    using Disposition = runtime::RecordOutcome::Disposition;
    ErrorPolicy applied = ErrorPolicy::kFail;
    switch (outcome->disposition) {
      case Disposition::kProcessed:
        return absl::OkStatus();
      case Disposition::kDeadLettered:
        applied = ErrorPolicy::kDeadLetter;
        break;
      case Disposition::kSkipped:
        applied = ErrorPolicy::kSkip;
        break;
      case Disposition::kFailed:
        applied = ErrorPolicy::kFail;
        break;
    }
    absl::Status error = outcome->error;
    failures_.push_back(TestFailure{std::move(input), error, outcome->attempts, applied});
    if (applied == ErrorPolicy::kFail) {
      stop_error_ = error;
      return error;
    }
    return absl::OkStatus();
  }

  const std::vector<TestOutput>& outputs() const { return sink_.outputs(); }
  const std::vector<TestOutput>& dead_letters() const { return sink_.dead_letters(); }
  const std::vector<TestFailure>& failures() const { return failures_; }
  int64_t retries() const { return retries_; }
  std::chrono::milliseconds total_backoff() const {
    return std::chrono::milliseconds(clock_.slept_ms());
  }
  void AdvanceClock(std::chrono::milliseconds d) { clock_.Advance(d); }
  int64_t now_ms() { return clock_.NowMs(); }
  absl::StatusOr<std::optional<std::string>> StoreGet(absl::string_view store, int32_t partition,
                                                      absl::string_view key) {
    MemoryStore* s = context_.Find(store, partition);
    if (s == nullptr) return std::optional<std::string>();
    return s->Get(key);
  }

 private:
  static runtime::RecordProcessorConfig MakeConfig(const TestDriverOptions& options) {
    runtime::RecordProcessorConfig config;
    config.default_topic = options.output_topic;
    config.errors = options.errors;
    config.instance_id = options.instance_id;
    return config;
  }

  TestDriverOptions options_;
  std::unique_ptr<Transform> transform_;
  base::ManualClock clock_;
  MemorySink sink_;
  DriverContext context_;
  runtime::RecordProcessor processor_;  // refers to the four above
  std::map<std::pair<std::string, int32_t>, int64_t> next_offset_;
  std::vector<TestFailure> failures_;
  int64_t retries_ = 0;
  absl::Status stop_error_;  // not OK once an input failed under kFail
  bool initialized_ = false;
  absl::Status init_error_;
};

TestDriver::TestDriver(std::unique_ptr<Transform> transform, TestDriverOptions options)
    : impl_(std::make_unique<Impl>(std::move(transform), std::move(options))) {}

TestDriver::~TestDriver() = default;

absl::Status TestDriver::Pipe(TestRecord input) { return impl_->Pipe(std::move(input)); }

absl::StatusOr<std::optional<std::string>> TestDriver::StoreGet(absl::string_view store,
                                                                int32_t partition,
                                                                absl::string_view key) {
  return impl_->StoreGet(store, partition, key);
}

const std::vector<TestOutput>& TestDriver::outputs() const { return impl_->outputs(); }

std::vector<TestOutput> TestDriver::outputs(const std::string& topic) const {
  std::vector<TestOutput> result;
  for (const TestOutput& o : impl_->outputs()) {
    if (o.topic == topic) result.push_back(o);
  }
  return result;
}

const std::vector<TestOutput>& TestDriver::dead_letters() const { return impl_->dead_letters(); }
const std::vector<TestFailure>& TestDriver::failures() const { return impl_->failures(); }
int64_t TestDriver::retries() const { return impl_->retries(); }
std::chrono::milliseconds TestDriver::total_backoff() const { return impl_->total_backoff(); }
void TestDriver::AdvanceClock(std::chrono::milliseconds d) { impl_->AdvanceClock(d); }
int64_t TestDriver::now_ms() const { return impl_->now_ms(); }

}  // namespace onceflow
