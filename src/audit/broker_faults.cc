#include "audit/broker_faults.h"

#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace onceflow::audit {
namespace {

using Clock = std::chrono::steady_clock;

BrokerStep Wait(int64_t ms) { return {.argv = {}, .wait_ms = ms}; }

}  // namespace

std::vector<BrokerStep> PlanBrokerFault(FaultKind kind, int broker, const BrokerFaultOptions& o) {
  if (o.brokers <= 1) {
    // The single broker: only a hard restart applies (a stop would be a full outage anyway).
    return {{.argv = {o.script, "restart", "--hard"}}};
  }
  const std::string n = absl::StrCat(o.brokers);
  auto node = [&](int id, std::vector<std::string> action) {
    std::vector<std::string> argv = {o.script, "--cluster", n, "broker", absl::StrCat(id)};
    argv.insert(argv.end(), action.begin(), action.end());
    return BrokerStep{.argv = std::move(argv)};
  };
  const BrokerStep replicated{
      .argv = {o.script, "--cluster", n, "wait-replicated", absl::StrCat(o.replicated_timeout_s)}};
  switch (kind) {
    case FaultKind::kBrokerRestart:
      return {node(broker, {"restart", "--hard"}), replicated};
    case FaultKind::kBrokerKill:
    case FaultKind::kCoordinatorKill:
      return {node(broker, {"kill"}), Wait(o.down_ms), node(broker, {"start"}), replicated};
    case FaultKind::kBrokerPause:
      return {node(broker, {"pause"}), Wait(o.pause_ms), node(broker, {"resume"}), replicated};
    case FaultKind::kRollingRestart: {
      std::vector<BrokerStep> steps;
      for (int id = 1; id <= o.brokers; ++id) {
        steps.push_back(node(id, {"restart"}));
        steps.push_back(replicated);
      }
      return steps;
    }
    case FaultKind::kKill:
    case FaultKind::kPause:
    case FaultKind::kScale:
    case FaultKind::kNetDelay:
    case FaultKind::kNetCut:
    case FaultKind::kIsolate:
      break;
  }
  return {};
}

std::string DescribeSteps(const std::vector<BrokerStep>& steps) {
  std::vector<std::string> parts;
  for (const BrokerStep& s : steps) {
    if (s.argv.empty()) {
      parts.push_back(absl::StrCat("wait ", s.wait_ms, " ms"));
      continue;
    }
    // Without the script's path and the --cluster N before the command.
    size_t from = 1;
    if (s.argv.size() > 3 && s.argv[1] == "--cluster") from = 3;
    parts.push_back(absl::StrJoin(s.argv.begin() + static_cast<std::ptrdiff_t>(from), s.argv.end(),
                                  " "));
  }
  return absl::StrJoin(parts, "; ");
}

BrokerFaultRun::BrokerFaultRun(std::vector<BrokerStep> steps, std::string log_path)
    : steps_(std::move(steps)), log_path_(std::move(log_path)) {}

absl::StatusOr<bool> BrokerFaultRun::Poll() {
  while (true) {
    if (child_.running()) {
      std::optional<base::ChildProcess::Exit> exit = child_.Poll();
      if (!exit.has_value()) return false;
      if (exit->signaled || exit->code != 0) {
        return absl::UnavailableError(absl::StrCat("`", child_what_, "` failed (",
                                                   exit->ToString(), "); see ", log_path_));
      }
    } else if (waiting_) {
      if (Clock::now() < wait_until_) return false;
      waiting_ = false;
    }
    if (next_ >= steps_.size()) return true;
    const BrokerStep& step = steps_[next_++];
    if (step.argv.empty()) {
      waiting_ = true;
      wait_until_ = Clock::now() + std::chrono::milliseconds(step.wait_ms);
      continue;
    }
    child_what_ = absl::StrJoin(step.argv, " ");
    {
      std::ofstream log(log_path_, std::ios::app);
      log << "==== onceflow audit: " << child_what_ << " ====\n";
    }
    absl::StatusOr<base::ChildProcess> child =
        base::ChildProcess::Start(step.argv, base::SpawnOptions::ToLog(log_path_));
    if (!child.ok()) {
      return absl::UnavailableError(
          absl::StrCat("cannot run `", child_what_, "`: ", child.status().message()));
    }
    child_ = *std::move(child);
  }
}

}  // namespace onceflow::audit
