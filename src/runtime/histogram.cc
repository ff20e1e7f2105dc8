#include "runtime/histogram.h"

#include <algorithm>

namespace onceflow::runtime {

Histogram::Histogram()
    : bounds_({1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000}),
      counts_(std::make_unique<std::atomic<int64_t>[]>(bounds_.size() + 1)) {}

void Histogram::Observe(double ms) {
  if (ms < 0) ms = 0;
  const size_t i =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), ms) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<int64_t>(ms * 1000), std::memory_order_relaxed);
}

LatencyHistogram Histogram::Snapshot() const {
  LatencyHistogram h;
  h.bounds_ms = bounds_;
  h.counts.resize(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    h.counts[i] = counts_[i].load(std::memory_order_relaxed);
  }
  h.count = count_.load(std::memory_order_relaxed);
  h.sum_ms = static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1000.0;
  return h;
}

}  // namespace onceflow::runtime
