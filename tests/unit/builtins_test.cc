#include "sidecar/builtins.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "onceflow/record.h"
#include "onceflow/test_driver.h"
#include "onceflow/transform.h"
#include "onceflow/v1/pipeline_config.pb.h"
#include "sidecar/chaos_transform.h"
#include "sidecar/dedupe_config.h"
#include "sidecar/message_type.h"
#include "sidecar/topic_name.h"
#include "state/dedupe_options.h"
#include "state/key_extractor.h"
#include "test_messages.pb.h"
#include "tests/testing/status_matchers.h"

#ifndef ONCEFLOW_TEST_DESCRIPTOR_SET
#error "ONCEFLOW_TEST_DESCRIPTOR_SET must name the descriptor set of testing/test_messages.proto"
#endif

namespace onceflow::sidecar {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::IsOkAndHolds;
using ::onceflow::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kDescriptorSet[] = ONCEFLOW_TEST_DESCRIPTOR_SET;

v1::TransformConfig Config(const std::string& text) {
  v1::TransformConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  return config;
}

std::unique_ptr<Transform> Build(const std::string& text) {
  absl::StatusOr<std::unique_ptr<Transform>> t = BuildTransform(Config(text), "transforms[0]");
  EXPECT_THAT(t, IsOk()) << text;
  return t.ok() ? *std::move(t) : nullptr;
}

absl::Status BuildStatus(const std::string& text) {
  return BuildTransform(Config(text), "transforms[3]").status();
}

TestDriverOptions DeadLetters() {
  TestDriverOptions options;
  options.errors.policy = ErrorPolicy::kDeadLetter;
  options.errors.dead_letter_topic = "dlq";
  return options;
}

TestRecord Value(std::string value) {
  TestRecord r;
  r.key = "k";
  r.value = std::move(value);
  return r;
}

class CollectingEmitter : public Emitter {
 public:
  void Emit(OutputRecord record) override { records.push_back(std::move(record)); }
  std::vector<OutputRecord> records;
};

// ---------------------------------------------------------------------------------------------
// passthrough

TEST(BuiltinsTest, PassthroughForwardsEverything) {
  auto t = Build("passthrough {}");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name(), "passthrough");
  TestDriver driver(std::move(t));
  TestRecord in;
  in.key = "k";
  in.value = "v";
  in.headers = {{"a", "1"}, {"a", "2"}};
  in.timestamp_ms = 1234;
  ASSERT_OK(driver.Pipe(in));
  TestRecord tombstone;
  tombstone.key = "gone";
  ASSERT_OK(driver.Pipe(tombstone));
  ASSERT_THAT(driver.outputs(), SizeIs(2));
  const TestOutput& out = driver.outputs()[0];
  EXPECT_EQ(out.topic, "output");
  EXPECT_EQ(out.partition, -1);
  EXPECT_EQ(out.key, "k");
  EXPECT_EQ(out.value, "v");
  EXPECT_THAT(out.headers, ElementsAre(Pair("a", "1"), Pair("a", "2")));
  EXPECT_EQ(out.timestamp_ms, 1234);
  EXPECT_EQ(driver.outputs()[1].key, "gone");
  EXPECT_EQ(driver.outputs()[1].value, std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// filter

struct FilterCase {
  std::string config;
  std::optional<std::string> key;
  std::optional<std::string> value;
  Headers headers;
  bool kept;
};

TEST(BuiltinsTest, FilterKeepsRecordsMeetingEveryCondition) {
  const FilterCase cases[] = {
      // key_regex: the whole key must match.
      {R"(key_regex: "user-[0-9]+")", "user-12", "v", {}, true},
      {R"(key_regex: "user-[0-9]+")", "user-12x", "v", {}, false},
      {R"(key_regex: "user-[0-9]+")", "xuser-12", "v", {}, false},
      // A null key reads as "".
      {R"(key_regex: ".*")", std::nullopt, "v", {}, true},
      {R"(key_regex: ".+")", std::nullopt, "v", {}, false},
      // header: present; with header_regex, the last value must match.
      {R"(header: "tenant")", "k", "v", {{"tenant", ""}}, true},
      {R"(header: "tenant")", "k", "v", {{"other", "x"}}, false},
      {R"(header: "tenant" header_regex: "eu|us")", "k", "v", {{"tenant", "eu"}}, true},
      {R"(header: "tenant" header_regex: "eu|us")", "k", "v", {{"tenant", "eu-west"}}, false},
      {R"(header: "tenant" header_regex: "eu|us")",
       "k",
       "v",
       {{"tenant", "asia"}, {"tenant", "us"}},
       true},
      {R"(header: "tenant" header_regex: "eu|us")",
       "k",
       "v",
       {{"tenant", "us"}, {"tenant", "asia"}},
       false},
      // json_field + equals: strings by decoded value, others by JSON text as written.
      {R"(json_field: "status" equals: "paid")", "k", R"({"status": "paid"})", {}, true},
      {R"(json_field: "status" equals: "paid")", "k", R"({"status": "PAID"})", {}, false},
      {R"(json_field: "status" equals: "paid")", "k", R"({"status": "p\u0061id"})", {}, true},
      {R"(json_field: "n" equals: "1.50")", "k", R"({"n": 1.50})", {}, true},
      {R"(json_field: "n" equals: "1.5")", "k", R"({"n": 1.50})", {}, false},
      {R"(json_field: "n" equals: "1")", "k", R"({"n": "1"})", {}, true},
      {R"(json_field: "ok" equals: "true")", "k", R"({"ok": true})", {}, true},
      {R"(json_field: "x" equals: "null")", "k", R"({"x": null})", {}, true},
      {R"(json_field: "order.status" equals: "paid")",
       "k",
       R"({"order": {"status": "paid"}})",
       {},
       true},
      {R"(json_field: "status" equals: "paid")", "k", R"({"state": "paid"})", {}, false},
      // Not JSON, not an object, a tombstone: no match.
      {R"(json_field: "status" equals: "paid")", "k", "status=paid", {}, false},
      {R"(json_field: "status" equals: "paid")", "k", R"([{"status": "paid"}])", {}, false},
      {R"(json_field: "status" equals: "paid")", "k", std::nullopt, {}, false},
      {R"(json_field: "status" equals: "paid")", "k", R"({"status": "paid"} trailing)", {}, false},
      // json_field alone: present and not null.
      {R"(json_field: "coupon")", "k", R"({"coupon": ""})", {}, true},
      {R"(json_field: "coupon")", "k", R"({"coupon": null})", {}, false},
      {R"(json_field: "coupon")", "k", R"({})", {}, false},
      // matches: the whole text.
      {R"(json_field: "email" matches: ".*@example\\.com")",
       "k",
       R"({"email": "a@example.com"})",
       {},
       true},
      {R"(json_field: "email" matches: ".*@example\\.com")",
       "k",
       R"({"email": "a@example.com.evil"})",
       {},
       false},
      {R"(json_field: "n" matches: "[0-9]+")", "k", R"({"n": 42})", {}, true},
      // equals and matches together: both.
      {R"(json_field: "s" equals: "ab" matches: "a.")", "k", R"({"s": "ab"})", {}, true},
      {R"(json_field: "s" equals: "ab" matches: "x.")", "k", R"({"s": "ab"})", {}, false},
      // Every condition given must hold.
      {R"(key_regex: "a.*" header: "h" json_field: "s" equals: "1")",
       "ab",
       R"({"s": 1})",
       {{"h", "x"}},
       true},
      {R"(key_regex: "a.*" header: "h" json_field: "s" equals: "1")",
       "ab",
       R"({"s": 1})",
       {},
       false},
      {R"(key_regex: "a.*" header: "h" json_field: "s" equals: "1")",
       "b",
       R"({"s": 1})",
       {{"h", "x"}},
       false},
      // negate: drops matching records, keeps the rest (not-JSON values included).
      {R"(json_field: "status" equals: "test" negate: true)",
       "k",
       R"({"status": "test"})",
       {},
       false},
      {R"(json_field: "status" equals: "test" negate: true)",
       "k",
       R"({"status": "live"})",
       {},
       true},
      {R"(json_field: "status" equals: "test" negate: true)", "k", "not json", {}, true},
  };
  for (const FilterCase& c : cases) {
    SCOPED_TRACE(c.config + " on " + c.value.value_or("<null>"));
    auto t = Build("filter { " + c.config + " }");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->name(), "filter");
    TestDriver driver(std::move(t));
    TestRecord in;
    in.key = c.key;
    in.value = c.value;
    in.headers = c.headers;
    ASSERT_OK(driver.Pipe(in));
    if (!c.kept) {
      EXPECT_THAT(driver.outputs(), IsEmpty());
      continue;
    }
    ASSERT_THAT(driver.outputs(), SizeIs(1));
    EXPECT_EQ(driver.outputs()[0].key, c.key);
    EXPECT_EQ(driver.outputs()[0].value, c.value);
    EXPECT_EQ(driver.outputs()[0].headers, c.headers);
  }
}

// std::regex matched `.*` by recursing once per character: a 60 KB value overflowed the stack
// (SIGSEGV), and after a restart the sidecar met the same record again. RE2 matches in linear
// time without recursion.
TEST(BuiltinsTest, FilterRegexesOnLargeValuesDoNotCrash) {
  const std::string big(60 * 1024, 'x');
  struct Case {
    std::string config;
    TestRecord in;
    bool kept;
  };
  const Case cases[] = {
      {R"(json_field: "note" matches: ".*foo.*")",
       {.key = "k", .value = R"({"note": ")" + big + R"(foo"})"},
       true},
      {R"(json_field: "note" matches: ".*bar.*")",
       {.key = "k", .value = R"({"note": ")" + big + R"(foo"})"},
       false},
      {R"(key_regex: ".*foo.*")", {.key = big + "foo", .value = "v"}, true},
      {R"(header: "h" header_regex: "(x|y)*")",
       {.key = "k", .value = "v", .headers = {{"h", big}}},
       true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.config);
    TestDriver driver(Build("filter { " + c.config + " }"));
    ASSERT_OK(driver.Pipe(c.in));
    EXPECT_THAT(driver.outputs(), SizeIs(c.kept ? 1 : 0));
  }
}

// RE2 runs in Latin-1 mode: patterns and texts are bytes, as they were for std::regex.
TEST(BuiltinsTest, FilterRegexesMatchBytes) {
  const FilterCase cases[] = {
      // A key that is not UTF-8 still matches `.*` (RE2's UTF-8 mode would not match it).
      {R"(key_regex: "user-.*")", std::string("user-\xff\xfe", 7), "v", {}, true},
      // `.` is one byte: "é" is two.
      {R"(key_regex: "caf.")", "caf\xc3\xa9", "v", {}, false},
      {R"(key_regex: "caf..")", "caf\xc3\xa9", "v", {}, true},
      // A non-ASCII literal matches its UTF-8 bytes.
      {R"(json_field: "city" matches: "Z.rich|Genève")", "k", R"({"city": "Genève"})", {}, true},
      // `.` stops at a newline unless (?s).
      {R"(json_field: "s" matches: "a.b")", "k", R"({"s": "a\nb"})", {}, false},
      {R"(json_field: "s" matches: "(?s)a.b")", "k", R"({"s": "a\nb"})", {}, true},
  };
  for (const FilterCase& c : cases) {
    SCOPED_TRACE(c.config);
    TestDriver driver(Build("filter { " + c.config + " }"));
    TestRecord in;
    in.key = c.key;
    in.value = c.value;
    ASSERT_OK(driver.Pipe(in));
    EXPECT_THAT(driver.outputs(), SizeIs(c.kept ? 1 : 0));
  }
}

TEST(BuiltinsTest, FilterForwardsWithoutCopying) {
  auto t = Build(R"(filter { json_field: "a" })");
  const std::string value = R"({"a": 1})";
  Record in;
  in.set_key("k").set_value(value);
  CollectingEmitter out;
  ASSERT_OK(t->Process(in, out));
  ASSERT_THAT(out.records, SizeIs(1));
  EXPECT_FALSE(out.records[0].value().is_owned());
  EXPECT_EQ(out.records[0].value().view().data(), value.data());
}

TEST(BuiltinsTest, FilterBuildErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {R"(filter { key_regex: "(" })",
       "transforms[3]: filter: key_regex \"(\" is not a valid regex: missing )"},
      {R"(filter { header: "h" header_regex: "[" })", "header_regex \"[\" is not a valid"},
      {R"(filter { json_field: "a" matches: "*" })", "matches \"*\" is not a valid"},
      // What std::regex took and RE2 cannot run in linear time.
      {R"re(filter { key_regex: "(a)\\1" })re", "no backreferences"},
      {R"re(filter { key_regex: "(?=a)a" })re", "no lookaround"},
      {R"re(filter { key_regex: "a(?!b)" })re", "no lookaround"},
      {R"re(filter { key_regex: "(?<=a)b" })re", "no lookaround"},
      {R"(filter { header_regex: "x" })", "transforms[3]: filter: header_regex needs header"},
      {R"(filter { equals: "x" })", "equals and matches need json_field"},
      {R"(filter { matches: "x" })", "equals and matches need json_field"},
      {R"(filter { })", "transforms[3]: filter: no condition"},
      {R"(filter { negate: true })", "no condition"},
      {R"(filter { json_field: "a..b" })", "json_field: JSON field path \"a..b\" has an empty"},
  };
  for (const auto& [config, message] : cases) {
    SCOPED_TRACE(config);
    EXPECT_THAT(BuildStatus(config),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)));
  }
}

// ---------------------------------------------------------------------------------------------
// headers

TEST(BuiltinsTest, HeadersRenameThenRemoveThenSet) {
  auto t = Build(R"(headers {
    rename { key: "traceparent" value: "trace" }
    rename { key: "a" value: "b" }
    rename { key: "b" value: "c" }
    remove: "secret"
    remove: "trace"
    set { key: "z-source" value: "onceflow" }
    set { key: "env" value: "prod" }
  })");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name(), "headers");
  TestDriver driver(std::move(t));
  TestRecord in = Value("v");
  in.headers = {{"a", "1"},    {"env", "dev"},     {"secret", "s"},     {"b", "2"},
                {"keep", "k"}, {"env", "staging"}, {"traceparent", "t"}};
  ASSERT_OK(driver.Pipe(in));
  ASSERT_THAT(driver.outputs(), SizeIs(1));
  // a -> b and b -> c (each renamed once); both "env" replaced by the set one; "secret" and
  // "traceparent" (renamed to "trace", then removed) gone; set headers appended in name order.
  EXPECT_THAT(driver.outputs()[0].headers,
              ElementsAre(Pair("b", "1"), Pair("c", "2"), Pair("keep", "k"), Pair("env", "prod"),
                          Pair("z-source", "onceflow")));
  EXPECT_EQ(driver.outputs()[0].key, "k");
  EXPECT_EQ(driver.outputs()[0].value, "v");
}

TEST(BuiltinsTest, HeadersNeverCopyValues) {
  auto t = Build(R"(headers { rename { key: "old" value: "new" } set { key: "s" value: "x" } })");
  const std::string key = "key", value = "value", name = "old", header_value = "payload";
  Record in;
  in.set_key(key).set_value(value).add_header(name, header_value);
  CollectingEmitter out;
  ASSERT_OK(t->Process(in, out));
  ASSERT_THAT(out.records, SizeIs(1));
  const OutputRecord& r = out.records[0];
  EXPECT_EQ(r.key().view().data(), key.data());
  EXPECT_EQ(r.value().view().data(), value.data());
  ASSERT_THAT(r.headers(), SizeIs(2));
  EXPECT_EQ(r.headers()[0].first.view(), "new");
  EXPECT_EQ(r.headers()[0].second.view().data(), header_value.data());
  EXPECT_FALSE(r.headers()[0].second.is_owned());
  EXPECT_EQ(r.headers()[1].first.view(), "s");
  EXPECT_EQ(r.headers()[1].second.view(), "x");
}

TEST(BuiltinsTest, HeadersKeepTombstonesAndNullKeys) {
  TestDriver driver(Build(R"(headers { set { key: "h" value: "1" } })"));
  TestRecord in;
  ASSERT_OK(driver.Pipe(in));
  ASSERT_THAT(driver.outputs(), SizeIs(1));
  EXPECT_EQ(driver.outputs()[0].key, std::nullopt);
  EXPECT_EQ(driver.outputs()[0].value, std::nullopt);
  EXPECT_THAT(driver.outputs()[0].headers, ElementsAre(Pair("h", "1")));
}

TEST(BuiltinsTest, HeadersBuildErrors) {
  EXPECT_THAT(BuildStatus("headers {}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("transforms[3]: headers: nothing to do")));
  EXPECT_THAT(BuildStatus(R"(headers { remove: "" })"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must not be empty")));
  EXPECT_THAT(BuildStatus(R"(headers { set { key: "" value: "x" } })"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must not be empty")));
  EXPECT_THAT(BuildStatus(R"(headers { rename { key: "a" value: "" } })"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must not be empty")));
}

// ---------------------------------------------------------------------------------------------
// json_to_proto, proto_to_json

std::string CodecConfig(const std::string& kind,
                        const std::string& message = "onceflow.testing.Order") {
  return kind + " { descriptor_set: \"" + kDescriptorSet + "\" message: \"" + message + "\" }";
}

::onceflow::testing::Order MakeOrder() {
  ::onceflow::testing::Order order;
  order.set_order_id("o-1");
  order.set_customer("ada");
  order.set_quantity(3);
  order.set_unit_price(2.5);
  return order;
}

TEST(BuiltinsTest, JsonToProtoWritesTheBinaryEncoding) {
  auto t = Build(CodecConfig("json_to_proto"));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name(), "json_to_proto:onceflow.testing.Order");
  TestDriver driver(std::move(t));
  TestRecord in =
      Value(R"({"order_id": "o-1", "customer": "ada", "quantity": 3, "unitPrice": 2.5})");
  in.headers = {{"h", "1"}};
  ASSERT_OK(driver.Pipe(in));
  ASSERT_THAT(driver.outputs(), SizeIs(1));
  EXPECT_EQ(driver.outputs()[0].value, MakeOrder().SerializeAsString());
  EXPECT_EQ(driver.outputs()[0].key, "k");
  EXPECT_THAT(driver.outputs()[0].headers, ElementsAre(Pair("h", "1")));
}

TEST(BuiltinsTest, ProtoToJsonWritesTheJsonMapping) {
  auto t = Build(CodecConfig("proto_to_json"));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name(), "proto_to_json:onceflow.testing.Order");
  TestDriver driver(std::move(t));
  ASSERT_OK(driver.Pipe(Value(MakeOrder().SerializeAsString())));
  ASSERT_OK(driver.Pipe(Value("")));  // the empty message
  ASSERT_THAT(driver.outputs(), SizeIs(2));
  EXPECT_EQ(driver.outputs()[0].value,
            R"({"orderId":"o-1","customer":"ada","quantity":3,"unitPrice":2.5})");
  EXPECT_EQ(driver.outputs()[1].value, "{}");
}

TEST(BuiltinsTest, JsonProtoRoundTripThroughAChain) {
  v1::PipelineConfig pipeline;
  *pipeline.add_transforms() = Config(CodecConfig("json_to_proto"));
  *pipeline.add_transforms() = Config(CodecConfig("proto_to_json"));
  absl::StatusOr<std::unique_ptr<Transform>> chain = BuildChain(pipeline.transforms());
  ASSERT_THAT(chain, IsOk());
  EXPECT_EQ((*chain)->name(),
            "json_to_proto:onceflow.testing.Order>proto_to_json:onceflow.testing.Order");
  TestDriver driver(*std::move(chain));
  ASSERT_OK(driver.Pipe(Value(R"({"order_id":"o-9","quantity":"7"})")));
  ASSERT_THAT(driver.outputs(), SizeIs(1));
  EXPECT_EQ(driver.outputs()[0].value, R"({"orderId":"o-9","quantity":7})");
}

TEST(BuiltinsTest, ProtoCodecsPassTombstones) {
  for (const char* kind : {"json_to_proto", "proto_to_json"}) {
    TestDriver driver(Build(CodecConfig(kind)));
    TestRecord tombstone;
    tombstone.key = "k";
    ASSERT_OK(driver.Pipe(tombstone));
    ASSERT_THAT(driver.outputs(), SizeIs(1));
    EXPECT_EQ(driver.outputs()[0].value, std::nullopt);
  }
}

TEST(BuiltinsTest, UnparsableValuesArePermanentErrorsNamingTheType) {
  struct Case {
    std::string kind;
    std::string value;
    std::string message;
  };
  const Case cases[] = {
      {"json_to_proto", "not json", "as onceflow.testing.Order (json)"},
      {"json_to_proto", R"({"orderId": "o", "nope": 1})", "as onceflow.testing.Order (json)"},
      {"json_to_proto", R"({"quantity": "many"})", "as onceflow.testing.Order (json)"},
      {"proto_to_json", "\xff\xff\xff", "as onceflow.testing.Order (binary): invalid protobuf"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.kind + " " + c.value);
    TestDriver driver(Build(CodecConfig(c.kind)), DeadLetters());
    ASSERT_OK(driver.Pipe(Value(c.value)));
    EXPECT_THAT(driver.outputs(), IsEmpty());
    ASSERT_THAT(driver.failures(), SizeIs(1));
    EXPECT_THAT(driver.failures()[0].error,
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
    EXPECT_EQ(driver.failures()[0].attempts, 1);  // permanent: not retried
    ASSERT_THAT(driver.dead_letters(), SizeIs(1));
    EXPECT_EQ(driver.dead_letters()[0].value, c.value);
  }
}

TEST(BuiltinsTest, ProtoCodecBuildErrors) {
  const std::string dir = ::testing::TempDir();
  const std::string garbage = dir + "/builtins_test_garbage.desc";
  std::ofstream(garbage) << "this is not a descriptor set";

  EXPECT_THAT(BuildStatus(R"(json_to_proto { message: "a.B" })"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("transforms[3]: json_to_proto: descriptor_set is required")));
  EXPECT_THAT(BuildStatus(R"(proto_to_json { descriptor_set: "x.desc" })"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("transforms[3]: proto_to_json: message is required")));
  EXPECT_THAT(
      BuildStatus(R"(json_to_proto { descriptor_set: "/nonexistent/x.desc" message: "a.B" })"),
      StatusIs(absl::StatusCode::kNotFound,
               HasSubstr("transforms[3]: json_to_proto: descriptor set: cannot read "
                         "/nonexistent/x.desc: No such file")));
  EXPECT_THAT(BuildStatus("json_to_proto { descriptor_set: \"" + garbage + "\" message: \"a.B\" }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a FileDescriptorSet")));
  EXPECT_THAT(BuildStatus(CodecConfig("json_to_proto", "onceflow.testing.Nope")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("has no message \"onceflow.testing.Nope\" (it has: "
                                 "onceflow.testing.Order, onceflow.testing.PricedOrder)")));
  std::remove(garbage.c_str());
}

TEST(BuiltinsTest, LoadMessageTypeFindsTheMessage) {
  absl::StatusOr<MessageType> type =
      LoadMessageType(kDescriptorSet, "onceflow.testing.PricedOrder");
  ASSERT_THAT(type, IsOk());
  ASSERT_NE(type->descriptor, nullptr);
  EXPECT_EQ(type->descriptor->full_name(), "onceflow.testing.PricedOrder");
  EXPECT_EQ(type->descriptor->file()->pool(), type->pool.get());
  EXPECT_NE(type->pool.get(), google::protobuf::DescriptorPool::generated_pool());
}

// ---------------------------------------------------------------------------------------------
// route

struct RouteCase {
  std::string config;
  std::optional<std::string> value;
  Headers headers;
  std::string topic;  // as the driver sees it: "output" = left to the pipeline
};

TEST(BuiltinsTest, RouteChoosesTheTopic) {
  const RouteCase cases[] = {
      {R"(json_field: "region" topic_prefix: "orders-")", R"({"region": "eu"})", {}, "orders-eu"},
      {R"(json_field: "region")", R"({"region": "eu"})", {}, "eu"},
      {R"(json_field: "a.b" topic_prefix: "t.")", R"({"a": {"b": 7}})", {}, "t.7"},
      {R"(json_field: "flag" topic_prefix: "f-")", R"({"flag": true})", {}, "f-true"},
      {R"(json_field: "r" topic_prefix: "x-")", R"({"r": "\u0065u"})", {}, "x-eu"},
      // Missing, empty, null, object, not JSON, tombstone: default_topic, else the output.
      {R"(json_field: "region" default_topic: "other")", R"({})", {}, "other"},
      {R"(json_field: "region" default_topic: "other")", R"({"region": ""})", {}, "other"},
      {R"(json_field: "region" default_topic: "other")", R"({"region": null})", {}, "other"},
      {R"(json_field: "region" default_topic: "other")", R"({"region": {"a": 1}})", {}, "other"},
      {R"(json_field: "region" default_topic: "other")", "not json", {}, "other"},
      {R"(json_field: "region" default_topic: "other")", std::nullopt, {}, "other"},
      {R"(json_field: "region" topic_prefix: "p-")", R"({})", {}, "output"},
      // By header (the last one of that name).
      {R"(header: "dest" topic_prefix: "to-")", "v", {{"dest", "a"}, {"dest", "b"}}, "to-b"},
      {R"(header: "dest" default_topic: "d")", "v", {}, "d"},
      {R"(header: "dest" default_topic: "d")", "v", {{"dest", ""}}, "d"},
      {R"(header: "dest")", "v", {}, "output"},
  };
  for (const RouteCase& c : cases) {
    SCOPED_TRACE(c.config + " on " + c.value.value_or("<null>"));
    auto t = Build("route { " + c.config + " }");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->name(), "route");
    TestDriver driver(std::move(t));
    TestRecord in;
    in.key = "k";
    in.value = c.value;
    in.headers = c.headers;
    ASSERT_OK(driver.Pipe(in));
    ASSERT_THAT(driver.outputs(), SizeIs(1));
    EXPECT_EQ(driver.outputs()[0].topic, c.topic);
    EXPECT_EQ(driver.outputs()[0].value, c.value);
    EXPECT_EQ(driver.outputs()[0].headers, c.headers);
  }
}

TEST(BuiltinsTest, RouteToAnInvalidTopicIsAPermanentError) {
  TestDriver driver(Build(R"(route { json_field: "region" topic_prefix: "orders-" })"),
                    DeadLetters());
  ASSERT_OK(driver.Pipe(Value(R"({"region": "eu west"})")));
  ASSERT_OK(driver.Pipe(Value(R"({"region": ")" + std::string(250, 'x') + R"("})")));
  EXPECT_THAT(driver.outputs(), IsEmpty());
  ASSERT_THAT(driver.failures(), SizeIs(2));
  EXPECT_THAT(driver.failures()[0].error,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("route: topic \"orders-eu west\" (from json_field region) is "
                                 "not a valid Kafka topic name")));
  EXPECT_THAT(driver.dead_letters(), SizeIs(2));
}

TEST(BuiltinsTest, RouteBuildErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {R"(route { })", "transforms[3]: route: set exactly one of json_field and header"},
      {R"(route { json_field: "a" header: "h" })", "set exactly one of json_field and header"},
      {R"(route { header: "h" topic_prefix: "a b" })", "topic_prefix \"a b\" has characters"},
      {R"(route { header: "h" default_topic: ".." })", "default_topic \"..\" is not a valid"},
      {R"(route { json_field: "a." })", "json_field: JSON field path \"a.\" has an empty"},
  };
  for (const auto& [config, message] : cases) {
    SCOPED_TRACE(config);
    EXPECT_THAT(BuildStatus(config),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)));
  }
}

TEST(BuiltinsTest, ValidTopicNames) {
  EXPECT_TRUE(IsValidTopicName("orders"));
  EXPECT_TRUE(IsValidTopicName("a.b_c-D9"));
  EXPECT_TRUE(IsValidTopicName(std::string(249, 'x')));
  EXPECT_FALSE(IsValidTopicName(std::string(250, 'x')));
  EXPECT_FALSE(IsValidTopicName(""));
  EXPECT_FALSE(IsValidTopicName("."));
  EXPECT_FALSE(IsValidTopicName(".."));
  EXPECT_FALSE(IsValidTopicName("a/b"));
  EXPECT_FALSE(IsValidTopicName("é"));
}

// ---------------------------------------------------------------------------------------------
// Chains and BuildTransform

v1::PipelineConfig Pipeline(const std::vector<std::string>& transforms) {
  v1::PipelineConfig pipeline;
  for (const std::string& t : transforms) *pipeline.add_transforms() = Config(t);
  return pipeline;
}

TEST(BuiltinsTest, EmptyChainIsPassthrough) {
  absl::StatusOr<std::unique_ptr<Transform>> chain = BuildChain(Pipeline({}).transforms());
  ASSERT_THAT(chain, IsOk());
  EXPECT_EQ((*chain)->name(), "passthrough");
}

TEST(BuiltinsTest, LaterStagesKeepTheTopicARouteChose) {
  absl::StatusOr<std::unique_ptr<Transform>> chain =
      BuildChain(Pipeline({R"(filter { json_field: "drop" negate: true })",
                           R"(route { json_field: "region" topic_prefix: "orders-" })",
                           R"(headers { set { key: "routed" value: "yes" } })", "passthrough {}"})
                     .transforms());
  ASSERT_THAT(chain, IsOk());
  EXPECT_EQ((*chain)->name(), "filter>route>headers>passthrough");
  TestDriver driver(*std::move(chain));
  ASSERT_OK(driver.Pipe(Value(R"({"region": "eu"})")));
  ASSERT_OK(driver.Pipe(Value(R"({"region": "us", "drop": 1})")));
  ASSERT_OK(driver.Pipe(Value(R"({"other": 1})")));
  ASSERT_OK(driver.Pipe(Value(R"({"region": "us"})")));
  ASSERT_THAT(driver.outputs(), SizeIs(3));
  EXPECT_EQ(driver.outputs()[0].topic, "orders-eu");
  EXPECT_EQ(driver.outputs()[0].header("routed"), "yes");
  EXPECT_EQ(driver.outputs()[1].topic, "output");
  EXPECT_EQ(driver.outputs()[1].header("routed"), "yes");
  EXPECT_EQ(driver.outputs()[2].topic, "orders-us");
  EXPECT_EQ(driver.outputs()[2].value, R"({"region": "us"})");
}

TEST(BuiltinsTest, ALaterRouteOverridesAnEarlierOne) {
  absl::StatusOr<std::unique_ptr<Transform>> chain =
      BuildChain(Pipeline({R"(route { header: "a" })", R"(route { header: "b" })"}).transforms());
  ASSERT_THAT(chain, IsOk());
  TestDriver driver(*std::move(chain));
  TestRecord both = Value("1");
  both.headers = {{"a", "ta"}, {"b", "tb"}};
  TestRecord only_a = Value("2");
  only_a.headers = {{"a", "ta"}};
  ASSERT_OK(driver.Pipe(both));
  ASSERT_OK(driver.Pipe(only_a));
  ASSERT_THAT(driver.outputs(), SizeIs(2));
  EXPECT_EQ(driver.outputs()[0].topic, "tb");
  EXPECT_EQ(driver.outputs()[1].topic, "ta");  // the second route chose nothing
}

TEST(BuiltinsTest, AFailedInputDoesNotShiftLaterDestinations) {
  // The second input fails in stage 2 after stage 1 recorded its destination; the next input
  // must still get its own.
  absl::StatusOr<std::unique_ptr<Transform>> chain = BuildChain(
      Pipeline({R"(route { header: "to" })", CodecConfig("proto_to_json")}).transforms());
  ASSERT_THAT(chain, IsOk());
  TestDriver driver(*std::move(chain), DeadLetters());
  TestRecord good = Value(MakeOrder().SerializeAsString());
  good.headers = {{"to", "first"}};
  TestRecord bad = Value("\xff\xff");
  bad.headers = {{"to", "second"}};
  TestRecord third = Value("");
  third.headers = {{"to", "third"}};
  ASSERT_OK(driver.Pipe(good));
  ASSERT_OK(driver.Pipe(bad));
  ASSERT_OK(driver.Pipe(third));
  ASSERT_THAT(driver.outputs(), SizeIs(2));
  EXPECT_EQ(driver.outputs()[0].topic, "first");
  EXPECT_EQ(driver.outputs()[1].topic, "third");
  EXPECT_EQ(driver.outputs()[1].value, "{}");
  EXPECT_THAT(driver.dead_letters(), SizeIs(1));
}

TEST(BuiltinsTest, ChainErrorsNameTheEntry) {
  EXPECT_THAT(BuildChain(Pipeline({"passthrough {}", "route {}"}).transforms()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("transforms[1]: route: ")));
  EXPECT_THAT(
      BuildChain(Pipeline({"passthrough {}", "passthrough {}", ""}).transforms()).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("transforms[2]: no transform kind")));
}

TEST(BuiltinsTest, PluginBuildErrors) {
  EXPECT_THAT(BuildStatus("plugin {}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("transforms[3]: plugin: path is required")));
  EXPECT_THAT(BuildStatus(R"(plugin { path: "/nonexistent/p.so" })"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("transforms[3]: plugin /nonexistent/p.so: cannot load: ")));
}

// ---------------------------------------------------------------------------------------------
// count

TestRecord Keyed(std::optional<std::string> key, int32_t partition = 0) {
  TestRecord r;
  r.key = std::move(key);
  r.value = "v";
  r.partition = partition;
  return r;
}

TEST(BuiltinsTest, CountKeepsARunningCountPerKeyAndPartition) {
  TestDriverOptions options = DeadLetters();
  options.stores = {"count"};
  TestDriver driver(Build("count {}"), options);
  for (const char* key : {"a", "b", "a", "a", "b"}) ASSERT_OK(driver.Pipe(Keyed(key)));
  ASSERT_OK(driver.Pipe(Keyed("a", /*partition=*/1)));  // another partition, another store
  std::vector<std::string> counts;
  for (const TestOutput& o : driver.outputs()) counts.push_back(*o.header("onceflow-count"));
  EXPECT_THAT(counts, ElementsAre("1", "1", "2", "3", "2", "1"));
  EXPECT_THAT(driver.StoreGet("count", 0, "a"), IsOkAndHolds(std::optional<std::string>("3")));
  EXPECT_THAT(driver.StoreGet("count", 0, "b"), IsOkAndHolds(std::optional<std::string>("2")));
  EXPECT_THAT(driver.StoreGet("count", 1, "a"), IsOkAndHolds(std::optional<std::string>("1")));
  EXPECT_EQ(driver.outputs()[0].value, "v");
}

TEST(BuiltinsTest, CountReplacesItsHeaderAndUsesTheNamedStore) {
  TestDriverOptions options;
  options.stores = {"per-key"};
  TestDriver driver(Build(R"(count { store: "per-key" header: "n" })"), options);
  TestRecord in = Keyed("a");
  in.headers = {{"n", "stale"}, {"other", "x"}, {"n", "stale2"}};
  ASSERT_OK(driver.Pipe(in));
  ASSERT_THAT(driver.outputs(), SizeIs(1));
  EXPECT_THAT(driver.outputs()[0].headers, ElementsAre(Pair("other", "x"), Pair("n", "1")));
  EXPECT_THAT(driver.StoreGet("per-key", 0, "a"), IsOkAndHolds(std::optional<std::string>("1")));
}

TEST(BuiltinsTest, CountRefusesRecordsWithoutAKey) {
  TestDriverOptions options = DeadLetters();
  options.stores = {"count"};
  TestDriver driver(Build("count {}"), options);
  ASSERT_OK(driver.Pipe(Keyed(std::nullopt)));
  ASSERT_OK(driver.Pipe(Keyed("")));
  ASSERT_OK(driver.Pipe(Keyed(std::string(64 * 1024 + 1, 'k'))));
  EXPECT_THAT(driver.outputs(), IsEmpty());
  ASSERT_THAT(driver.dead_letters(), SizeIs(3));
  EXPECT_EQ(driver.dead_letters()[0].header("error-class"), "permanent");
  EXPECT_THAT(*driver.dead_letters()[0].header("error-message"), HasSubstr("no key"));
  EXPECT_THAT(*driver.dead_letters()[2].header("error-message"), HasSubstr("65536"));
}

// The count of an attempt that fails in a later stage is dropped with it: a retried record is
// counted once, a dead-lettered one not at all.
TEST(BuiltinsTest, CountOfAFailedAttemptIsDropped) {
  absl::StatusOr<std::unique_ptr<Transform>> chain = BuildChain(
      Pipeline({"count {}", "chaos { transient_rate: 1 transient_failures: 2 }"}).transforms());
  ASSERT_THAT(chain, IsOk());
  TestDriverOptions options = DeadLetters();
  options.stores = {"count"};
  options.errors.retry.max_attempts = 3;
  TestDriver driver(*std::move(chain), options);
  ASSERT_OK(driver.Pipe(Keyed("a")));
  ASSERT_OK(driver.Pipe(Keyed("a")));
  ASSERT_THAT(driver.outputs(), SizeIs(2));
  EXPECT_EQ(driver.outputs()[0].header("onceflow-count"), "1");
  EXPECT_EQ(driver.outputs()[1].header("onceflow-count"), "2");
  EXPECT_EQ(driver.outputs()[1].header("onceflow-chaos-failures"), "2");
  EXPECT_EQ(driver.retries(), 4);

  // Two attempts only: the record is given up, and its count with it.
  TestDriverOptions fewer = options;
  fewer.errors.retry.max_attempts = 2;
  absl::StatusOr<std::unique_ptr<Transform>> again = BuildChain(
      Pipeline({"count {}", "chaos { transient_rate: 1 transient_failures: 2 }"}).transforms());
  ASSERT_THAT(again, IsOk());
  TestDriver given_up(*std::move(again), fewer);
  ASSERT_OK(given_up.Pipe(Keyed("a")));
  EXPECT_THAT(given_up.outputs(), IsEmpty());
  ASSERT_THAT(given_up.dead_letters(), SizeIs(1));
  EXPECT_EQ(given_up.dead_letters()[0].header("error-class"), "transient");
  EXPECT_THAT(given_up.StoreGet("count", 0, "a"), IsOkAndHolds(std::nullopt));
}

TEST(BuiltinsTest, CountBuildErrors) {
  EXPECT_THAT(BuildStatus(R"(count { store: "a/b" })"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("transforms[3]: count: store 'a/b' may hold only")));
  EXPECT_THAT(BuildStatus(R"(count { store: "dedupe" })"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("the deduper's")));
  EXPECT_THAT(
      StoresOf(Pipeline({"count {}", "passthrough {}", R"(count { store: "b" })"}).transforms()),
      ElementsAre("count", "b"));
}

TEST(BuiltinsTest, CountWithoutItsStoreFailsAtInit) {
  TestDriver driver(Build("count {}"));  // no store declared
  EXPECT_THAT(driver.Pipe(Keyed("a")), StatusIs(absl::StatusCode::kNotFound, HasSubstr("count")));
}

// ---------------------------------------------------------------------------------------------
// chaos

TEST(BuiltinsTest, ChaosFailsChosenRecordsTransientlyThenPasses) {
  TestDriverOptions options = DeadLetters();
  options.errors.retry.max_attempts = 3;
  TestDriver driver(Build("chaos { transient_rate: 0.3 transient_failures: 2 seed: 9 }"), options);
  int chosen = 0;
  for (int64_t offset = 0; offset < 1000; ++offset) {
    if (ChaosChooses(9, 0.3, "input", 0, offset)) ++chosen;
    ASSERT_OK(driver.Pipe(Keyed("k")));
  }
  EXPECT_GT(chosen, 250);
  EXPECT_LT(chosen, 350);
  ASSERT_THAT(driver.outputs(), SizeIs(1000));  // none given up
  EXPECT_THAT(driver.dead_letters(), IsEmpty());
  EXPECT_EQ(driver.retries(), 2 * chosen);
  int marked = 0;
  for (const TestOutput& o : driver.outputs()) {
    if (o.header("onceflow-chaos-failures") == "2") ++marked;
  }
  EXPECT_EQ(marked, chosen);
}

TEST(BuiltinsTest, ChaosChoiceDependsOnSeedAndPosition) {
  EXPECT_FALSE(ChaosChooses(1, 0, "t", 0, 0));
  EXPECT_TRUE(ChaosChooses(1, 1, "t", 0, 0));
  int same = 0;
  for (int64_t offset = 0; offset < 1000; ++offset) {
    EXPECT_EQ(ChaosChooses(5, 0.5, "t", 2, offset), ChaosChooses(5, 0.5, "t", 2, offset));
    if (ChaosChooses(5, 0.5, "t", 2, offset) == ChaosChooses(6, 0.5, "t", 2, offset)) ++same;
  }
  EXPECT_LT(same, 600);  // another seed, another choice (about half agree by chance)
}

TEST(BuiltinsTest, ChaosBuildErrors) {
  EXPECT_THAT(BuildStatus("chaos { transient_rate: 2 }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("transforms[3]: chaos: transient_rate 2 is not between 0 and 1")));
  EXPECT_THAT(BuildStatus("chaos { transient_failures: 100 }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("between 1 and 99")));
}

// ---------------------------------------------------------------------------------------------
// Dedupe options

v1::DedupeConfig Dedupe(const std::string& text) {
  v1::DedupeConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  return config;
}

TEST(BuiltinsTest, DedupeWindows) {
  using std::chrono::milliseconds;
  const std::pair<std::string, milliseconds> cases[] = {
      {"", std::chrono::hours(24)},           {"30s", std::chrono::seconds(30)},
      {"15m", std::chrono::minutes(15)},      {"1h", std::chrono::hours(1)},
      {"24h", std::chrono::hours(24)},        {"7d", std::chrono::hours(7 * 24)},
      {"forever", milliseconds(0)},           {"90s", std::chrono::seconds(90)},
      {"365d", std::chrono::hours(365 * 24)}, {"1h30m", std::chrono::minutes(90)},
      {"1d12h", std::chrono::hours(36)},      {"1500ms", milliseconds(1500)},
  };
  for (const auto& [window, expected] : cases) {
    SCOPED_TRACE(window);
    absl::StatusOr<state::DedupeOptions> options =
        BuildDedupeOptions(Dedupe("window: \"" + window + "\""));
    ASSERT_THAT(options, IsOk());
    EXPECT_EQ(options->window, expected);
  }
  for (const char* bad : {"0s", "1w", "h", "-1h", "1.5h", "1 h", " 1h", "1H", "Forever", "30m1h",
                          "1h1h", "99999999999999999999d", "106751991167301d"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ParseDedupeWindow(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dedupe: window")));
  }
  // The largest whole number of days that fits.
  EXPECT_THAT(ParseDedupeWindow("106751991167d"), IsOk());
}

TEST(BuiltinsTest, DedupeKeySources) {
  struct Case {
    std::string config;
    state::DedupeKeySource source;
    std::string header;
  };
  const Case cases[] = {
      {"", state::DedupeKeySource::kRecordKey, "idempotency-key"},
      {R"(key: "key")", state::DedupeKeySource::kRecordKey, "idempotency-key"},
      {R"(key: "header")", state::DedupeKeySource::kHeader, "idempotency-key"},
      {R"(key: "header" header: "request-id")", state::DedupeKeySource::kHeader, "request-id"},
      {R"(key: "hash")", state::DedupeKeySource::kContentHash, "idempotency-key"},
      {R"(key: "json_hash")", state::DedupeKeySource::kJsonHash, "idempotency-key"},
      {R"(key: "json_field" field: "id")", state::DedupeKeySource::kFunction, "idempotency-key"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.config);
    absl::StatusOr<state::DedupeOptions> options = BuildDedupeOptions(Dedupe(c.config));
    ASSERT_THAT(options, IsOk());
    EXPECT_EQ(options->source, c.source);
    EXPECT_EQ(options->header, c.header);
    EXPECT_EQ(options->window, std::chrono::hours(24));
  }
}

TEST(BuiltinsTest, DedupeJsonFieldExtraction) {
  absl::StatusOr<state::DedupeOptions> options =
      BuildDedupeOptions(Dedupe(R"(key: "json_field" field: "order.id")"));
  ASSERT_THAT(options, IsOk());
  ASSERT_TRUE(options->key_fn);
  const std::pair<std::optional<std::string>, std::optional<std::string>> cases[] = {
      {R"({"order": {"id": "o-1"}})", "o-1"},
      {R"({"order": {"id": "o-\u0031"}})", "o-1"},
      {R"({"order": {"id": 17}})", "17"},
      {R"({"order": {"id": true}})", "true"},
      {R"({"order": {"id": ""}})", std::nullopt},
      {R"({"order": {"id": null}})", std::nullopt},
      {R"({"order": {"id": {"x": 1}}})", std::nullopt},
      {R"({"order": {"id": [1]}})", std::nullopt},
      {R"({"order": {}})", std::nullopt},
      {R"({"id": "top"})", std::nullopt},
      {"not json", std::nullopt},
      {std::nullopt, std::nullopt},
  };
  for (const auto& [value, key] : cases) {
    SCOPED_TRACE(value.value_or("<null>"));
    state::RecordView record;
    if (value.has_value()) record.value = *value;
    EXPECT_THAT(options->key_fn(record), IsOkAndHolds(key));
  }
  // The deduper takes it as is.
  EXPECT_THAT(state::KeyExtractor::Create(*options), IsOk());
}

TEST(BuiltinsTest, DedupeProtoFieldFromADescriptorSet) {
  const std::string config =
      std::string("key: \"proto_field\" field: \"order_id\" descriptor_set: \"") + kDescriptorSet +
      "\" message: \"onceflow.testing.Order\" window: \"7d\"";
  absl::StatusOr<state::DedupeOptions> options = BuildDedupeOptions(Dedupe(config));
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->source, state::DedupeKeySource::kProtoField);
  ASSERT_NE(options->descriptor, nullptr);
  EXPECT_EQ(options->descriptor->full_name(), "onceflow.testing.Order");
  EXPECT_EQ(options->field_path, "order_id");
  EXPECT_EQ(options->window, std::chrono::hours(7 * 24));

  absl::StatusOr<std::unique_ptr<state::KeyExtractor>> extractor =
      state::KeyExtractor::Create(*options);
  ASSERT_THAT(extractor, IsOk());
  const std::string bytes = MakeOrder().SerializeAsString();
  state::RecordView record;
  record.value = bytes;
  EXPECT_THAT((*extractor)->Extract(record), IsOk());
  EXPECT_EQ(*(*extractor)->Extract(record), "o-1");

  // Loading the same set again reuses the pool kept for the process.
  absl::StatusOr<state::DedupeOptions> again = BuildDedupeOptions(Dedupe(config));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->descriptor, options->descriptor);
}

TEST(BuiltinsTest, DedupeBuildErrors) {
  const std::string set = kDescriptorSet;
  const std::pair<std::string, std::string> cases[] = {
      {R"(key: "uuid")", "dedupe: unknown key \"uuid\""},
      {R"(key: "hash" header: "h")",
       "dedupe: header is only used with key header, not with key hash"},
      {R"(field: "id")", "dedupe: field is only used with key json_field or proto_field"},
      {R"(key: "json_field" descriptor_set: "x")",
       "descriptor_set is only used with key proto_field"},
      {R"(key: "json_field" field: "id" message: "x")",
       "message is only used with key proto_field"},
      {R"(key: "json_field")", "dedupe: key json_field needs field"},
      {R"(key: "json_field" field: "a..b")", "dedupe: field: JSON field path"},
      {R"(key: "proto_field" field: "order_id")", "needs field, descriptor_set and message"},
      {"key: \"proto_field\" field: \"order_id\" descriptor_set: \"" + set +
           "\" message: \"onceflow.testing.Nope\"",
       "dedupe: descriptor set " + set + " has no message \"onceflow.testing.Nope\""},
      {"key: \"proto_field\" field: \"unit_price\" descriptor_set: \"" + set +
           "\" message: \"onceflow.testing.Order\"",
       "ends in a field of type double"},
      {"key: \"proto_field\" field: \"nope\" descriptor_set: \"" + set +
           "\" message: \"onceflow.testing.Order\"",
       "has no field \"nope\""},
      {R"(window: "1w")", "dedupe: window \"1w\""},
  };
  for (const auto& [config, message] : cases) {
    SCOPED_TRACE(config);
    EXPECT_THAT(BuildDedupeOptions(Dedupe(config)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)));
  }
  EXPECT_THAT(
      BuildDedupeOptions(Dedupe(
          R"(key: "proto_field" field: "id" descriptor_set: "/nonexistent.desc" message: "a.B")")),
      StatusIs(absl::StatusCode::kNotFound,
               HasSubstr("dedupe: descriptor set: cannot read /nonexistent.desc")));
}

}  // namespace
}  // namespace onceflow::sidecar
