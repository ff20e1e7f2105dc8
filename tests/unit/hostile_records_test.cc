// Every built-in and every decoder of a record's value on hostile records: JSON nested 100,000
// levels deep, protobuf nested as deep, 50 MB values, 100,000 headers, a 50 MB header and a
// 50 MB key. Run through the error policy (dead letters), each record gets its result or a dead
// letter whose reason says why; nothing crashes, and no reason quotes a record whole (reasons
// travel into logs and dead-letter headers).
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "onceflow/test_driver.h"
#include "onceflow/transform.h"
#include "onceflow/v1/pipeline_config.pb.h"
#include "runtime/dedupe_transform.h"
#include "sidecar/builtins.h"
#include "sidecar/dedupe_config.h"
#include "test_messages.pb.h"
#include "tests/testing/status_matchers.h"

#ifndef ONCEFLOW_TEST_DESCRIPTOR_SET
#error "ONCEFLOW_TEST_DESCRIPTOR_SET must name the descriptor set of testing/test_messages.proto"
#endif

namespace onceflow::sidecar {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr size_t kOversize = 50 << 20;  // 50 MB
// The canonical JSON of many small elements is the slowest case (debug builds take seconds per
// 10 MB): its allocation pattern, not its size, is what the test needs.
constexpr size_t kManyElements = 8 << 20;
constexpr int kDeep = 100000;  // levels of nesting
// An error message quotes at most an excerpt of a record (base/excerpt.h) and the names of
// what failed: far below this.
constexpr size_t kMaxReason = 1024;

// ---- Hostile inputs, built once (some are 50 MB) --------------------------------------------

const std::string& DeepArrays() {
  static const std::string* const s = new std::string(kDeep, '[');
  return *s;
}

// {"a":{"a":{"a":... unterminated, as a hostile producer would send it.
const std::string& DeepObjects() {
  static const std::string* const s = [] {
    auto* out = new std::string();
    for (int i = 0; i < kDeep; ++i) out->append(R"({"a":)");
    return out;
  }();
  return *s;
}

// {"orderId": "xxx...xxxfoo"}: a valid onceflow.testing.Order of 50 MB.
const std::string& BigOrderJson() {
  static const std::string* const s =
      new std::string(absl::StrCat(R"({"orderId": ")", std::string(kOversize, 'x'), R"(foo"})"));
  return *s;
}

// {"quantity": "xxx..."}: 50 MB where an int32 belongs.
const std::string& BigWrongTypeJson() {
  static const std::string* const s =
      new std::string(absl::StrCat(R"({"quantity": ")", std::string(kOversize, 'x'), R"("})"));
  return *s;
}

// [1,1,1,...]: 8 MB of small elements.
const std::string& BigArray() {
  static const std::string* const s = [] {
    auto* out = new std::string("[1");
    out->reserve(kManyElements + 2);
    while (out->size() < kManyElements) out->append(",1");
    out->push_back(']');
    return out;
  }();
  return *s;
}

// {"k10000000":0,"k10000001":0,...}: 8 MB of small members (the most the canonical JSON holds
// per byte of input: it sorts each object's members).
const std::string& BigObject() {
  static const std::string* const s = [] {
    auto* out = new std::string("{");
    out->reserve(kManyElements + 16);
    for (int i = 0; out->size() < kManyElements; ++i) {
      if (i > 0) out->push_back(',');
      absl::StrAppend(out, "\"k", 10000000 + i, "\":0");
    }
    out->push_back('}');
    return out;
  }();
  return *s;
}

// Binary protobuf: 100,000 nested start-group tags of field 99 (unknown to every type here).
const std::string& DeepProto() {
  static const std::string* const s = [] {
    auto* out = new std::string();
    for (int i = 0; i < kDeep; ++i) out->append("\x9b\x06");  // tag (99 << 3) | 3
    return out;
  }();
  return *s;
}

// Binary onceflow.testing.Order whose order_id is 50 MB.
const std::string& BigProto() {
  static const std::string* const s = [] {
    testing::Order order;
    order.set_order_id(std::string(kOversize, 'x'));
    return new std::string(order.SerializeAsString());
  }();
  return *s;
}

const std::string& Oversize() {
  static const std::string* const s = new std::string(kOversize, 'x');
  return *s;
}

std::vector<std::pair<std::string, std::string>> ManyHeaders() {
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(100000);
  for (int i = 0; i < 100000; ++i) headers.emplace_back(absl::StrCat("h", i % 100), "v");
  return headers;
}

// ---- Running a transform through the error policy -------------------------------------------

TestDriverOptions DeadLetters() {
  TestDriverOptions options;
  options.errors.policy = ErrorPolicy::kDeadLetter;
  options.errors.dead_letter_topic = "dlq";
  options.stores = {runtime::kDedupeStore};
  return options;
}

std::unique_ptr<Transform> Builtin(const std::string& text) {
  v1::TransformConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  absl::StatusOr<std::unique_ptr<Transform>> t = BuildTransform(config, "transforms[0]");
  EXPECT_THAT(t, onceflow::testing::IsOk()) << text;
  return t.ok() ? *std::move(t) : Passthrough();
}

std::string Codec(const std::string& kind) {
  return absl::StrCat(kind, " { descriptor_set: \"", ONCEFLOW_TEST_DESCRIPTOR_SET,
                      "\" message: \"onceflow.testing.Order\" }");
}

std::unique_ptr<Transform> Dedupe(const std::string& text) {
  v1::DedupeConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  absl::StatusOr<state::DedupeOptions> options = BuildDedupeOptions(config);
  EXPECT_THAT(options, onceflow::testing::IsOk()) << text;
  absl::StatusOr<std::unique_ptr<runtime::DedupeTransform>> dedupe =
      runtime::DedupeTransform::Create(*std::move(options), base::SystemClock());
  EXPECT_THAT(dedupe, onceflow::testing::IsOk());
  return dedupe.ok() ? std::unique_ptr<Transform>(*std::move(dedupe)) : Passthrough();
}

struct Case {
  std::string name;
  std::unique_ptr<Transform> (*transform)();
  TestRecord (*record)();
  // "" = the record passes (one output); else it is dead-lettered with this in its reason.
  std::string reason;
};

TestRecord WithValue(const std::string& value) { return {.key = "k", .value = value}; }

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class HostileRecordTest : public ::testing::TestWithParam<Case> {};

TEST_P(HostileRecordTest, GetsAResultOrADeadLetterSayingWhy) {
  const Case& c = GetParam();
  TestDriver driver(c.transform(), DeadLetters());
  const TestRecord in = c.record();
  ASSERT_OK(driver.Pipe(in));
  if (c.reason.empty()) {
    EXPECT_THAT(driver.dead_letters(), SizeIs(0));
    ASSERT_THAT(driver.outputs(), SizeIs(1));
    return;
  }
  EXPECT_THAT(driver.outputs(), SizeIs(0));
  ASSERT_THAT(driver.failures(), SizeIs(1));
  const absl::Status& error = driver.failures()[0].error;
  EXPECT_FALSE(IsTransient(error)) << error;  // permanent: the policy applies at once
  EXPECT_THAT(std::string(error.message()), HasSubstr(c.reason));
  EXPECT_LE(error.message().size(), kMaxReason) << error.message().substr(0, 2 * kMaxReason);
  ASSERT_THAT(driver.dead_letters(), SizeIs(1));
  EXPECT_EQ(driver.dead_letters()[0].value, in.value);  // the record itself, unchanged
}

INSTANTIATE_TEST_SUITE_P(
    Builtins, HostileRecordTest,
    ::testing::Values(
        // filter: a regex runs in linear time; a value nested too deep is refused.
        Case{"FilterMatchesOnAnOversizeValue",
             [] { return Builtin(R"(filter { json_field: "orderId" matches: ".*foo" })"); },
             [] { return WithValue(BigOrderJson()); }, ""},
        Case{"FilterKeyRegexOnAnOversizeKey",
             [] { return Builtin(R"(filter { key_regex: "x*" })"); },
             [] { return TestRecord{.key = Oversize(), .value = "v"}; }, ""},
        Case{"FilterHeaderRegexOnAnOversizeHeader",
             [] { return Builtin(R"(filter { header: "h" header_regex: ".*x" })"); },
             [] {
               return TestRecord{.key = "k", .value = "v", .headers = {{"h", Oversize()}}};
             },
             ""},
        Case{"FilterOnDeepArrays",
             [] { return Builtin(R"(filter { json_field: "a" matches: ".*" negate: true })"); },
             [] { return WithValue(DeepArrays()); },
             "filter: json_field a: JSON nested deeper than 100 arrays and objects"},
        Case{"FilterOnDeepObjects", [] { return Builtin(R"(filter { json_field: "a.a" })"); },
             [] { return WithValue(DeepObjects()); }, "nested deeper than 100"},
        Case{"FilterOnManyHeaders", [] { return Builtin(R"(filter { header: "h99" })"); },
             [] { return TestRecord{.key = "k", .value = "v", .headers = ManyHeaders()}; }, ""},
        // route: a chosen topic is sized before it is built, and quoted as an excerpt.
        Case{"RouteByAnOversizeField",
             [] { return Builtin(R"(route { json_field: "orderId" topic_prefix: "t-" })"); },
             [] { return WithValue(BigOrderJson()); }, "is not a valid Kafka topic name"},
        Case{"RouteByAnOversizeHeader", [] { return Builtin(R"(route { header: "h" })"); },
             [] {
               return TestRecord{.key = "k", .value = "v", .headers = {{"h", Oversize()}}};
             },
             absl::StrCat("(", kOversize, " bytes)\" (from header h)")},
        Case{"RouteOnDeepArrays", [] { return Builtin(R"(route { json_field: "a" })"); },
             [] { return WithValue(DeepArrays()); }, "route: json_field a: JSON nested deeper"},
        // headers: views, whatever their number or size.
        Case{"HeadersOnManyHeaders",
             [] { return Builtin(R"(headers { rename { key: "h1" value: "x" } remove: "h2" })"); },
             [] { return TestRecord{.key = "k", .value = "v", .headers = ManyHeaders()}; }, ""},
        Case{"HeadersOnAnOversizeHeader",
             [] { return Builtin(R"(headers { set { key: "a" value: "b" } })"); },
             [] {
               return TestRecord{.key = "k", .value = "v", .headers = {{"h", Oversize()}}};
             },
             ""},
        // json_to_proto / proto_to_json: protobuf's own limits (100 levels), reasons bounded.
        Case{"JsonToProtoOnDeepArrays", [] { return Builtin(Codec("json_to_proto")); },
             [] { return WithValue(DeepArrays()); }, "as onceflow.testing.Order (json)"},
        Case{"JsonToProtoOnDeepObjects", [] { return Builtin(Codec("json_to_proto")); },
             [] { return WithValue(DeepObjects()); }, "as onceflow.testing.Order (json)"},
        Case{"JsonToProtoOnAnOversizeValue", [] { return Builtin(Codec("json_to_proto")); },
             [] { return WithValue(BigOrderJson()); }, ""},
        Case{"JsonToProtoOnAnOversizeValueOfTheWrongType",
             [] { return Builtin(Codec("json_to_proto")); },
             [] { return WithValue(BigWrongTypeJson()); }, "as onceflow.testing.Order (json)"},
        Case{"ProtoToJsonOnDeepGroups", [] { return Builtin(Codec("proto_to_json")); },
             [] { return WithValue(DeepProto()); }, "as onceflow.testing.Order (binary)"},
        Case{"ProtoToJsonOnAnOversizeValue", [] { return Builtin(Codec("proto_to_json")); },
             [] { return WithValue(BigProto()); }, ""},
        Case{"PassthroughOnEverythingAtOnce", [] { return Passthrough(); },
             [] {
               TestRecord r{.key = Oversize(), .value = Oversize(), .headers = ManyHeaders()};
               r.headers.emplace_back("big", Oversize());
               return r;
             },
             ""}),
    [](const ::testing::TestParamInfo<Case>& param) { return param.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Dedupe, HostileRecordTest,
    ::testing::Values(
        // Keys are ids: one as large as the record is refused, not stored twice and logged.
        Case{"KeyOfAnOversizeKey", [] { return Dedupe(R"(key: "key")"); },
             [] { return TestRecord{.key = Oversize(), .value = "v"}; },
             absl::StrCat("dedupe: the idempotency key of the record at offset 0 is ", kOversize,
                          " bytes, more than the 65536 a key may have")},
        Case{"HeaderOfAnOversizeHeader", [] { return Dedupe(R"(key: "header" header: "id")"); },
             [] {
               return TestRecord{.key = "k", .value = "v", .headers = {{"id", Oversize()}}};
             },
             "more than the 65536 a key may have"},
        Case{"JsonFieldOfAnOversizeField",
             [] { return Dedupe(R"(key: "json_field" field: "orderId")"); },
             [] { return WithValue(BigOrderJson()); }, "more than the 65536 a key may have"},
        Case{"JsonFieldOnDeepArrays", [] { return Dedupe(R"(key: "json_field" field: "id")"); },
             [] { return WithValue(DeepArrays()); },
             "dedupe: json_field id: JSON nested deeper than 100 arrays and objects"},
        Case{"JsonHashOnDeepArrays", [] { return Dedupe(R"(key: "json_hash")"); },
             [] { return WithValue(DeepArrays()); },
             "dedupe: dedupe json_hash: record value at offset 0: invalid JSON at byte offset "
             "100: nested deeper than 100 arrays and objects"},
        Case{"JsonHashOnDeepObjects", [] { return Dedupe(R"(key: "json_hash")"); },
             [] { return WithValue(DeepObjects()); }, "nested deeper than 100"},
        // Hashes are 32 bytes, whatever they hash.
        Case{"JsonHashOfAnOversizeArray", [] { return Dedupe(R"(key: "json_hash")"); },
             [] { return WithValue(BigArray()); }, ""},
        Case{"JsonHashOfAnOversizeObject", [] { return Dedupe(R"(key: "json_hash")"); },
             [] { return WithValue(BigObject()); }, ""},
        Case{"HashOfAnOversizeValue", [] { return Dedupe(R"(key: "hash")"); },
             [] { return WithValue(Oversize()); }, ""},
        Case{"ProtoFieldOnDeepGroups",
             [] {
               return Dedupe(absl::StrCat(R"(key: "proto_field" field: "order_id" message: )",
                                          R"("onceflow.testing.Order" descriptor_set: ")",
                                          ONCEFLOW_TEST_DESCRIPTOR_SET, "\""));
             },
             [] { return WithValue(DeepProto()); }, "is not a valid onceflow.testing.Order"}),
    [](const ::testing::TestParamInfo<Case>& param) { return param.param.name; });

}  // namespace
}  // namespace onceflow::sidecar
