#include "base/clock.h"

#include <thread>

namespace onceflow::base {
namespace {

class RealClock final : public Clock {
 public:
  int64_t NowMs() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  SteadyTime SteadyNow() override { return std::chrono::steady_clock::now(); }
  void SleepFor(std::chrono::milliseconds d) override {
    if (d.count() > 0) std::this_thread::sleep_for(d);
  }
};

}  // namespace

Clock& SystemClock() {
  // Stateless and trivially destructible in effect: a function-local static is safe to use
  // until exit.
  static RealClock clock;
  return clock;
}

}  // namespace onceflow::base
