// Progress of a long run (`onceflow bench`, `onceflow audit`) on stderr: a count, how far that is,
// the time so far and an estimate of the time left.
//
//   Progress progress("bench", total_runs, "runs", ProgressMode::kAuto);
//   progress.Note("onceflow-eos: run 1/3: 120000 rec/s");   // a line of its own
//   progress.Update(++done);                                // "bench: 4/12 runs (33%), 1m05s
//                                                           //  elapsed, ~2m10s left"
//   progress.Finish();
//
// kAuto shows progress only on a terminal; kAlways also when stderr is a file or a pipe (CI);
// kNever shows nothing, not even the notes. On a terminal the status line is rewritten in place
// ("\r") at most 5 times a second and notes are printed above it; elsewhere a status line is
// printed every 10 s and at the end, so a log shows the run advancing without flooding.
//
// Thread-safety: one thread drives a Progress. The clock is injected for tests.
#ifndef ONCEFLOW_SIDECAR_PROGRESS_H_
#define ONCEFLOW_SIDECAR_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onceflow::sidecar {

enum class ProgressMode { kAuto, kAlways, kNever };

// "auto", "always" or "never".
absl::StatusOr<ProgressMode> ParseProgressMode(absl::string_view text);

// "1h02m", "3m05s", "42s".
std::string FormatDuration(std::chrono::seconds d);

class Progress {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // Writes one chunk of text (default: write(2) to stderr).
  using Writer = std::function<void(absl::string_view)>;

  // `what` starts every status line; `unit` names the count ("records", "runs"). `is_terminal`
  // defaults to isatty(stderr).
  Progress(std::string what, int64_t total, std::string unit, ProgressMode mode);
  Progress(std::string what, int64_t total, std::string unit, ProgressMode mode, bool is_terminal,
           Clock clock, Writer writer);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Whether anything is shown at all.
  bool enabled() const { return enabled_; }
  // Changes the total (once it is known).
  void set_total(int64_t total) { total_ = total; }

  // `done` of `total` are done; `extra` is appended to the status line ("output seen 1200").
  void Update(int64_t done, absl::string_view extra = "");
  // A line of its own (shown when enabled).
  void Note(absl::string_view line);
  // The final status line; later calls do nothing.
  void Finish();

  // The status line for `done` after `elapsed`: "what: done/total unit (p%), E elapsed, ~L left".
  std::string StatusLine(int64_t done, std::chrono::steady_clock::duration elapsed,
                         absl::string_view extra) const;

 private:
  void Show(bool force);

  std::string what_;
  int64_t total_;
  std::string unit_;
  bool enabled_;
  bool terminal_;
  Clock clock_;
  Writer writer_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_shown_;
  bool shown_once_ = false;
  bool line_open_ = false;  // a terminal status line waits to be overwritten
  bool finished_ = false;
  int64_t done_ = 0;
  std::string extra_;
};

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_PROGRESS_H_
