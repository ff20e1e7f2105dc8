#include "onceflow/transform.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onceflow/record.h"
#include "tests/testing/status_matchers.h"

namespace onceflow {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class CollectingEmitter : public Emitter {
 public:
  void Emit(OutputRecord record) override { records.push_back(std::move(record)); }

  std::vector<std::string> Values() const {
    std::vector<std::string> out;
    for (const OutputRecord& r : records) out.emplace_back(r.value().view());
    return out;
  }

  std::vector<OutputRecord> records;
};

Record MakeRecord(const std::string& key, const std::string& value) {
  Record r;
  r.set_topic("in")
      .set_partition(Partition(1))
      .set_offset(Offset(10))
      .set_key(key)
      .set_value(value);
  return r;
}

std::unique_ptr<Transform> Upper() {
  return Map(
      [](const Record& r) {
        return OutputRecord::Forward(r).SetValue(absl::AsciiStrToUpper(r.value()));
      },
      "upper");
}

std::unique_ptr<Transform> LongOnly() {
  return Filter([](const Record& r) { return r.value().size() > 3; }, "long");
}

TEST(ErrorClassTest, ConstructorsAndClassification) {
  EXPECT_THAT(TransientError("down"), StatusIs(absl::StatusCode::kUnavailable, "down"));
  EXPECT_THAT(PermanentError("bad"), StatusIs(absl::StatusCode::kInvalidArgument, "bad"));

  struct Case {
    absl::StatusCode code;
    bool transient;
  };
  const Case cases[] = {
      {absl::StatusCode::kUnavailable, true},
      {absl::StatusCode::kDeadlineExceeded, true},
      {absl::StatusCode::kResourceExhausted, true},
      {absl::StatusCode::kInvalidArgument, false},
      {absl::StatusCode::kInternal, false},
      {absl::StatusCode::kAborted, false},
      {absl::StatusCode::kFailedPrecondition, false},
      {absl::StatusCode::kNotFound, false},
      {absl::StatusCode::kUnknown, false},
      {absl::StatusCode::kDataLoss, false},
      {absl::StatusCode::kCancelled, false},
  };
  for (const Case& c : cases) {
    const absl::Status st(c.code, "x");
    SCOPED_TRACE(st.ToString());
    EXPECT_EQ(IsTransient(st), c.transient);
    EXPECT_STREQ(ErrorClass(st), c.transient ? "transient" : "permanent");
  }
}

TEST(PassthroughTest, ForwardsWithoutCopyingThePayload) {
  const std::string key = "a-key-long-enough-to-live-on-the-heap";
  const std::string value = "a-value-long-enough-to-live-on-the-heap";
  Record in = MakeRecord(key, value);
  in.add_header("h", "v");
  auto t = Passthrough();
  CollectingEmitter out;
  ASSERT_THAT(t->Process(in, out), IsOk());
  ASSERT_EQ(out.records.size(), 1u);
  const OutputRecord& r = out.records[0];
  EXPECT_EQ(r.key().view().data(), key.data());
  EXPECT_EQ(r.value().view().data(), value.data());
  EXPECT_FALSE(r.value().is_owned());
  EXPECT_EQ(r.header("h"), absl::string_view("v"));
  EXPECT_EQ(r.topic(), "");
  EXPECT_EQ(t->name(), "passthrough");
}

TEST(MapFilterFlatMapTest, Basics) {
  const std::string key = "k";
  CollectingEmitter out;
  const std::string hello = "hello";
  const std::string hi = "hi";

  auto upper = Upper();
  ASSERT_THAT(upper->Process(MakeRecord(key, hello), out), IsOk());
  auto long_only = LongOnly();
  ASSERT_THAT(long_only->Process(MakeRecord(key, hi), out), IsOk());
  ASSERT_THAT(long_only->Process(MakeRecord(key, hello), out), IsOk());
  auto split = FlatMap([](const Record& r, Emitter& e) {
    for (absl::string_view part : absl::StrSplit(r.value(), 'l')) {
      e.Emit(OutputRecord::Forward(r).SetValueView(part));
    }
    return absl::OkStatus();
  });
  ASSERT_THAT(split->Process(MakeRecord(key, hello), out), IsOk());
  EXPECT_THAT(out.Values(), ElementsAre("HELLO", "hello", "he", "", "o"));
  EXPECT_EQ(out.records[1].value().view().data(), hello.data());  // Filter forwards views
  EXPECT_EQ(upper->name(), "upper");
  EXPECT_EQ(split->name(), "flat_map");
}

TEST(MapFilterFlatMapTest, MapReturningStatusOrPropagatesErrors) {
  auto t = Map([](const Record& r) -> absl::StatusOr<OutputRecord> {
    if (r.value() == "bad") return PermanentError("cannot handle bad");
    return OutputRecord::Forward(r);
  });
  CollectingEmitter out;
  EXPECT_THAT(t->Process(MakeRecord("k", "bad"), out),
              StatusIs(absl::StatusCode::kInvalidArgument, "cannot handle bad"));
  EXPECT_THAT(out.records, IsEmpty());
  const std::string good = "good";
  EXPECT_THAT(t->Process(MakeRecord("k", good), out), IsOk());
  EXPECT_THAT(out.Values(), ElementsAre("good"));
}

TEST(ChainTest, FilterThenMap) {
  auto chain = Chain(LongOnly(), Upper());
  EXPECT_EQ(chain->name(), "long>upper");
  const std::string key = "a-key-long-enough-to-live-on-the-heap";
  const std::string short_value = "hi";
  const std::string long_value = "hello";

  CollectingEmitter out;
  ASSERT_THAT(chain->Process(MakeRecord(key, short_value), out), IsOk());
  EXPECT_THAT(out.records, IsEmpty());
  ASSERT_THAT(chain->Process(MakeRecord(key, long_value), out), IsOk());
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].value().view(), "HELLO");
  // The key went through both stages as a view of the input: still not copied.
  EXPECT_FALSE(out.records[0].key().is_owned());
  EXPECT_EQ(out.records[0].key().view().data(), key.data());
}

TEST(ChainTest, PassthroughChainIsZeroCopy) {
  auto chain = Chain(Passthrough(), Passthrough(), Passthrough());
  EXPECT_EQ(chain->name(), "passthrough>passthrough>passthrough");
  const std::string key = "a-key-long-enough-to-live-on-the-heap";
  const std::string value = "a-value-long-enough-to-live-on-the-heap";
  CollectingEmitter out;
  ASSERT_THAT(chain->Process(MakeRecord(key, value), out), IsOk());
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].key().view().data(), key.data());
  EXPECT_EQ(out.records[0].value().view().data(), value.data());
}

TEST(ChainTest, ErrorMidChainEmitsNothing) {
  int third_stage_calls = 0;
  auto split = FlatMap(
      [](const Record& r, Emitter& e) {
        for (absl::string_view part : absl::StrSplit(r.value(), ',')) {
          e.Emit(OutputRecord::Forward(r).SetValueView(part));
        }
        return absl::OkStatus();
      },
      "split");
  auto check = Map(
      [](const Record& r) -> absl::StatusOr<OutputRecord> {
        if (r.value() == "bad") return TransientError("service down for bad");
        return OutputRecord::Forward(r);
      },
      "check");
  auto count = Map(
      [&third_stage_calls](const Record& r) {
        ++third_stage_calls;
        return OutputRecord::Forward(r);
      },
      "count");
  auto chain = Chain(std::move(split), std::move(check), std::move(count));
  EXPECT_EQ(chain->name(), "split>check>count");

  CollectingEmitter out;
  const std::string value = "a,bad,c";
  EXPECT_THAT(chain->Process(MakeRecord("k", value), out),
              StatusIs(absl::StatusCode::kUnavailable, "service down for bad"));
  EXPECT_THAT(out.records, IsEmpty());
  EXPECT_EQ(third_stage_calls, 0);

  // The chain is reusable after an error, and keeps order across fan-out.
  const std::string ok_value = "a,b,c";
  ASSERT_THAT(chain->Process(MakeRecord("k", ok_value), out), IsOk());
  EXPECT_THAT(out.Values(), ElementsAre("a", "b", "c"));
  EXPECT_EQ(third_stage_calls, 3);
}

TEST(ChainTest, OutputsOutliveTheChainsIntermediateStages) {
  // Stage 1 owns a new value; stage 2 forwards it as a view. The chain's final outputs must
  // not point into stage 1's outputs, which the chain drops before returning.
  auto chain = Chain(Upper(), Passthrough());
  const std::string key = "k";
  const std::string first = "first-value-long-enough-to-live-on-the-heap";
  const std::string second = "second-value-long-enough-to-live-on-the-heap";
  CollectingEmitter out;
  ASSERT_THAT(chain->Process(MakeRecord(key, first), out), IsOk());
  ASSERT_THAT(chain->Process(MakeRecord(key, second), out), IsOk());
  EXPECT_THAT(out.Values(), ElementsAre("FIRST-VALUE-LONG-ENOUGH-TO-LIVE-ON-THE-HEAP",
                                        "SECOND-VALUE-LONG-ENOUGH-TO-LIVE-ON-THE-HEAP"));
  EXPECT_TRUE(out.records[0].value().is_owned());
  // The key still views the input: Upper forwarded it, Passthrough too.
  EXPECT_EQ(out.records[0].key().view().data(), key.data());
}

TEST(ChainTest, IntermediateHeadersAreOwnedInTheFinalOutput) {
  auto tag = Map(
      [](const Record& r) {
        return OutputRecord::Forward(r).AddHeader("stage", "one-long-enough-for-the-heap-xxxx");
      },
      "tag");
  auto chain = Chain(std::move(tag), Passthrough());
  const std::string key = "k";
  const std::string value = "v";
  CollectingEmitter out;
  ASSERT_THAT(chain->Process(MakeRecord(key, value), out), IsOk());
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].header("stage"), absl::string_view("one-long-enough-for-the-heap-xxxx"));
  EXPECT_TRUE(out.records[0].headers()[0].second.is_owned());
}

TEST(ChainTest, NestedAndEmptyChains) {
  auto nested = Chain(Chain(LongOnly(), Upper()), Chain(Passthrough()));
  EXPECT_EQ(nested->name(), "long>upper>passthrough");
  const std::string a = "alpha";
  const std::string b = "be";
  const std::string c = "gamma";
  CollectingEmitter out;
  for (const std::string* v : {&a, &b, &c}) {
    ASSERT_THAT(nested->Process(MakeRecord("k", *v), out), IsOk());
  }
  EXPECT_THAT(out.Values(), ElementsAre("ALPHA", "GAMMA"));

  auto empty = Chain(std::vector<std::unique_ptr<Transform>>{});
  CollectingEmitter out2;
  ASSERT_THAT(empty->Process(MakeRecord("k", a), out2), IsOk());
  ASSERT_EQ(out2.records.size(), 1u);
  EXPECT_EQ(out2.records[0].value().view().data(), a.data());
}

TEST(ChainTest, LaterStagesSeeTheOriginsPosition) {
  std::vector<std::string> seen;
  auto record_position = Map(
      [&seen](const Record& r) {
        seen.push_back(std::string(r.topic()) + "/" + std::to_string(r.partition().value()) + "/" +
                       std::to_string(r.offset().value()));
        return OutputRecord::Forward(r);
      },
      "position");
  auto chain = Chain(Upper(), std::move(record_position));
  CollectingEmitter out;
  ASSERT_THAT(chain->Process(MakeRecord("k", "v"), out), IsOk());
  EXPECT_THAT(seen, ElementsAre("in/1/10"));
}

}  // namespace
}  // namespace onceflow
