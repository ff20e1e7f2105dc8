// Child processes for crash tests: start a program with arguments and extra environment,
// signal it, wait for it with a deadline.
//
//   ChildProcess child = ChildProcess::Start({binary, "--mode", "eos"}, {{"ONCEFLOW_FAULT",
//                                              "after_commit:2"}});
//   absl::StatusOr<ChildProcess::Exit> exit = child.Wait(std::chrono::seconds(60));
#ifndef ONCEFLOW_TESTS_TESTING_CHILD_PROCESS_H_
#define ONCEFLOW_TESTS_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace onceflow::testing {

class ChildProcess {
 public:
  struct Exit {
    bool signaled = false;
    int code = 0;    // exit code when !signaled
    int signal = 0;  // terminating signal when signaled
  };

  // Starts `argv` (argv[0] is the path) with the current environment plus `env`. Its stdout
  // and stderr go to `log_path` when given (appended), else to the test's.
  static absl::StatusOr<ChildProcess> Start(const std::vector<std::string>& argv,
                                            const std::map<std::string, std::string>& env = {},
                                            const std::string& log_path = "");

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills (SIGKILL) and reaps a child that is still running.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  void Signal(int sig) const;
  // Waits until the child exits, at most `timeout` (kDeadlineExceeded then; it keeps running).
  absl::StatusOr<Exit> Wait(std::chrono::milliseconds timeout);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

}  // namespace onceflow::testing

#endif  // ONCEFLOW_TESTS_TESTING_CHILD_PROCESS_H_
