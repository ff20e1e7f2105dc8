// The per-record path through runtime::RecordProcessor (transform, outputs to a Sink) with a
// no-op Sink, at 100 B and 1 KiB values. Besides time per record it reports:
//   allocs_per_record          heap allocations per record (this file replaces the global
//                              operator new to count them, on the benchmark's thread only)
//   payload_copies_per_record  where the transform forwards the value, how often the sink saw
//                              bytes other than the input's own (0 = zero copy)
//
// Run: build/release/bench/onceflow_micro_bench --benchmark_filter=RecordPath
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "benchmark/benchmark.h"
#include "google/protobuf/struct.pb.h"
#include "onceflow/record.h"
#include "onceflow/transform.h"
#include "onceflow/typed_transform.h"
#include "runtime/record_processor.h"

namespace {
// Allocations made by this thread. Thread-local so counting costs a plain increment and the
// benchmark library's other threads (if any) do not pollute it.
thread_local uint64_t t_allocations = 0;
}  // namespace

// GCC's -Wmismatched-new-delete cannot see that these replace the allocation functions and
// flags free() of what "operator new" returned once they are inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
// Replacing the global allocation functions is the standard's own hook for this; the array
// and nothrow forms of libstdc++ call these.
void* operator new(std::size_t size) {
  ++t_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace onceflow {
namespace {

// Counts what it is sent; touches nothing else, as a sink that hands views to librdkafka would.
class NoopSink : public runtime::Sink {
 public:
  explicit NoopSink(const char* input_value) : input_value_(input_value) {}

  absl::Status Send(const std::string& topic, const OutputRecord& record) override {
    ++sent_;
    if (record.value().view().data() != input_value_) ++copies_;
    benchmark::DoNotOptimize(record.value().view().data());
    return absl::OkStatus();
  }

  void Reset() { sent_ = copies_ = 0; }
  int64_t sent() const { return sent_; }
  int64_t copies() const { return copies_; }

 private:
  const char* input_value_;
  int64_t sent_ = 0;
  int64_t copies_ = 0;
};

// An input record with owned storage: a 16-byte key, a value of `value_size` bytes of
// lower-case text (or `value` if given) and `headers` headers.
struct Input {
  Input(size_t value_size, int headers, std::string json = "")
      : key("customer-0000042"),
        value(json.empty() ? std::string(value_size, 'a') : std::move(json)) {
    for (int i = 0; i < headers; ++i) {
      header_storage.emplace_back("header-" + std::to_string(i), "value-" + std::to_string(i));
    }
  }

  Record View() const {
    Record r;
    r.set_topic(topic).set_partition(Partition(3)).set_offset(Offset(1'000'000));
    r.set_timestamp_ms(1'700'000'000'000).set_key(key).set_value(value);
    for (const auto& [name, v] : header_storage) r.add_header(name, v);
    return r;
  }

  std::string topic = "orders";
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> header_storage;
};

enum class Report { kAllocs, kAllocsAndCopies };

void RunRecordPath(benchmark::State& state, Transform& transform, const Input& input,
                   Report report) {
  const Record in = input.View();
  NoopSink sink(input.value.data());
  runtime::RecordProcessorConfig config;
  config.default_topic = "out";
  runtime::RecordProcessor processor(transform, config, sink, base::SystemClock());

  // One record first, so buffers reused across records have their capacity.
  if (absl::StatusOr<runtime::RecordOutcome> o = processor.Process(in);
      !o.ok() || o->disposition != runtime::RecordOutcome::Disposition::kProcessed) {
    state.SkipWithError("the transform failed on the benchmark record");
    return;
  }
  sink.Reset();

  const uint64_t allocations_before = t_allocations;
  for (auto _ : state) {
    absl::StatusOr<runtime::RecordOutcome> outcome = processor.Process(in);
    benchmark::DoNotOptimize(outcome);
  }
  const uint64_t allocations = t_allocations - allocations_before;

  const auto records = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(input.value.size()));
  state.counters["allocs_per_record"] = static_cast<double>(allocations) / records;
  if (report == Report::kAllocsAndCopies) {
    state.counters["payload_copies_per_record"] = static_cast<double>(sink.copies()) / records;
  }
  state.counters["outputs_per_record"] = static_cast<double>(sink.sent()) / records;
}

size_t ValueSize(const benchmark::State& state) { return static_cast<size_t>(state.range(0)); }

std::unique_ptr<Transform> Upper() {
  return Map([](const Record& r) {
    return OutputRecord::Forward(r).SetValue(absl::AsciiStrToUpper(r.value()));
  });
}

void BM_RecordPath_Passthrough(benchmark::State& state) {
  auto t = Passthrough();
  RunRecordPath(state, *t, Input(ValueSize(state), 0), Report::kAllocsAndCopies);
}
BENCHMARK(BM_RecordPath_Passthrough)->Arg(100)->Arg(1024);

void BM_RecordPath_Passthrough5Headers(benchmark::State& state) {
  auto t = Passthrough();
  RunRecordPath(state, *t, Input(ValueSize(state), 5), Report::kAllocsAndCopies);
}
BENCHMARK(BM_RecordPath_Passthrough5Headers)->Arg(100)->Arg(1024);

void BM_RecordPath_MapUpper(benchmark::State& state) {
  auto t = Upper();
  RunRecordPath(state, *t, Input(ValueSize(state), 0), Report::kAllocs);
}
BENCHMARK(BM_RecordPath_MapUpper)->Arg(100)->Arg(1024);

void BM_RecordPath_ChainFilterMap(benchmark::State& state) {
  auto t = Chain(Filter([](const Record& r) { return !r.value().empty(); }), Upper());
  RunRecordPath(state, *t, Input(ValueSize(state), 0), Report::kAllocs);
}
BENCHMARK(BM_RecordPath_ChainFilterMap)->Arg(100)->Arg(1024);

void BM_RecordPath_HeadersAddRemove(benchmark::State& state) {
  auto t = Map([](const Record& r) {
    return OutputRecord::Forward(r).AddHeader("processed-by", "onceflow").RemoveHeader("header-2");
  });
  RunRecordPath(state, *t, Input(ValueSize(state), 5), Report::kAllocsAndCopies);
}
BENCHMARK(BM_RecordPath_HeadersAddRemove)->Arg(100)->Arg(1024);

// A JSON object of about `size` bytes: a few typed fields and a padding string.
std::string JsonOrder(size_t size) {
  std::string head = R"({"orderId":"o-000042","customer":"ada","quantity":3,"unitPrice":2.5,)";
  std::string json = head + R"("note":")";
  const size_t tail = 2;  // "}
  const size_t pad = size > json.size() + tail ? size - json.size() - tail : 0;
  json.append(pad, 'x');
  json += "\"}";
  return json;
}

void BM_RecordPath_TypedMapJson(benchmark::State& state) {
  // google.protobuf.Struct stands in for a user message: the benchmark target does not link
  // the test protos, and Struct's JSON mapping is any JSON object.
  using google::protobuf::Struct;
  auto t = TypedMap<Struct, Struct>(
      [](const Struct& in) -> absl::StatusOr<Struct> {
        Struct out = in;
        const auto& fields = in.fields();
        const double quantity = fields.at("quantity").number_value();
        const double unit_price = fields.at("unitPrice").number_value();
        (*out.mutable_fields())["total"].set_number_value(quantity * unit_price);
        return out;
      },
      Codec::kJson);
  RunRecordPath(state, *t, Input(0, 0, JsonOrder(ValueSize(state))), Report::kAllocs);
}
BENCHMARK(BM_RecordPath_TypedMapJson)->Arg(100)->Arg(1024);

}  // namespace
}  // namespace onceflow
