// A fixture for tests that run onceflow_test_pipeline child processes against the broker.
#ifndef ONCEFLOW_TESTS_TESTING_PIPELINE_TEST_H_
#define ONCEFLOW_TESTS_TESTING_PIPELINE_TEST_H_

#include <chrono>
#include <string>
#include <vector>

#include "tests/testing/kafka_test.h"

namespace onceflow::testing {

class PipelineTest : public KafkaTest {
 protected:
  // Arguments for onceflow_test_pipeline (transform "tag": value + "|t", header "src"), with
  // session.timeout.ms 6000 unless `extra` has "group.protocol=consumer" (the broker's then).
  static std::vector<std::string> ChildArgs(const std::string& app, const std::string& instance,
                                            const std::string& in, const std::string& out,
                                            const std::string& mode,
                                            std::vector<std::string> extra = {});
  // A log file for a child of the current test, kept for post-mortems.
  static std::string LogPath(absl::string_view name);
  // A fresh, empty folder for this test (under /tmp).
  static std::string TempDir(absl::string_view name);
  // Writes `yaml` to a fresh pipeline.yaml of this test and returns its path.
  static std::string WriteConfig(const std::string& yaml);
  // Arguments for `onceflow run --config CONFIG EXTRA...`.
  static std::vector<std::string> SidecarArgs(const std::string& config,
                                              std::vector<std::string> extra = {});
  // Produces (key, value) pairs without transactions, round-robin over `partitions`.
  void ProduceKeyValues(const std::string& topic,
                        const std::vector<std::pair<std::string, std::string>>& kv,
                        int partitions = 1);
  // Runs the child `args` once per fault with $ONCEFLOW_FAULT=<fault>, asserting each run dies
  // by SIGKILL at its fault point (so the fault did happen), then once more with
  // --stop-when-caught-up, asserting it drains the input and exits 0. Logs go to
  // LogPath("child"). Call inside ASSERT_NO_FATAL_FAILURE.
  void KillAtEachFaultThenDrain(const std::vector<std::string>& args,
                                const std::vector<std::string>& faults);
  // Waits until `group` has committed at least `min_total` input offsets in sum.
  void WaitForCommittedAtLeast(const std::string& group, const std::string& topic,
                               int64_t min_total, std::chrono::seconds timeout);
};

}  // namespace onceflow::testing

#endif  // ONCEFLOW_TESTS_TESTING_PIPELINE_TEST_H_
