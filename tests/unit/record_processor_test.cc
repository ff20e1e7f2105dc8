#include "base/clock.h"
#include "runtime/record_processor.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onceflow/processor_options.h"
#include "onceflow/record.h"
#include "onceflow/transform.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::runtime {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using Disposition = RecordOutcome::Disposition;
using std::chrono::milliseconds;

class FakeClock : public base::Clock {
 public:
  int64_t NowMs() override { return now_ms; }
  SteadyTime SteadyNow() override { return SteadyTime(std::chrono::milliseconds(now_ms)); }
  void SleepFor(milliseconds d) override {
    sleeps.push_back(d);
    now_ms += d.count();
  }
  int64_t now_ms = 1'700'000'000'000;
  std::vector<milliseconds> sleeps;
};

// What a Sink saw, copied during Send (views are valid only then).
struct Sent {
  std::string topic;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t timestamp_ms = 0;
  const char* key_data = nullptr;  // the pointers the sink saw, to check for copies
  const char* value_data = nullptr;

  std::optional<std::string> header(const std::string& name) const {
    for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
      if (it->first == name) return it->second;
    }
    return std::nullopt;
  }
};

class RecordingSink : public Sink {
 public:
  absl::Status Send(const std::string& topic, const OutputRecord& record) override {
    if (fail_after >= 0 && static_cast<int>(sent.size()) >= fail_after) {
      return absl::AbortedError("sink: transaction must abort");
    }
    Sent s;
    s.topic = topic;
    if (!record.key().is_null()) s.key = std::string(record.key().view());
    if (!record.value().is_null()) s.value = std::string(record.value().view());
    for (const auto& [name, value] : record.headers()) {
      s.headers.emplace_back(std::string(name.view()), std::string(value.view()));
    }
    s.timestamp_ms = record.timestamp_ms();
    s.key_data = record.key().view().data();
    s.value_data = record.value().view().data();
    sent.push_back(std::move(s));
    return absl::OkStatus();
  }

  int fail_after = -1;  // fail every Send once this many records were sent; -1 = never
  std::vector<Sent> sent;
};

// A transform that returns the scripted statuses in turn (OK once the script runs out), and on
// OK emits one forwarded record per entry of `emit_topics`.
class ScriptedTransform : public Transform {
 public:
  ScriptedTransform(std::vector<absl::Status> script, std::vector<std::string> emit_topics = {""})
      : script_(script.begin(), script.end()), emit_topics_(std::move(emit_topics)) {}

  absl::Status Process(const Record& in, Emitter& out) override {
    ++calls;
    // Emit before failing: the processor must discard these.
    for (const std::string& topic : emit_topics_) {
      out.Emit(OutputRecord::Forward(in).SetTopic(topic));
    }
    if (script_.empty()) return absl::OkStatus();
    absl::Status st = script_.front();
    script_.pop_front();
    return st;
  }
  std::string name() const override { return "scripted"; }

  int calls = 0;

 private:
  std::deque<absl::Status> script_;
  std::vector<std::string> emit_topics_;
};

RecordProcessorConfig Config(ErrorPolicy policy, int max_attempts = 3) {
  RecordProcessorConfig config;
  config.default_topic = "out";
  config.errors.policy = policy;
  config.errors.dead_letter_topic = "dlq";
  config.errors.retry.max_attempts = max_attempts;
  config.errors.retry.base_backoff = milliseconds(100);
  config.errors.retry.max_backoff = milliseconds(5000);
  config.instance_id = "instance-7";
  return config;
}

// An input with owned storage.
struct Input {
  std::string topic = "orders";
  std::string key = "key-long-enough-to-live-on-the-heap";
  std::string value = "value-long-enough-to-live-on-the-heap";
  Record View() const {
    Record r;
    r.set_topic(topic)
        .set_partition(Partition(2))
        .set_offset(Offset(17))
        .set_timestamp_ms(1'699'999'999'000)
        .set_key(key)
        .set_value(value)
        .add_header("trace-id", "t-1")
        .add_header("tenant", "acme");
    return r;
  }
};

TEST(RecordProcessorTest, SendsEveryOutputInOrderWithResolvedTopics) {
  ScriptedTransform t({}, {"", "audit", ""});
  RecordingSink sink;
  FakeClock clock;
  RecordProcessor rp(t, Config(ErrorPolicy::kFail), sink, clock);
  Input input;
  ASSERT_OK_AND_ASSIGN(RecordOutcome outcome, rp.Process(input.View()));
  EXPECT_EQ(outcome.disposition, Disposition::kProcessed);
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_EQ(outcome.outputs, 3u);
  EXPECT_THAT(outcome.error, IsOk());
  ASSERT_EQ(sink.sent.size(), 3u);
  EXPECT_EQ(sink.sent[0].topic, "out");
  EXPECT_EQ(sink.sent[1].topic, "audit");
  EXPECT_EQ(sink.sent[2].topic, "out");
  // Forwarded outputs reach the sink as views of the input: no payload copy.
  EXPECT_EQ(sink.sent[0].value_data, input.value.data());
  EXPECT_EQ(sink.sent[0].key_data, input.key.data());
  EXPECT_THAT(sink.sent[0].headers, ElementsAre(Pair("trace-id", "t-1"), Pair("tenant", "acme")));
  EXPECT_THAT(clock.sleeps, IsEmpty());
}

TEST(RecordProcessorTest, ZeroOutputsIsProcessed) {
  auto t = Filter([](const Record&) { return false; });
  RecordingSink sink;
  FakeClock clock;
  RecordProcessor rp(*t, Config(ErrorPolicy::kFail), sink, clock);
  ASSERT_OK_AND_ASSIGN(RecordOutcome outcome, rp.Process(Input().View()));
  EXPECT_EQ(outcome.disposition, Disposition::kProcessed);
  EXPECT_EQ(outcome.outputs, 0u);
  EXPECT_THAT(sink.sent, IsEmpty());
}

TEST(RecordProcessorTest, BackoffIsExactForAFixedSeed) {
  // Expected values computed independently (splitmix64 seeded with 0x5eed, factor
  // 0.8 + 0.4 * (next >> 11) * 2^-53, rounded to the nearest ms).
  ScriptedTransform t({});
  RecordingSink sink;
  FakeClock clock;
  RecordProcessorConfig config = Config(ErrorPolicy::kFail);
  ASSERT_EQ(config.jitter_seed, 0x5eedu);
  RecordProcessor rp(t, config, sink, clock);
  struct Case {
    int attempt;
    int64_t nominal;
    int64_t want;
  };
  const Case cases[] = {{2, 100, 82},    {3, 200, 187},   {4, 400, 378},   {5, 800, 781},
                        {6, 1600, 1310}, {7, 3200, 3034}, {8, 5000, 4324}, {9, 5000, 4145}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.attempt);
    const milliseconds got = rp.Backoff(c.attempt);
    EXPECT_EQ(got, milliseconds(c.want));
    EXPECT_GE(got.count(), c.nominal * 8 / 10);
    EXPECT_LE(got.count(), c.nominal * 12 / 10);
  }
  EXPECT_EQ(rp.Backoff(1), milliseconds(0));  // no wait before the first attempt
}

TEST(RecordProcessorTest, BackoffStaysWithinJitterBoundsForManySeeds) {
  ScriptedTransform t({});
  RecordingSink sink;
  FakeClock clock;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    RecordProcessorConfig config = Config(ErrorPolicy::kFail);
    config.jitter_seed = seed;
    RecordProcessor rp(t, config, sink, clock);
    RecordProcessor same(t, config, sink, clock);
    for (int attempt = 2; attempt <= 12; ++attempt) {
      const int64_t nominal = std::min<int64_t>(5000, int64_t{100} << (attempt - 2));
      const milliseconds got = rp.Backoff(attempt);
      ASSERT_GE(got.count(), nominal * 8 / 10) << "seed " << seed << " attempt " << attempt;
      ASSERT_LE(got.count(), nominal * 12 / 10) << "seed " << seed << " attempt " << attempt;
      ASSERT_EQ(same.Backoff(attempt), got) << "same seed, same sequence";
    }
  }
}

TEST(RecordProcessorTest, TransientThenSuccessAfterTwoRetries) {
  ScriptedTransform t({TransientError("down"), absl::DeadlineExceededError("slow")});
  RecordingSink sink;
  FakeClock clock;
  RecordProcessor rp(t, Config(ErrorPolicy::kFail, /*max_attempts=*/5), sink, clock);
  const int64_t start = clock.now_ms;
  ASSERT_OK_AND_ASSIGN(RecordOutcome outcome, rp.Process(Input().View()));
  EXPECT_EQ(outcome.disposition, Disposition::kProcessed);
  EXPECT_EQ(outcome.attempts, 3);
  EXPECT_EQ(t.calls, 3);
  EXPECT_EQ(outcome.outputs, 1u);
  EXPECT_EQ(sink.sent.size(), 1u);  // the failed attempts' emissions were discarded
  EXPECT_THAT(clock.sleeps, ElementsAre(milliseconds(82), milliseconds(187)));
  EXPECT_EQ(clock.now_ms, start + 82 + 187);
}

TEST(RecordProcessorTest, PermanentErrorsAreNotRetried) {
  ScriptedTransform t({PermanentError("bad record")});
  RecordingSink sink;
  FakeClock clock;
  RecordProcessor rp(t, Config(ErrorPolicy::kSkip, /*max_attempts=*/5), sink, clock);
  ASSERT_OK_AND_ASSIGN(RecordOutcome outcome, rp.Process(Input().View()));
  EXPECT_EQ(outcome.disposition, Disposition::kSkipped);
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_THAT(outcome.error, StatusIs(absl::StatusCode::kInvalidArgument, "bad record"));
  EXPECT_THAT(clock.sleeps, IsEmpty());
  EXPECT_THAT(sink.sent, IsEmpty());
}

TEST(RecordProcessorTest, TransientErrorsExhaustTheAttempts) {
  ScriptedTransform t({TransientError("down 1"), TransientError("down 2"), TransientError("down 3"),
                       absl::OkStatus()});
  RecordingSink sink;
  FakeClock clock;
  RecordProcessor rp(t, Config(ErrorPolicy::kSkip, /*max_attempts=*/3), sink, clock);
  ASSERT_OK_AND_ASSIGN(RecordOutcome outcome, rp.Process(Input().View()));
  EXPECT_EQ(outcome.disposition, Disposition::kSkipped);
  EXPECT_EQ(outcome.attempts, 3);
  EXPECT_EQ(t.calls, 3);
  EXPECT_EQ(outcome.outputs, 0u);
  EXPECT_THAT(outcome.error, StatusIs(absl::StatusCode::kUnavailable, "down 3"));  // the last
  EXPECT_THAT(clock.sleeps, ElementsAre(milliseconds(82), milliseconds(187)));
  EXPECT_THAT(sink.sent, IsEmpty());
}

TEST(RecordProcessorTest, MaxAttemptsOfOneMeansNoRetry) {
  ScriptedTransform t({TransientError("down")});
  RecordingSink sink;
  FakeClock clock;
  RecordProcessor rp(t, Config(ErrorPolicy::kFail, /*max_attempts=*/1), sink, clock);
  ASSERT_OK_AND_ASSIGN(RecordOutcome outcome, rp.Process(Input().View()));
  EXPECT_EQ(outcome.disposition, Disposition::kFailed);
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_THAT(clock.sleeps, IsEmpty());
}

TEST(RecordProcessorTest, EachErrorPolicy) {
  struct Case {
    ErrorPolicy policy;
    Disposition want;
    size_t outputs;
    size_t dead_letters;
  };
  const Case cases[] = {
      {ErrorPolicy::kDeadLetter, Disposition::kDeadLettered, 1, 1},
      {ErrorPolicy::kSkip, Disposition::kSkipped, 0, 0},
      {ErrorPolicy::kFail, Disposition::kFailed, 0, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.policy));
    ScriptedTransform t({PermanentError("boom")});
    RecordingSink sink;
    FakeClock clock;
    RecordProcessor rp(t, Config(c.policy), sink, clock);
    ASSERT_OK_AND_ASSIGN(RecordOutcome outcome, rp.Process(Input().View()));
    EXPECT_EQ(outcome.disposition, c.want);
    EXPECT_EQ(outcome.outputs, c.outputs);
    EXPECT_EQ(outcome.attempts, 1);
    EXPECT_THAT(outcome.error, StatusIs(absl::StatusCode::kInvalidArgument, "boom"));
    ASSERT_EQ(sink.sent.size(), c.dead_letters);
    if (c.dead_letters == 1) {
      EXPECT_EQ(sink.sent[0].topic, "dlq");
    }

    // The processor goes on with the next input whatever the previous outcome.
    ASSERT_OK_AND_ASSIGN(RecordOutcome next, rp.Process(Input().View()));
    EXPECT_EQ(next.disposition, Disposition::kProcessed);
  }
}

TEST(RecordProcessorTest, DeadLetterCarriesTheInputAndEveryHeader) {
  ScriptedTransform t({TransientError("db down"), TransientError("db still down")});
  RecordingSink sink;
  FakeClock clock;
  RecordProcessor rp(t, Config(ErrorPolicy::kDeadLetter, /*max_attempts=*/2), sink, clock);
  Input input;
  ASSERT_OK_AND_ASSIGN(RecordOutcome outcome, rp.Process(input.View()));
  EXPECT_EQ(outcome.disposition, Disposition::kDeadLettered);
  EXPECT_EQ(outcome.outputs, 1u);
  EXPECT_EQ(outcome.attempts, 2);
  ASSERT_EQ(sink.sent.size(), 1u);
  const Sent& dl = sink.sent[0];
  EXPECT_EQ(dl.topic, "dlq");
  EXPECT_EQ(dl.key, input.key);
  EXPECT_EQ(dl.value, input.value);
  EXPECT_EQ(dl.key_data, input.key.data());  // views, not copies
  EXPECT_EQ(dl.value_data, input.value.data());
  EXPECT_EQ(dl.timestamp_ms, 0);  // stamped by the producer
  EXPECT_THAT(dl.headers,
              ElementsAre(Pair("trace-id", "t-1"), Pair("tenant", "acme"),
                          Pair(kHeaderOriginalTopic, "orders"), Pair(kHeaderOriginalPartition, "2"),
                          Pair(kHeaderOriginalOffset, "17"),
                          Pair(kHeaderOriginalTimestamp, "1699999999000"),
                          Pair(kHeaderErrorClass, "transient"),
                          Pair(kHeaderErrorMessage, "db still down"), Pair(kHeaderRetryCount, "1"),
                          Pair(kHeaderFailedAt, "1700000000082"),  // after one 82 ms backoff
                          Pair(kHeaderInstanceId, "instance-7")));
  // The header names are the documented ones.
  EXPECT_EQ(dl.header("original-topic"), "orders");
  EXPECT_EQ(dl.header("original-partition"), "2");
  EXPECT_EQ(dl.header("original-offset"), "17");
  EXPECT_EQ(dl.header("original-timestamp"), "1699999999000");
  EXPECT_EQ(dl.header("error-class"), "transient");
  EXPECT_EQ(dl.header("error-message"), "db still down");
  EXPECT_EQ(dl.header("retry-count"), "1");
  EXPECT_EQ(dl.header("failed-at"), "1700000000082");
  EXPECT_EQ(dl.header("instance-id"), "instance-7");
}

TEST(RecordProcessorTest, DeadLetterOfNullKeyAndValueKeepsThemNull) {
  ScriptedTransform t({PermanentError("tombstones not allowed")});
  RecordingSink sink;
  FakeClock clock;
  RecordProcessor rp(t, Config(ErrorPolicy::kDeadLetter), sink, clock);
  Record tombstone;
  tombstone.set_topic("orders").set_partition(Partition(0)).set_offset(Offset(5));
  ASSERT_OK_AND_ASSIGN(RecordOutcome outcome, rp.Process(tombstone));
  EXPECT_EQ(outcome.disposition, Disposition::kDeadLettered);
  ASSERT_EQ(sink.sent.size(), 1u);
  EXPECT_EQ(sink.sent[0].key, std::nullopt);
  EXPECT_EQ(sink.sent[0].value, std::nullopt);
  EXPECT_EQ(sink.sent[0].header(kHeaderErrorClass), "permanent");
  EXPECT_EQ(sink.sent[0].header(kHeaderRetryCount), "0");
  EXPECT_EQ(sink.sent[0].header(kHeaderOriginalTimestamp), "-1");
  EXPECT_EQ(sink.sent[0].header(kHeaderFailedAt), "1700000000000");
}

TEST(RecordProcessorTest, NoTopicFailsTheInputPermanently) {
  ScriptedTransform t({}, {"named", ""});
  RecordingSink sink;
  FakeClock clock;
  RecordProcessorConfig config = Config(ErrorPolicy::kDeadLetter, /*max_attempts=*/5);
  config.default_topic.clear();
  RecordProcessor rp(t, config, sink, clock);
  ASSERT_OK_AND_ASSIGN(RecordOutcome outcome, rp.Process(Input().View()));
  EXPECT_EQ(outcome.disposition, Disposition::kDeadLettered);
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_THAT(outcome.error,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("output 1 of transform 'scripted' names no topic")));
  // Nothing of the input's outputs was sent (not even the one that named a topic).
  ASSERT_EQ(sink.sent.size(), 1u);
  EXPECT_EQ(sink.sent[0].topic, "dlq");
  EXPECT_EQ(sink.sent[0].header(kHeaderErrorClass), "permanent");
}

TEST(RecordProcessorTest, SinkFailureIsTheErrorStatus) {
  ScriptedTransform t({}, {"", ""});
  RecordingSink sink;
  sink.fail_after = 1;
  FakeClock clock;
  RecordProcessor rp(t, Config(ErrorPolicy::kSkip), sink, clock);
  EXPECT_THAT(rp.Process(Input().View()),
              StatusIs(absl::StatusCode::kAborted, "sink: transaction must abort"));
  EXPECT_EQ(t.calls, 1);  // a sink failure is not a transform failure: no retry
}

TEST(RecordProcessorTest, DeadLetterSinkFailureIsTheErrorStatus) {
  ScriptedTransform t({PermanentError("boom")});
  RecordingSink sink;
  sink.fail_after = 0;
  FakeClock clock;
  RecordProcessor rp(t, Config(ErrorPolicy::kDeadLetter), sink, clock);
  EXPECT_THAT(rp.Process(Input().View()),
              StatusIs(absl::StatusCode::kAborted, "sink: transaction must abort"));
}

TEST(RecordProcessorTest, DeadLetterPolicyWithoutTopicFails) {
  ScriptedTransform t({PermanentError("boom")});
  RecordingSink sink;
  FakeClock clock;
  RecordProcessorConfig config = Config(ErrorPolicy::kDeadLetter);
  config.errors.dead_letter_topic.clear();
  RecordProcessor rp(t, config, sink, clock);
  ASSERT_OK_AND_ASSIGN(RecordOutcome outcome, rp.Process(Input().View()));
  EXPECT_EQ(outcome.disposition, Disposition::kFailed);
  EXPECT_THAT(outcome.error,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("dead_letter_topic")));
  EXPECT_THAT(sink.sent, IsEmpty());
}

TEST(SystemClockTest, IsOneInstanceAndTicks) {
  base::Clock& a = base::SystemClock();
  base::Clock& b = base::SystemClock();
  EXPECT_EQ(&a, &b);
  const int64_t now = a.NowMs();
  EXPECT_GT(now, int64_t{1'600'000'000'000});
  a.SleepFor(milliseconds(0));  // returns at once
  EXPECT_GE(a.NowMs(), now);
}

TEST(DeadLetterHeaderNameTest, StylesMapKnownHeadersAndPrefixTheRest) {
  struct Case {
    DeadLetterHeaderStyle style;
    const char* onceflow;
    const char* expected;
  };
  const Case cases[] = {
      {DeadLetterHeaderStyle::kOnceflow, kHeaderOriginalTopic, "original-topic"},
      {DeadLetterHeaderStyle::kKafkaStreams, kHeaderOriginalTopic, "__streams.errors.topic"},
      {DeadLetterHeaderStyle::kKafkaStreams, kHeaderErrorMessage, "__streams.errors.message"},
      {DeadLetterHeaderStyle::kKafkaStreams, kHeaderErrorClass, "__streams.errors.exception"},
      {DeadLetterHeaderStyle::kKafkaStreams, kHeaderRetryCount,
       "__streams.errors.onceflow.retry-count"},
      {DeadLetterHeaderStyle::kKafkaConnect, kHeaderOriginalOffset, "__connect.errors.offset"},
      {DeadLetterHeaderStyle::kKafkaConnect, kHeaderErrorClass,
       "__connect.errors.exception.class.name"},
      {DeadLetterHeaderStyle::kKafkaConnect, kHeaderErrorMessage,
       "__connect.errors.exception.message"},
      {DeadLetterHeaderStyle::kKafkaConnect, kHeaderInstanceId,
       "__connect.errors.onceflow.instance-id"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DeadLetterHeaderName(c.style, c.onceflow), c.expected) << c.onceflow;
  }
}

}  // namespace
}  // namespace onceflow::runtime
