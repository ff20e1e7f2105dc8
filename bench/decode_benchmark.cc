// Per-record decode costs of the sidecar's building blocks, at 100 B and 1 KiB values:
//   BM_DedupeKey_*    state::KeyExtractor: record key, SHA-256 of the bytes, SHA-256 of the
//                     canonical JSON, and a JSON field (what dedupe computes per record before
//                     its store lookup; the lookup itself is in onceflow_dedupe_bench)
//   BM_Builtin_*      the json_to_proto / proto_to_json built-ins (descriptor-driven, as the
//                     sidecar runs them), with onceflow.v1.PipelineConfig as the message type
//
// Run: build/release/bench/onceflow_micro_bench --benchmark_filter='DedupeKey|Builtin'
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmark/benchmark.h"
#include "google/protobuf/descriptor.pb.h"
#include "onceflow/record.h"
#include "onceflow/transform.h"
#include "onceflow/v1/pipeline_config.pb.h"
#include "sidecar/builtins.h"
#include "sidecar/dedupe_config.h"
#include "state/dedupe_options.h"
#include "state/key_extractor.h"

namespace onceflow {
namespace {

// A JSON object of about `size` bytes with an "id" field and a padding string.
std::string JsonValue(size_t size) {
  std::string json = R"({"id":"o-000042","customer":"ada","quantity":3,"note":")";
  if (size > json.size() + 2) json.append(size - json.size() - 2, 'x');
  json += "\"}";
  return json;
}

void RunKeyExtractor(benchmark::State& state, state::DedupeOptions options) {
  auto extractor = state::KeyExtractor::Create(options);
  if (!extractor.ok()) {
    state.SkipWithError(std::string(extractor.status().message()).c_str());
    return;
  }
  const std::string value = JsonValue(static_cast<size_t>(state.range(0)));
  const std::string key = "order-000042";
  state::RecordView view;
  view.key = key;
  view.value = value;
  view.topic = "orders";
  for (auto _ : state) {
    auto k = (*extractor)->Extract(view);
    benchmark::DoNotOptimize(k);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(value.size()));
}

void BM_DedupeKey_RecordKey(benchmark::State& state) {
  RunKeyExtractor(state, {.source = state::DedupeKeySource::kRecordKey});
}
BENCHMARK(BM_DedupeKey_RecordKey)->Arg(100)->Arg(1024);

void BM_DedupeKey_ContentHash(benchmark::State& state) {
  RunKeyExtractor(state, {.source = state::DedupeKeySource::kContentHash});
}
BENCHMARK(BM_DedupeKey_ContentHash)->Arg(100)->Arg(1024);

void BM_DedupeKey_JsonHash(benchmark::State& state) {
  RunKeyExtractor(state, {.source = state::DedupeKeySource::kJsonHash});
}
BENCHMARK(BM_DedupeKey_JsonHash)->Arg(100)->Arg(1024);

void BM_DedupeKey_JsonField(benchmark::State& state) {
  v1::DedupeConfig config;
  config.set_key("json_field");
  config.set_field("id");
  auto options = sidecar::BuildDedupeOptions(config);
  if (!options.ok()) {
    state.SkipWithError(std::string(options.status().message()).c_str());
    return;
  }
  RunKeyExtractor(state, *std::move(options));
}
BENCHMARK(BM_DedupeKey_JsonField)->Arg(100)->Arg(1024);

// ------------------------------------------------------------------ json_to_proto / proto_to_json

class Collect : public Emitter {
 public:
  void Emit(OutputRecord record) override { last = std::move(record); }
  OutputRecord last;
};

// A descriptor set of pipeline_config.proto in a temp file, as users make theirs with protoc.
const std::string& DescriptorSetFile() {
  static const std::string path = [] {
    google::protobuf::FileDescriptorSet set;
    const auto* file = v1::PipelineConfig::descriptor()->file();
    for (int i = 0; i < file->dependency_count(); ++i) file->dependency(i)->CopyTo(set.add_file());
    file->CopyTo(set.add_file());
    std::string p = "/tmp/onceflow-bench-" + std::to_string(getpid()) + ".desc";
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    set.SerializeToOstream(&out);
    return p;
  }();
  return path;
}

// A PipelineConfig as JSON of about `size` bytes (the padding is in a kafka property).
std::string ConfigJson(size_t size) {
  std::string json = R"({"applicationId":"orders","inputs":["orders-in"],"output":"orders-out",)"
                     R"("commitIntervalMs":100,"kafka":{"client.rack":")";
  if (size > json.size() + 3) json.append(size - json.size() - 3, 'x');
  json += "\"}}";
  return json;
}

std::unique_ptr<Transform> Codec(bool to_proto) {
  v1::TransformConfig config;
  v1::ProtoCodecConfig* codec =
      to_proto ? config.mutable_json_to_proto() : config.mutable_proto_to_json();
  codec->set_descriptor_set(DescriptorSetFile());
  codec->set_message("onceflow.v1.PipelineConfig");
  auto built = sidecar::BuildTransform(config, "bench");
  return built.ok() ? *std::move(built) : nullptr;
}

void RunCodec(benchmark::State& state, Transform& transform, const std::string& value) {
  Record in;
  in.set_topic("in").set_offset(Offset(1)).set_value(value);
  Collect out;
  for (auto _ : state) {
    absl::Status st = transform.Process(in, out);
    if (!st.ok()) {
      state.SkipWithError(std::string(st.message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(out.last);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(value.size()));
}

void BM_Builtin_JsonToProto(benchmark::State& state) {
  auto t = Codec(true);
  RunCodec(state, *t, ConfigJson(static_cast<size_t>(state.range(0))));
}
BENCHMARK(BM_Builtin_JsonToProto)->Arg(100)->Arg(1024);

void BM_Builtin_ProtoToJson(benchmark::State& state) {
  auto to_proto = Codec(true);
  Record in;
  const std::string json = ConfigJson(static_cast<size_t>(state.range(0)));
  in.set_topic("in").set_offset(Offset(1)).set_value(json);
  Collect out;
  if (!to_proto->Process(in, out).ok()) {
    state.SkipWithError("json_to_proto failed");
    return;
  }
  const std::string binary(out.last.value().view());
  auto t = Codec(false);
  RunCodec(state, *t, binary);
}
BENCHMARK(BM_Builtin_ProtoToJson)->Arg(100)->Arg(1024);

}  // namespace
}  // namespace onceflow
