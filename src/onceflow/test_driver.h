// TestDriver: unit-test a transform (or a chain) in process, without Kafka, with the same
// per-record error handling the Processor uses (retries with backoff on a fake clock, then
// dead-letter / skip / fail), and read back outputs, dead letters and failures.
//
//   onceflow::TestDriver driver(onceflow::Map(...));
//   ASSERT_TRUE(driver.Pipe({.key = "k", .value = "hello"}).ok());
//   EXPECT_EQ(driver.outputs().at(0).value, "HELLO");
//
// Like Kafka Streams' TopologyTestDriver. No sleeping: backoff waits advance a fake clock
// (see total_backoff()).
#ifndef ONCEFLOW_TEST_DRIVER_H_
#define ONCEFLOW_TEST_DRIVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "onceflow/processor_options.h"
#include "onceflow/transform.h"

namespace onceflow {

// An input record, owned.
struct TestRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string topic = "input";
  int32_t partition = 0;
  // -1 = the next offset of this topic-partition (0, 1, 2, ...).
  int64_t offset = -1;
  // -1 = the driver's clock.
  int64_t timestamp_ms = -1;
};

// A record the transform emitted (or a dead letter), owned.
struct TestOutput {
  std::string topic;
  int32_t partition = -1;  // -1 = left to the partitioner
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t timestamp_ms = 0;

  // The value of the last header called `name`, if any.
  std::optional<std::string> header(const std::string& name) const;
};

// An input whose transform failed (after retries), and what the policy did with it.
struct TestFailure {
  TestRecord input;
  absl::Status error;
  int attempts = 0;
  ErrorPolicy applied = ErrorPolicy::kFail;
};

struct TestDriverOptions {
  std::string output_topic = "output";
  ErrorOptions errors;
  std::string instance_id = "test-driver";
  // The fake clock's start, ms since the epoch.
  int64_t start_time_ms = 1'700'000'000'000;
  // Stores the transform may ask for (TransformContext::Store), in memory, one per
  // (name, input partition), as in the Processor. Default: none.
  std::vector<std::string> stores;
};

class TestDriver {
 public:
  explicit TestDriver(std::unique_ptr<Transform> transform, TestDriverOptions options = {});
  ~TestDriver();

  TestDriver(const TestDriver&) = delete;
  TestDriver& operator=(const TestDriver&) = delete;

  // Runs one input through the transform. OK unless the input failed under
  // ErrorPolicy::kFail (the error the Processor would stop with); after that, every Pipe
  // returns kFailedPrecondition, as a stopped processor takes nothing more.
  absl::Status Pipe(TestRecord input);

  // Records sent to the output topics (not dead letters), in order.
  const std::vector<TestOutput>& outputs() const;
  // Outputs sent to `topic` only.
  std::vector<TestOutput> outputs(const std::string& topic) const;
  // Records sent to the dead-letter topic, in order.
  const std::vector<TestOutput>& dead_letters() const;
  const std::vector<TestFailure>& failures() const;
  // Transform calls beyond the first, over all inputs.
  int64_t retries() const;
  // Sum of the backoff waits (on the fake clock).
  std::chrono::milliseconds total_backoff() const;
  // The value under `key` in store `store` of `partition` (nullopt if absent).
  absl::StatusOr<std::optional<std::string>> StoreGet(absl::string_view store, int32_t partition,
                                                      absl::string_view key);
  // Moves the fake clock forward.
  void AdvanceClock(std::chrono::milliseconds d);
  int64_t now_ms() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onceflow

#endif  // ONCEFLOW_TEST_DRIVER_H_
