// Fuzz target: the dead-letter encoding (runtime::RecordProcessor under ErrorPolicy::kDeadLetter)
// for any record (null or binary key and value, any headers, any topic, partition, offset and
// timestamp), any error message and code, each header style and retry count. Properties:
//   - the input fails, so exactly one record goes to the dead-letter topic, nothing elsewhere;
//   - its key and value are the input's, byte for byte, null kept null;
//   - the input's headers come first, unchanged and in order;
//   - the last header of each dead-letter name holds exactly what it documents (topic,
//     partition, offset, timestamp, error message, retry count, instance id), so a reader can
//     decode them back.
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "onceflow/processor_options.h"
#include "onceflow/record.h"
#include "onceflow/transform.h"
#include "runtime/record_processor.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using onceflow::DeadLetterHeaderStyle;
using onceflow::OutputRecord;
using onceflow::Record;
namespace rt = onceflow::runtime;

class FakeClock : public onceflow::base::Clock {
 public:
  int64_t NowMs() override { return now_ms; }
  SteadyTime SteadyNow() override { return SteadyTime(std::chrono::milliseconds(now_ms)); }
  void SleepFor(std::chrono::milliseconds d) override { now_ms += d.count(); }
  int64_t now_ms = 1'700'000'000'000;
};

struct Sent {
  std::string topic;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::string>> headers;
};

class RecordingSink : public rt::Sink {
 public:
  absl::Status Send(const std::string& topic, const OutputRecord& record) override {
    Sent s;
    s.topic = topic;
    if (!record.key().is_null()) s.key = std::string(record.key().view());
    if (!record.value().is_null()) s.value = std::string(record.value().view());
    for (const auto& [name, value] : record.headers()) {
      s.headers.emplace_back(std::string(name.view()), std::string(value.view()));
    }
    sent.push_back(std::move(s));
    return absl::OkStatus();
  }
  std::vector<Sent> sent;
};

// Fails every record with `error`, after emitting an output the processor must discard.
class FailingTransform : public onceflow::Transform {
 public:
  explicit FailingTransform(absl::Status error) : error_(std::move(error)) {}
  absl::Status Process(const Record& in, onceflow::Emitter& out) override {
    out.Emit(OutputRecord::Forward(in));
    return error_;
  }
  std::string name() const override { return "failing"; }

 private:
  absl::Status error_;
};

std::optional<std::string> LastHeader(const Sent& s, const std::string& name) {
  for (auto it = s.headers.rbegin(); it != s.headers.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const auto style = static_cast<DeadLetterHeaderStyle>(fdp.ConsumeIntegralInRange<int>(0, 2));
  const int max_attempts = fdp.ConsumeIntegralInRange<int>(1, 3);
  const bool transient = fdp.ConsumeBool();
  const std::string message = fdp.ConsumeRandomLengthString(512);
  const std::string topic = fdp.ConsumeRandomLengthString(64);
  const int32_t partition = fdp.ConsumeIntegralInRange<int32_t>(0, 1 << 20);
  const int64_t offset = fdp.ConsumeIntegralInRange<int64_t>(0, INT64_MAX);
  const int64_t timestamp = fdp.ConsumeIntegralInRange<int64_t>(-1, INT64_MAX);
  const bool has_key = fdp.ConsumeBool();
  const std::string key = fdp.ConsumeRandomLengthString(256);
  const bool has_value = fdp.ConsumeBool();
  std::vector<std::pair<std::string, std::string>> headers(
      fdp.ConsumeIntegralInRange<size_t>(0, 8));
  for (auto& [name, value] : headers) {
    name = fdp.ConsumeRandomLengthString(32);
    value = fdp.ConsumeRandomLengthString(64);
  }
  const std::string value = fdp.ConsumeRemainingBytesAsString();

  Record in;
  in.set_topic(topic)
      .set_partition(onceflow::Partition(partition))
      .set_offset(onceflow::Offset(offset))
      .set_timestamp_ms(timestamp);
  if (has_key) in.set_key(key);
  if (has_value) in.set_value(value);
  for (const auto& [n, v] : headers) in.add_header(n, v);

  const absl::Status error =
      transient ? absl::UnavailableError(message) : absl::InvalidArgumentError(message);
  FailingTransform transform(error);
  rt::RecordProcessorConfig config;
  config.default_topic = "out";
  config.errors.policy = onceflow::ErrorPolicy::kDeadLetter;
  config.errors.dead_letter_topic = "dlq";
  config.errors.header_style = style;
  config.errors.retry.max_attempts = max_attempts;
  config.instance_id = "fuzz-instance";
  RecordingSink sink;
  FakeClock clock;
  rt::RecordProcessor processor(transform, config, sink, clock);
  absl::StatusOr<rt::RecordOutcome> outcome = processor.Process(in);

  FUZZ_CHECK(outcome.ok(), "Process failed: %s", std::string(outcome.status().message()).c_str());
  FUZZ_CHECK(outcome->disposition == rt::RecordOutcome::Disposition::kDeadLettered,
             "disposition %d", static_cast<int>(outcome->disposition));
  const int expected_attempts = transient ? max_attempts : 1;
  FUZZ_CHECK(outcome->attempts == expected_attempts, "attempts %d, expected %d", outcome->attempts,
             expected_attempts);
  FUZZ_CHECK(sink.sent.size() == 1, "%zu records sent", sink.sent.size());
  const Sent& dead = sink.sent[0];
  FUZZ_CHECK(dead.topic == "dlq", "sent to '%s'", dead.topic.c_str());
  FUZZ_CHECK(dead.key.has_value() == has_key && (!has_key || *dead.key == key), "key changed");
  FUZZ_CHECK(dead.value.has_value() == has_value && (!has_value || *dead.value == value),
             "value changed");
  FUZZ_CHECK(dead.headers.size() >= headers.size(), "input headers lost");
  for (size_t i = 0; i < headers.size(); ++i) {
    FUZZ_CHECK(dead.headers[i] == headers[i], "input header %zu changed", i);
  }
  const std::vector<std::pair<const char*, std::string>> expected = {
      {rt::kHeaderOriginalTopic, topic},
      {rt::kHeaderOriginalPartition, absl::StrCat(partition)},
      {rt::kHeaderOriginalOffset, absl::StrCat(offset)},
      {rt::kHeaderOriginalTimestamp, absl::StrCat(timestamp)},
      {rt::kHeaderErrorMessage, message},
      {rt::kHeaderRetryCount, absl::StrCat(expected_attempts - 1)},
      {rt::kHeaderInstanceId, "fuzz-instance"},
  };
  for (const auto& [name, want] : expected) {
    const std::string header = rt::DeadLetterHeaderName(style, name);
    std::optional<std::string> got = LastHeader(dead, header);
    FUZZ_CHECK(got.has_value() && *got == want, "header %s is wrong", header.c_str());
  }
  int64_t decoded_offset = -1;
  FUZZ_CHECK(absl::SimpleAtoi(
                 *LastHeader(dead, rt::DeadLetterHeaderName(style, rt::kHeaderOriginalOffset)),
                 &decoded_offset) &&
                 decoded_offset == offset,
             "offset does not decode back");
  const std::optional<std::string> error_class =
      LastHeader(dead, rt::DeadLetterHeaderName(style, rt::kHeaderErrorClass));
  FUZZ_CHECK(error_class.has_value() && !error_class->empty(), "no error class");
  return 0;
}
