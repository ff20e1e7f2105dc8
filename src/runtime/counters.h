// EngineCounters: what the loop and its committers count, read by stats() from any thread.
#ifndef ONCEFLOW_RUNTIME_COUNTERS_H_
#define ONCEFLOW_RUNTIME_COUNTERS_H_

#include <atomic>
#include <cstdint>

namespace onceflow::runtime {

// Each counter is written by the loop thread only and read (relaxed) from anywhere.
struct EngineCounters {
  std::atomic<int64_t> records_in{0}, records_out{0}, dead_lettered{0}, skipped{0}, retries{0},
      committed{0}, aborted{0}, offset_commits{0}, rewinds{0}, producers_recreated{0},
      rebalances{0};
  // Wall clock (ms since the epoch) when the last commit completed; 0 before the first.
  std::atomic<int64_t> last_commit_ms{0};
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_COUNTERS_H_
