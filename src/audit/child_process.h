// A child process the audit starts and supervises: `onceflow run` instances and
// `scripts/kafka restart --hard`. Started with fork + exec so the child can ask the kernel to
// SIGKILL it if the audit dies (PR_SET_PDEATHSIG): an audit killed mid-run leaves no
// processors behind.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(ChildProcess c, ChildProcess::Start({exe, "run", "--config", f},
//                                                                 "/tmp/run/i0.log"));
//   c.Signal(SIGKILL);
//   ONCEFLOW_ASSIGN_OR_RETURN(ChildProcess::Exit e, c.Wait(std::chrono::seconds(10)));
//
// Thread-safety: a ChildProcess is used from one thread, the one that started it (the
// parent-death signal follows the thread that forked).
#ifndef ONCEFLOW_AUDIT_CHILD_PROCESS_H_
#define ONCEFLOW_AUDIT_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace onceflow::audit {

class ChildProcess {
 public:
  struct Exit {
    bool signaled = false;
    int code = 0;    // exit code when !signaled
    int signal = 0;  // the terminating signal when signaled
  };

  // Starts `argv` (argv[0] is a path) with the audit's environment. stdout and stderr are
  // appended to `log_path`.
  static absl::StatusOr<ChildProcess> Start(const std::vector<std::string>& argv,
                                            const std::string& log_path);

  ChildProcess() = default;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // SIGKILLs and reaps a child still running: no child outlives its owner.
  ~ChildProcess();

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  void Signal(int sig) const;
  // The exit if the child has exited (reaping it), nullopt if it still runs.
  std::optional<Exit> Poll();
  // Waits for the exit, at most `timeout` (kDeadlineExceeded then; the child keeps running).
  absl::StatusOr<Exit> Wait(std::chrono::milliseconds timeout);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  void Reset();
  pid_t pid_ = -1;
};

}  // namespace onceflow::audit

#endif  // ONCEFLOW_AUDIT_CHILD_PROCESS_H_
