// Clock: the one source of time for onceflow — wall time, steady time and sleeping — injected
// everywhere a decision depends on time, so tests drive time by hand and need no sleeps.
//
//   base::Clock& clock = base::SystemClock();
//   const auto deadline = clock.SteadyNow() + std::chrono::seconds(30);
//   while (clock.SteadyNow() < deadline) { ...; clock.SleepFor(backoff); }
//
//   base::ManualClock fake(/*start_ms=*/1'700'000'000'000);
//   fake.SleepFor(std::chrono::seconds(5));  // returns at once; time moved 5 s
//
// Thread-safety: SystemClock() and ManualClock are safe to use from any thread.
#ifndef ONCEFLOW_BASE_CLOCK_H_
#define ONCEFLOW_BASE_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace onceflow::base {

class Clock {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  // Wall-clock time in milliseconds since the Unix epoch: record timestamps, dedupe windows,
  // dead-letter failed-at headers.
  virtual int64_t NowMs() = 0;
  // Monotonic time: intervals, deadlines, durations.
  virtual SteadyTime SteadyNow() = 0;
  // Blocks for `d` (backoff waits; nothing when d <= 0). A fake clock advances instead.
  virtual void SleepFor(std::chrono::milliseconds d) = 0;
};

// The real clock (system_clock, steady_clock, std::this_thread::sleep_for). Stateless; lives
// until the process exits.
Clock& SystemClock();

// A clock that moves only when told: by Advance() or by SleepFor(), which returns at once.
// Wall and steady time move together.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms), start_ms_(start_ms) {}

  int64_t NowMs() override { return now_ms_.load(); }
  SteadyTime SteadyNow() override {
    return SteadyTime(std::chrono::milliseconds(now_ms_.load() - start_ms_));
  }
  void SleepFor(std::chrono::milliseconds d) override {
    if (d.count() > 0) {
      Advance(d);
      slept_ms_ += d.count();
    }
  }

  void Advance(std::chrono::milliseconds d) { now_ms_ += d.count(); }
  void SetNowMs(int64_t ms) { now_ms_ = ms; }
  // Total time spent in SleepFor (the backoff a test can assert).
  int64_t slept_ms() const { return slept_ms_.load(); }

 private:
  std::atomic<int64_t> now_ms_;
  const int64_t start_ms_;
  std::atomic<int64_t> slept_ms_{0};
};

}  // namespace onceflow::base

#endif  // ONCEFLOW_BASE_CLOCK_H_
