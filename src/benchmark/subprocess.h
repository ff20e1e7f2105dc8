// Child processes for `onceflow bench`: the Kafka Streams peer, Kafka's perf tools, Maven and
// gnuplot. Output goes to files (no pipes to drain while the child runs), and the child's own
// CPU time comes back from wait4().
//
//   ONCEFLOW_ASSIGN_OR_RETURN(ChildResult r,
//                             RunChild({"java", "-version"}, {.stdout_path = out_file}));
//   if (r.exit_code != 0) ...
#ifndef ONCEFLOW_BENCHMARK_SUBPROCESS_H_
#define ONCEFLOW_BENCHMARK_SUBPROCESS_H_

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace onceflow::benchmark {

struct ChildOptions {
  // Where the child's stdout / stderr go (truncated first). Empty: /dev/null.
  std::string stdout_path;
  std::string stderr_path;
  // Killed (SIGTERM, then SIGKILL after `kill_grace`) when it runs longer than this.
  std::chrono::milliseconds timeout = std::chrono::minutes(30);
  // When set and it becomes true, the child gets `stop_grace` to exit by itself, then is
  // killed as on a timeout. Not an error: the result says `stopped`.
  const std::atomic<bool>* stop = nullptr;
  std::chrono::milliseconds stop_grace = std::chrono::seconds(20);
  std::chrono::milliseconds kill_grace = std::chrono::seconds(10);
};

struct ChildResult {
  int exit_code = -1;      // when it exited
  int signal = 0;          // when a signal ended it
  bool timed_out = false;  // we killed it on `timeout`
  bool stopped = false;    // we killed it after `stop`
  double cpu_seconds = 0;  // user + system of the child (and its reaped children)
  std::string stdout_text;
};

// Runs `argv` (argv[0] looked up in PATH) to completion. kNotFound when the program cannot be
// started, with its name in the message; any exit code is a result, not an error.
absl::StatusOr<ChildResult> RunChild(const std::vector<std::string>& argv,
                                     const ChildOptions& options);

// The last `max_lines` lines of a text file (for error messages about a failed child).
std::string TailOfFile(const std::string& path, int max_lines);

// Whether `program` is an executable found in PATH.
bool InPath(const std::string& program);

}  // namespace onceflow::benchmark

#endif  // ONCEFLOW_BENCHMARK_SUBPROCESS_H_
