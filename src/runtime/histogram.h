// Histogram: a thread-safe latency histogram with fixed bucket bounds. Observe() from the
// processing thread, Snapshot() from any thread (each bucket is read atomically; a snapshot
// taken during an Observe may be off by that one observation).
#ifndef ONCEFLOW_RUNTIME_HISTOGRAM_H_
#define ONCEFLOW_RUNTIME_HISTOGRAM_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "onceflow/processor.h"

namespace onceflow::runtime {

class Histogram {
 public:
  // Bounds in ms: 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000.
  Histogram();
  void Observe(double ms);
  LatencyHistogram Snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<int64_t>[]> counts_;
  std::atomic<int64_t> count_{0};
  std::atomic<int64_t> sum_us_{0};
};

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_HISTOGRAM_H_
