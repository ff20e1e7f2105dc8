// ChildProcess: the one way onceflow starts and supervises another program — the audit's
// `onceflow run` children and broker restarts, the bench's Kafka Streams peer, Kafka's perf
// tools, Maven and gnuplot, and the tests' pipeline children.
//
//   // Supervise: start, signal, poll, wait with a deadline.
//   ONCEFLOW_ASSIGN_OR_RETURN(base::ChildProcess child,
//                             base::ChildProcess::Start({exe, "run", "--config", config},
//                                                       base::SpawnOptions::ToLog(log)));
//   ONCEFLOW_RETURN_IF_ERROR(child.Signal(SIGTERM));
//   absl::StatusOr<base::ChildProcess::Exit> exit = child.Wait(std::chrono::seconds(10));
//
//   // Run to completion and keep what it printed.
//   ONCEFLOW_ASSIGN_OR_RETURN(
//       base::Completion done,
//       base::RunToCompletion({"gnuplot", script}, std::chrono::minutes(1)));
//   if (!done.exit.ok()) ...done.exit.ToString()... done.output ...
//
// How: fork + execve, so the child can ask the kernel to SIGKILL it when its parent dies
// (PR_SET_PDEATHSIG: a test or an audit killed mid-run leaves no children behind), which
// posix_spawn cannot do. Everything the child needs (argv, environment, files, the program's
// path) is prepared before fork: after fork, a multi-threaded process may only make
// async-signal-safe calls. A close-on-exec pipe reports a failed exec back to Start, so "no
// such program" is an error of Start naming the command, not a mysterious exit code 127.
//
// Waiting: Wait() sleeps in poll(2) on a pidfd (pidfd_open(2), Linux 5.3), which becomes
// readable when the child exits: no busy loop, and it returns as soon as the child is gone. Where
// pidfd_open is refused (an old kernel, a seccomp filter), it falls back to polling waitpid every
// 10 ms. Time comes from the kernel here, not from base::Clock: a fake clock cannot make a real
// child exit sooner.
//
// Errors name the command (argv joined, cut at 200 characters):
// "cannot start `mvn -q -f pom.xml package`: mvn is not in PATH".
#ifndef ONCEFLOW_BASE_CHILD_PROCESS_H_
#define ONCEFLOW_BASE_CHILD_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace onceflow::base {

struct Completion;
struct CompletionOptions;

// How a child is started. The child's stdin is always /dev/null (a supervised child must not
// read its parent's terminal), and every signal starts with its default action, unblocked.
struct SpawnOptions {
  // Variables added to the parent's environment, replacing any of the same name.
  // Default: none.
  std::map<std::string, std::string> env;
  // Files the child's stdout and stderr go to. The same path for both is opened once, so the
  // two streams interleave as written instead of overwriting each other. Default: "" (the
  // parent's stdout / stderr).
  std::string stdout_path;
  std::string stderr_path;
  // Append to those files instead of truncating them. Default: false.
  bool append = false;
  // SIGKILL the child when the thread that started it exits (PR_SET_PDEATHSIG; the kernel ties
  // it to the thread, not the process). Turn off for a child that must outlive its starter.
  // Default: true.
  bool kill_with_parent = true;

  // stdout and stderr appended to the log at `path` (a supervised child's log, kept across
  // restarts), with `env` added.
  static SpawnOptions ToLog(std::string path, std::map<std::string, std::string> env = {});
};

// A started child process, owned: the destructor SIGKILLs and reaps a child still running, so
// no child outlives its owner and none is left a zombie.
//
// Thread-safety: one thread at a time (it is a handle, like a file). With kill_with_parent the
// starting thread must outlive the child.
class ChildProcess {
 public:
  struct Exit {
    bool signaled = false;
    int code = 0;    // the exit code when !signaled
    int signal = 0;  // the terminating signal when signaled

    // Exited with code 0.
    bool ok() const { return !signaled && code == 0; }
    // "code 3" or "signal 9": the audit counts exits by this text.
    std::string ToString() const;
  };

  // Starts `argv`: argv[0] is a path, or a name looked up in PATH when it has no '/'.
  // kInvalidArgument for an empty argv; kNotFound when the program does not exist (or is not
  // in PATH); kPermissionDenied when it cannot be executed; kInternal when fork, the output
  // files or exec fail otherwise. Every message names the command (and the file, for an
  // output file that cannot be opened).
  static absl::StatusOr<ChildProcess> Start(const std::vector<std::string>& argv,
                                            const SpawnOptions& options = {});

  // No child (running() is false): a placeholder to assign a started one to.
  ChildProcess() = default;
  ChildProcess(ChildProcess&& other) noexcept;
  // Kills and reaps the child held (as the destructor does) before taking `other`'s.
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  // Started and not yet reaped by Poll() or Wait(). A child that has exited but has not been
  // polled still counts as running.
  bool running() const { return pid_ > 0; }
  // The child's pid; -1 when not running().
  pid_t pid() const { return pid_; }
  // The command line, for messages ("" for a placeholder).
  const std::string& command() const { return command_; }

  // Sends `sig` (SIGTERM, SIGKILL, SIGSTOP, SIGCONT...). kFailedPrecondition when not
  // running(). Safe against pid reuse: the pid stays ours until this object reaps it.
  absl::Status Signal(int sig) const;
  // The exit if the child has exited (reaping it: running() turns false), nullopt if it still
  // runs, is stopped, or there is no child. A waitpid error (only when something else reaped
  // the child, e.g. SIGCHLD set to SIG_IGN) also gives nullopt; Wait() reports it.
  std::optional<Exit> Poll();
  // Waits for the child to exit, at most `timeout` (0 = just look), and reaps it.
  // kDeadlineExceeded when it still runs then (it keeps running; Wait again, or Signal it);
  // kFailedPrecondition when not running(); kInternal when waiting fails.
  absl::StatusOr<Exit> Wait(std::chrono::milliseconds timeout);

 private:
  friend absl::StatusOr<Completion> RunToCompletion(const std::vector<std::string>& argv,
                                                    std::chrono::milliseconds timeout,
                                                    const CompletionOptions& options);

  // Start, with stdout going to `stdout_fd` instead of options.stdout_path when it is >= 0.
  static absl::StatusOr<ChildProcess> Launch(const std::vector<std::string>& argv,
                                             const SpawnOptions& options, int stdout_fd);
  ChildProcess(pid_t pid, UniqueFd pidfd, std::string command)
      : pid_(pid), pidfd_(std::move(pidfd)), command_(std::move(command)) {}
  // Reaps the child if it has exited: the exit, nullopt if not yet, or the waitpid error.
  absl::StatusOr<std::optional<Exit>> Reap();
  // SIGKILLs and reaps a running child.
  void KillAndReap();

  pid_t pid_ = -1;
  UniqueFd pidfd_;  // invalid when pidfd_open was refused: Wait polls then
  std::string command_;
};

// What RunToCompletion does besides starting the child.
struct CompletionOptions {
  // How it is started. When spawn.stdout_path is "", stdout is captured in memory instead of
  // going to the parent's.
  SpawnOptions spawn;
  // After the timeout, or once `stop` turns true plus `stop_grace`, the child gets SIGTERM,
  // then SIGKILL when it is still there `kill_grace` later. Default: 10 s.
  std::chrono::milliseconds kill_grace = std::chrono::seconds(10);
  // When set and it turns true, the child is stopped as on a timeout after `stop_grace`; the
  // result says `stopped`. Not owned; must outlive the call. Default: none.
  const std::atomic<bool>* stop = nullptr;
  // Default: 20 s.
  std::chrono::milliseconds stop_grace = std::chrono::seconds(20);
};

struct Completion {
  ChildProcess::Exit exit;
  bool timed_out = false;  // it was stopped on the timeout
  bool stopped = false;    // it was stopped after `stop` turned true
  // Its stdout: the contents of spawn.stdout_path when set (so stderr too when it is the same
  // file), else what was captured.
  std::string output;
};

// Runs `argv` (as ChildProcess::Start) until it exits, stopping it after `timeout`. Errors are
// Start's, or the output that cannot be read; any exit is a result, not an error.
absl::StatusOr<Completion> RunToCompletion(const std::vector<std::string>& argv,
                                           std::chrono::milliseconds timeout,
                                           const CompletionOptions& options = {});

// The path of `program` (a name without '/') in $PATH: the first directory holding an
// executable regular file of that name; nullopt when there is none.
std::optional<std::string> FindInPath(const std::string& program);

}  // namespace onceflow::base

#endif  // ONCEFLOW_BASE_CHILD_PROCESS_H_
