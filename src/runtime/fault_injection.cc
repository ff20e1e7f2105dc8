#include "runtime/fault_injection.h"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/log.h"

namespace onceflow::runtime {
namespace {

constexpr int kPoints = 6;
constexpr std::array<absl::string_view, kPoints> kNames = {
    "after_produce",       "after_send_offsets",      "after_commit",
    "abort_before_commit", "restore_transport_error", "stop_after_send_offsets"};

struct Faults {
  std::array<std::atomic<int64_t>, kPoints> due_at{};  // 0 = off
  std::array<std::atomic<int64_t>, kPoints> visits{};
};

Faults& State() {
  static Faults faults;
  return faults;
}

}  // namespace

absl::Status ConfigureFaults(absl::string_view spec) {
  Faults& f = State();
  for (int i = 0; i < kPoints; ++i) {
    f.due_at[i] = 0;
    f.visits[i] = 0;
  }
  for (absl::string_view item : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(item, ':');
    int index = -1;
    for (int i = 0; i < kPoints; ++i) {
      if (kNames[i] == kv.first) index = i;
    }
    int64_t n = 0;
    if (index < 0 || !absl::SimpleAtoi(kv.second, &n) || n < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ONCEFLOW_FAULT: bad item '", item,
          "': want <point>:<n>, point one of after_produce, after_send_offsets, after_commit, "
          "abort_before_commit, restore_transport_error, stop_after_send_offsets, n >= 1"));
    }
    f.due_at[index] = n;
  }
  return absl::OkStatus();
}

absl::Status ConfigureFaultsFromEnv() {
  const char* env = std::getenv("ONCEFLOW_FAULT");
  if (env == nullptr || *env == '\0') return absl::OkStatus();
  return ConfigureFaults(env);
}

bool ReachedFaultPoint(FaultPoint point) {
  Faults& f = State();
  const int i = static_cast<int>(point);
  const int64_t due = f.due_at[i].load();
  if (due == 0) return false;
  const int64_t visit = ++f.visits[i];
  if (visit != due) return false;
  if (point == FaultPoint::kAbortBeforeCommit || point == FaultPoint::kRestoreTransportError) {
    Log(LogLevel::kWarn,
        absl::StrCat("fault injection: abortable error at ", kNames[i], " #", visit));
    return true;
  }
  if (point == FaultPoint::kStopAfterSendOffsets) {
    Log(LogLevel::kWarn, absl::StrCat("fault injection: SIGSTOP at ", kNames[i], " #", visit));
    ::kill(::getpid(), SIGSTOP);  // returns after SIGCONT
    return false;
  }
  Log(LogLevel::kWarn, absl::StrCat("fault injection: SIGKILL at ", kNames[i], " #", visit));
  ::kill(::getpid(), SIGKILL);
  ::pause();  // not reached: SIGKILL cannot be caught
  return false;
}

}  // namespace onceflow::runtime
