// Plugins through the C ABI: the example plugin (examples/plugin, built against an installed
// onceflow by the ctest fixture plugin_built), the test plugins of tests/testing/bad_plugin.c,
// and every load error LoadPlugin reports.
#include <dlfcn.h>

#include <map>
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
#include "onceflow/plugin_abi.h"
#include "onceflow/record.h"
#include "onceflow/test_driver.h"
#include "onceflow/transform.h"
#include "onceflow/v1/pipeline_config.pb.h"
#include "sidecar/builtins.h"
#include "sidecar/plugin_loader.h"
#include "tests/testing/status_matchers.h"

#if !defined(ONCEFLOW_EXAMPLE_PLUGIN) || !defined(ONCEFLOW_TEST_PLUGIN) || \
    !defined(ONCEFLOW_TEST_PLUGIN_ABI2) || !defined(ONCEFLOW_TEST_PLUGIN_NO_PROCESS)
#error "tests/CMakeLists.txt passes the plugin paths"
#endif

namespace onceflow::sidecar {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

constexpr char kExamplePlugin[] = ONCEFLOW_EXAMPLE_PLUGIN;
constexpr char kTestPlugin[] = ONCEFLOW_TEST_PLUGIN;
constexpr char kAbi2Plugin[] = ONCEFLOW_TEST_PLUGIN_ABI2;
constexpr char kNoProcessPlugin[] = ONCEFLOW_TEST_PLUGIN_NO_PROCESS;

std::unique_ptr<Transform> Load(const std::string& path,
                                const std::map<std::string, std::string>& config = {}) {
  absl::StatusOr<std::unique_ptr<Transform>> t = LoadPlugin(path, config);
  EXPECT_THAT(t, IsOk());
  return t.ok() ? *std::move(t) : nullptr;
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
// The example plugin, built against the installed package

std::unique_ptr<Transform> Redact() {
  return Load(kExamplePlugin, {{"field", "card_number"}, {"keep_last", "4"}});
}

TEST(ExamplePluginTest, MasksTheField) {
  auto redact = Redact();
  ASSERT_NE(redact, nullptr);
  EXPECT_EQ(redact->name(), "plugin:redact");
  TestDriver driver(std::move(redact));
  TestRecord in = Value(R"({"order_id": "o-1", "card_number": "4111111111111111", "n": 2})");
  in.headers = {{"trace", "t-1"}};
  ASSERT_OK(driver.Pipe(in));
  ASSERT_OK(driver.Pipe(Value(R"({"card_number":4111111111111111})")));
  ASSERT_OK(driver.Pipe(Value(R"({"card_number": "12"})")));
  ASSERT_OK(driver.Pipe(Value(R"({"card_number": "\u00e9t\u00e9 2024", "x": [1, {"y": "}"}]})")));
  ASSERT_OK(driver.Pipe(Value(R"({"card_number": {"pan": "4111"}})")));
  ASSERT_THAT(driver.outputs(), SizeIs(5));
  EXPECT_EQ(driver.outputs()[0].value,
            R"({"order_id": "o-1", "card_number": "************1111", "n": 2})");
  EXPECT_EQ(driver.outputs()[0].key, "k");
  EXPECT_THAT(driver.outputs()[0].headers,
              ElementsAre(Pair("trace", "t-1"), Pair("redacted", "card_number")));
  EXPECT_EQ(driver.outputs()[1].value, R"({"card_number":"************1111"})");
  EXPECT_EQ(driver.outputs()[2].value, R"({"card_number": "12"})");
  // An escape sequence counts as one character.
  EXPECT_EQ(driver.outputs()[3].value, R"({"card_number": "****2024", "x": [1, {"y": "}"}]})");
  EXPECT_EQ(driver.outputs()[4].value, R"({"card_number": "[redacted]"})");
}

TEST(ExamplePluginTest, ForwardsRecordsWithoutTheFieldUncopied) {
  auto redact = Redact();
  ASSERT_NE(redact, nullptr);
  const std::string key = "k", value = R"({"order_id": "o-2", "card_number": null})";
  const std::string header_value = "v";
  Record in;
  in.set_topic("orders").set_key(key).set_value(value).add_header("h", header_value);
  CollectingEmitter out;
  ASSERT_OK(redact->Process(in, out));
  ASSERT_THAT(out.records, SizeIs(1));
  const OutputRecord& r = out.records[0];
  EXPECT_EQ(r.value().view().data(), value.data());
  EXPECT_EQ(r.key().view().data(), key.data());
  ASSERT_THAT(r.headers(), SizeIs(1));
  EXPECT_EQ(r.headers()[0].second.view().data(), header_value.data());
  EXPECT_EQ(r.topic(), "");

  TestDriver driver(Redact());
  TestRecord tombstone;
  tombstone.key = "gone";
  ASSERT_OK(driver.Pipe(tombstone));
  ASSERT_THAT(driver.outputs(), SizeIs(1));
  EXPECT_EQ(driver.outputs()[0].value, std::nullopt);
}

TEST(ExamplePluginTest, FailsClosedOnValuesThatAreNotJsonObjects) {
  TestDriver driver(Redact(), DeadLetters());
  TestRecord in = Value("card_number=4111111111111111");
  in.topic = "payments";
  ASSERT_OK(driver.Pipe(in));
  EXPECT_THAT(driver.outputs(), IsEmpty());
  ASSERT_THAT(driver.failures(), SizeIs(1));
  EXPECT_THAT(driver.failures()[0].error,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("plugin:redact: value at payments/0@0 is not a JSON object")));
  EXPECT_THAT(driver.dead_letters(), SizeIs(1));
}

TEST(ExamplePluginTest, RefusesBadConfiguration) {
  EXPECT_THAT(LoadPlugin(kExamplePlugin, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("onceflow_plugin_create failed: setting \"field\" is required")));
  EXPECT_THAT(LoadPlugin(kExamplePlugin, {{"field", "a"}, {"keep", "4"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown setting \"keep\"")));
  EXPECT_THAT(LoadPlugin(kExamplePlugin, {{"field", "a"}, {"keep_last", "four"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("keep_last \"four\" is not a whole number")));
}

TEST(ExamplePluginTest, RunsInAConfiguredChain) {
  v1::PipelineConfig pipeline;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      std::string(R"(
        transforms { route { json_field: "region" topic_prefix: "payments-" } }
        transforms { plugin { path: ")") +
          kExamplePlugin + R"(" config { key: "field" value: "card_number" } } }
        transforms { headers { set { key: "pipeline" value: "redacted" } } }
      )",
      &pipeline));
  absl::StatusOr<std::unique_ptr<Transform>> chain = BuildChain(pipeline.transforms());
  ASSERT_THAT(chain, IsOk());
  EXPECT_EQ((*chain)->name(), "route>plugin:redact>headers");
  TestDriver driver(*std::move(chain));
  ASSERT_OK(driver.Pipe(Value(R"({"region":"eu","card_number":"4111"})")));
  ASSERT_THAT(driver.outputs(), SizeIs(1));
  EXPECT_EQ(driver.outputs()[0].topic, "payments-eu");
  EXPECT_EQ(driver.outputs()[0].value, R"({"region":"eu","card_number":"****"})");
  EXPECT_THAT(driver.outputs()[0].headers,
              ElementsAre(Pair("redacted", "card_number"), Pair("pipeline", "redacted")));
}

// ---------------------------------------------------------------------------------------------
// The host side of the ABI, with the test plugin

TEST(PluginTest, HandsTheRecordToThePlugin) {
  auto t = Load(kTestPlugin, {{"b", "x\"y"}, {"a", "1"}});
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name(), "plugin:test");
  TestDriver driver(std::move(t));
  TestRecord in = Value("hello");
  in.topic = "orders";
  in.partition = 3;
  in.offset = 17;
  in.timestamp_ms = 1234;
  in.headers = {{"h1", "v1"}, {"h1", "v2"}};
  ASSERT_OK(driver.Pipe(in));
  TestRecord no_key;
  no_key.value = "v";
  ASSERT_OK(driver.Pipe(no_key));
  ASSERT_THAT(driver.outputs(), SizeIs(2));
  const TestOutput& out = driver.outputs()[0];
  EXPECT_EQ(out.topic, "output");
  EXPECT_EQ(out.partition, -1);
  EXPECT_EQ(out.key, "k");
  EXPECT_EQ(out.value, "hello");
  EXPECT_EQ(out.timestamp_ms, 1234);
  EXPECT_THAT(out.headers,
              ElementsAre(Pair("h1", "v1"), Pair("h1", "v2"), Pair("seen-topic", "orders"),
                          Pair("seen-partition", "3"), Pair("seen-offset", "17"),
                          Pair("seen-timestamp", "1234"), Pair("seen-key", "k"),
                          Pair("config", R"({"a":"1","b":"x\"y"})")));
  EXPECT_EQ(driver.outputs()[1].key, std::nullopt);
  EXPECT_EQ(driver.outputs()[1].header("seen-key"), "<null>");
}

TEST(PluginTest, BytesInsideTheInputAreNotCopied) {
  auto t = Load(kTestPlugin);
  ASSERT_NE(t, nullptr);
  const std::string key = "key", value = "value";
  Record in;
  in.set_topic("t").set_key(key).set_value(value);
  CollectingEmitter out;
  ASSERT_OK(t->Process(in, out));
  ASSERT_THAT(out.records, SizeIs(1));
  EXPECT_FALSE(out.records[0].key().is_owned());
  EXPECT_EQ(out.records[0].key().view().data(), key.data());
  EXPECT_FALSE(out.records[0].value().is_owned());
  EXPECT_EQ(out.records[0].value().view().data(), value.data());
  // The plugin's own header bytes are copied (it frees them when emit returns).
  EXPECT_EQ(out.records[0].header("seen-topic"), "t");
  EXPECT_TRUE(out.records[0].headers()[0].second.is_owned());
}

TEST(PluginTest, EmitsSeveralOutputsWithDestinations) {
  TestDriver driver(Load(kTestPlugin));
  ASSERT_OK(driver.Pipe(Value("split:a,bb,c")));
  ASSERT_OK(driver.Pipe(Value("drop")));
  ASSERT_THAT(driver.outputs(), SizeIs(3));
  const char* items[] = {"a", "bb", "c"};
  for (int i = 0; i < 3; ++i) {
    const TestOutput& out = driver.outputs()[i];
    EXPECT_EQ(out.topic, std::string("t-") + items[i]);
    EXPECT_EQ(out.partition, 1);
    EXPECT_EQ(out.timestamp_ms, 42);
    EXPECT_EQ(out.key, std::nullopt);
    EXPECT_EQ(out.value, items[i]);
    EXPECT_THAT(out.headers, IsEmpty());
  }
}

TEST(PluginTest, ReturnCodesMapToErrorClasses) {
  struct Case {
    std::string value;
    absl::StatusCode code;
    std::string message;
    int attempts;
  };
  const Case cases[] = {
      {"transient", absl::StatusCode::kUnavailable, "plugin:test: service down at offset 0", 5},
      {"permanent", absl::StatusCode::kInvalidArgument, "plugin:test: cannot handle offset 0", 1},
      {"unknown-code", absl::StatusCode::kInvalidArgument,
       "plugin:test: returned unknown status 7 (treated as permanent)", 1},
      {"bad-topic", absl::StatusCode::kInvalidArgument,
       "plugin:test: output refused: topic \"not a topic\" is not a valid Kafka topic name", 1},
      {"null-value", absl::StatusCode::kInvalidArgument,
       "plugin:test: output refused: value is NULL with a length of 3", 1},
      {"emit-then-fail", absl::StatusCode::kInvalidArgument, "plugin:test: failed after emitting",
       1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    TestDriver driver(Load(kTestPlugin), DeadLetters());
    ASSERT_OK(driver.Pipe(Value(c.value)));
    // Whatever was emitted for a failed input is discarded.
    EXPECT_THAT(driver.outputs(), IsEmpty());
    ASSERT_THAT(driver.failures(), SizeIs(1));
    EXPECT_THAT(driver.failures()[0].error, StatusIs(c.code, HasSubstr(c.message)));
    EXPECT_EQ(driver.failures()[0].attempts, c.attempts);
    ASSERT_THAT(driver.dead_letters(), SizeIs(1));
    EXPECT_EQ(driver.dead_letters()[0].value, c.value);
  }
}

// Reads the test plugin's instance count through a handle of our own.
class LiveInstances {
 public:
  LiveInstances() : handle_(dlopen(kTestPlugin, RTLD_NOW | RTLD_LOCAL)) {
    if (handle_ != nullptr) {
      fn_ = reinterpret_cast<int (*)()>(dlsym(handle_, "onceflow_test_plugin_live_instances"));
    }
  }
  ~LiveInstances() {
    if (handle_ != nullptr) dlclose(handle_);
  }
  int operator()() const { return fn_ != nullptr ? fn_() : -1; }

 private:
  void* handle_;
  int (*fn_)() = nullptr;
};

TEST(PluginTest, EachLoadIsAnInstanceDestroyedWithTheTransform) {
  LiveInstances live;
  ASSERT_EQ(live(), 0);
  auto first = Load(kTestPlugin);
  auto second = Load(kTestPlugin);
  EXPECT_EQ(live(), 2);
  first.reset();
  EXPECT_EQ(live(), 1);
  second.reset();
  EXPECT_EQ(live(), 0);
  // A failed create leaves no instance behind.
  EXPECT_THAT(LoadPlugin(kTestPlugin, {{"fail_create", "boom"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("boom")));
  EXPECT_EQ(live(), 0);
}

// ---------------------------------------------------------------------------------------------
// Load errors

TEST(PluginLoadTest, MissingFile) {
  EXPECT_THAT(LoadPlugin("/nonexistent/plugin.so", {}),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("plugin /nonexistent/plugin.so: cannot load: "
                                 "/nonexistent/plugin.so: cannot open shared object file: No "
                                 "such file or directory")));
  EXPECT_THAT(LoadPlugin("", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("path is empty")));
}

TEST(PluginLoadTest, NotAPlugin) {
  // A real shared library without the ABI: the first symbol looked up is named.
  EXPECT_THAT(LoadPlugin("libm.so.6", {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("plugin libm.so.6: missing symbol onceflow_plugin_abi_version")));
  // Not a shared library at all.
  EXPECT_THAT(LoadPlugin(__FILE__, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot load: ")));
}

TEST(PluginLoadTest, MissingSymbol) {
  EXPECT_THAT(LoadPlugin(kNoProcessPlugin, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(std::string("plugin ") + kNoProcessPlugin +
                                 ": missing symbol onceflow_plugin_process")));
}

TEST(PluginLoadTest, AbiMismatch) {
  EXPECT_THAT(LoadPlugin(kAbi2Plugin, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(std::string("plugin ") + kAbi2Plugin +
                                 ": built for ABI 2, this onceflow speaks 1")));
}

TEST(PluginLoadTest, CreateFailing) {
  EXPECT_THAT(
      LoadPlugin(kTestPlugin, {{"fail_create", "no licence"}}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr(std::string("plugin ") + kTestPlugin +
                         ": onceflow_plugin_create failed: refusing to start: no licence")));
}

TEST(PluginLoadTest, ErrorsThroughBuildTransformNameTheEntry) {
  v1::TransformConfig config;
  config.mutable_plugin()->set_path(kAbi2Plugin);
  EXPECT_THAT(BuildTransform(config, "transforms[4]"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("transforms[4]: plugin " + std::string(kAbi2Plugin) +
                                 ": built for ABI 2")));
}

TEST(PluginConfigJsonTest, EscapesEverything) {
  EXPECT_EQ(PluginConfigJson({}), "{}");
  EXPECT_EQ(PluginConfigJson({{"b", "2"}, {"a", "1"}}), R"({"a":"1","b":"2"})");
  EXPECT_EQ(PluginConfigJson({{"k\"", "q\"b\\n\nt\t\x01"}}), R"({"k\"":"q\"b\\n\nt\t\u0001"})");
}

}  // namespace
}  // namespace onceflow::sidecar
