// Fuzz target: everything that decodes a record's value.
//   - FindJsonField (filter, route, dedupe json_field) and state::CanonicalJson (dedupe
//     json_hash) are two independent JSON scanners: they must agree on whether a value is
//     JSON, except where CanonicalJson is documented to be stricter (strings that are not
//     UTF-8, raw or as a \u escape of a lone surrogate, objects that repeat a key), and CanonicalJson must be idempotent. A found field's raw
//     text must be a view into the document.
//   - json_to_proto and proto_to_json (the sidecar built-ins) with a real, rich message type
//     (onceflow.v1.PipelineConfig: nested messages, enums, maps, repeated fields): no crash on
//     any bytes, failures are permanent errors (the dead-letter path), and whatever JSON
//     json_to_proto accepts survives proto -> JSON -> proto.
//   - the other readers of a record: filter (RE2 on a JSON field, on the key), route (a JSON
//     field), and dedupe's key extractors (json_hash, json_field, the record key): a result or
//     a permanent error, never a transient one or a crash, on any bytes (the seed corpus has
//     values nested past the depth limit of 100, where both JSON scanners must refuse alike),
//     and no error quotes more than a bounded excerpt of the record.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "onceflow/record.h"
#include "onceflow/transform.h"
#include "onceflow/v1/pipeline_config.pb.h"
#include "sidecar/builtins.h"
#include "sidecar/dedupe_config.h"
#include "sidecar/json_field.h"
#include "state/canonical_json.h"
#include "state/key_extractor.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using onceflow::OutputRecord;
using onceflow::Record;
using onceflow::Transform;

class Collect : public onceflow::Emitter {
 public:
  void Emit(OutputRecord record) override { records.push_back(std::move(record)); }
  std::vector<OutputRecord> records;
};

// A descriptor set file of pipeline_config.proto, written once, as users write theirs with
// protoc --descriptor_set_out --include_imports.
std::string WriteDescriptorSet() {
  google::protobuf::FileDescriptorSet set;
  const google::protobuf::FileDescriptor* file = onceflow::v1::PipelineConfig::descriptor()->file();
  for (int i = 0; i < file->dependency_count(); ++i) {
    file->dependency(i)->CopyTo(set.add_file());
  }
  file->CopyTo(set.add_file());
  std::string path = "/tmp/onceflow-fuzz-" + std::to_string(getpid()) + ".desc";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  set.SerializeToOstream(&out);
  return path;
}

struct Codecs {
  std::unique_ptr<Transform> json_to_proto;
  std::unique_ptr<Transform> proto_to_json;
};

Codecs& TheCodecs() {
  static Codecs codecs = [] {
    const std::string path = WriteDescriptorSet();
    Codecs c;
    onceflow::v1::TransformConfig to_proto;
    to_proto.mutable_json_to_proto()->set_descriptor_set(path);
    to_proto.mutable_json_to_proto()->set_message("onceflow.v1.PipelineConfig");
    onceflow::v1::TransformConfig to_json;
    to_json.mutable_proto_to_json()->set_descriptor_set(path);
    to_json.mutable_proto_to_json()->set_message("onceflow.v1.PipelineConfig");
    auto a = onceflow::sidecar::BuildTransform(to_proto, "fuzz");
    auto b = onceflow::sidecar::BuildTransform(to_json, "fuzz");
    FUZZ_CHECK(a.ok() && b.ok(), "building the codecs failed");
    c.json_to_proto = *std::move(a);
    c.proto_to_json = *std::move(b);
    std::remove(path.c_str());
    return c;
  }();
  return codecs;
}

// Errors quote at most excerpts of a record (base/excerpt.h): far below this.
constexpr size_t kMaxReason = 1024;

void CheckRecordError(const absl::Status& status, const char* who) {
  if (status.ok()) return;
  FUZZ_CHECK(!onceflow::IsTransient(status), "%s failed non-permanently: %s", who,
             std::string(status.message()).c_str());
  FUZZ_CHECK(status.message().size() <= kMaxReason, "%s: a reason of %zu bytes", who,
             status.message().size());
}

std::unique_ptr<Transform> Builtin(const char* text) {
  onceflow::v1::TransformConfig config;
  FUZZ_CHECK(google::protobuf::TextFormat::ParseFromString(text, &config), "bad config %s", text);
  auto t = onceflow::sidecar::BuildTransform(config, "fuzz");
  FUZZ_CHECK(t.ok(), "building %s failed", text);
  return *std::move(t);
}

// The bytes as the value and as the key of a record, through every other reader.
void CheckValueReaders(absl::string_view bytes) {
  static const std::vector<std::unique_ptr<Transform>>* const readers = [] {
    auto* r = new std::vector<std::unique_ptr<Transform>>();
    r->push_back(Builtin(R"(filter { json_field: "id" matches: ".*foo.*" })"));
    r->push_back(Builtin(R"(filter { key_regex: "(a|b)*c.*" json_field: "a.b" })"));
    r->push_back(Builtin(R"(route { json_field: "id" topic_prefix: "t-" })"));
    return r;
  }();
  static const std::vector<std::unique_ptr<onceflow::state::KeyExtractor>>* const keys = [] {
    auto* k = new std::vector<std::unique_ptr<onceflow::state::KeyExtractor>>();
    for (const char* text :
         {R"(key: "json_hash")", R"(key: "json_field" field: "a.b")", R"(key: "key")"}) {
      onceflow::v1::DedupeConfig config;
      FUZZ_CHECK(google::protobuf::TextFormat::ParseFromString(text, &config), "bad %s", text);
      auto options = onceflow::sidecar::BuildDedupeOptions(config);
      FUZZ_CHECK(options.ok(), "dedupe options %s failed", text);
      auto extractor = onceflow::state::KeyExtractor::Create(*options);
      FUZZ_CHECK(extractor.ok(), "key extractor %s failed", text);
      k->push_back(*std::move(extractor));
    }
    return k;
  }();
  Record in;
  in.set_topic("in").set_offset(onceflow::Offset(0)).set_key(bytes).set_value(bytes);
  for (const std::unique_ptr<Transform>& t : *readers) {
    Collect out;
    CheckRecordError(t->Process(in, out), "a built-in");
  }
  onceflow::state::RecordView view;
  view.key = bytes;
  view.value = bytes;
  for (const auto& extractor : *keys) {
    CheckRecordError(extractor->Extract(view).status(), "a key extractor");
  }
}

// Runs `t` on a record with `value`; the single output's value on success.
absl::StatusOr<std::string> Apply(Transform& t, absl::string_view value) {
  Record in;
  in.set_topic("in").set_offset(onceflow::Offset(0)).set_value(value);
  Collect out;
  absl::Status st = t.Process(in, out);
  if (!st.ok()) return st;
  FUZZ_CHECK(out.records.size() == 1, "a codec emitted %zu records", out.records.size());
  return std::string(out.records[0].value().view());
}

// Whether `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
bool IsUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

void CheckJsonScanners(absl::string_view json) {
  static const std::vector<onceflow::sidecar::JsonPath> paths = {
      *onceflow::sidecar::JsonPath::Parse("id"), *onceflow::sidecar::JsonPath::Parse("a.b"),
      *onceflow::sidecar::JsonPath::Parse("application_id")};
  absl::StatusOr<std::string> canonical = onceflow::state::CanonicalJson(json);
  for (const onceflow::sidecar::JsonPath& path : paths) {
    auto field = onceflow::sidecar::FindJsonField(json, path);
    // Where CanonicalJson is documented stricter: non-UTF-8, repeated keys, and lone surrogates
    // in \u escapes (FindJsonField decodes them to U+FFFD, json_field.cc).
    const bool stricter =
        !canonical.ok() &&
        (!IsUtf8(json) || absl::StrContains(canonical.status().message(), "duplicate object key") ||
         absl::StrContains(canonical.status().message(), "surrogate"));
    FUZZ_CHECK(field.ok() == canonical.ok() || (field.ok() && stricter),
               "FindJsonField %s but CanonicalJson %s",
               field.ok() ? "accepts" : std::string(field.status().message()).c_str(),
               canonical.ok() ? "accepts" : std::string(canonical.status().message()).c_str());
    if (field.ok() && field->has_value()) {
      const absl::string_view raw = (*field)->raw;
      FUZZ_CHECK(raw.data() >= json.data() && raw.data() + raw.size() <= json.data() + json.size(),
                 "raw is not a view into the document");
      std::string scratch;
      (void)(*field)->Text(scratch);
    }
  }
  if (canonical.ok()) {
    absl::StatusOr<std::string> again = onceflow::state::CanonicalJson(*canonical);
    FUZZ_CHECK(again.ok() && *again == *canonical, "CanonicalJson is not idempotent");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckJsonScanners(bytes);
  CheckValueReaders(bytes);

  Codecs& codecs = TheCodecs();
  // The bytes as binary protobuf.
  absl::StatusOr<std::string> json = Apply(*codecs.proto_to_json, bytes);
  CheckRecordError(json.status(), "proto_to_json");
  // The bytes as JSON.
  absl::StatusOr<std::string> binary = Apply(*codecs.json_to_proto, bytes);
  if (!binary.ok()) {
    CheckRecordError(binary.status(), "json_to_proto");
    return 0;
  }
  absl::StatusOr<std::string> back = Apply(*codecs.proto_to_json, *binary);
  FUZZ_CHECK(back.ok(), "proto_to_json refused what json_to_proto made: %s",
             std::string(back.status().message()).c_str());
  absl::StatusOr<std::string> binary2 = Apply(*codecs.json_to_proto, *back);
  FUZZ_CHECK(binary2.ok(), "json_to_proto refused its own round trip: %s",
             std::string(binary2.status().message()).c_str());
  onceflow::v1::PipelineConfig first;
  onceflow::v1::PipelineConfig second;
  FUZZ_CHECK(first.ParseFromString(*binary) && second.ParseFromString(*binary2),
             "codec output does not parse");
  FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(first, second),
             "proto -> JSON -> proto changed the message");
  return 0;
}
