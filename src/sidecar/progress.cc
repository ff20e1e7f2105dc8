#include "sidecar/progress.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace onceflow::sidecar {
namespace {

constexpr auto kTerminalPeriod = std::chrono::milliseconds(200);
constexpr auto kLogPeriod = std::chrono::seconds(10);

void WriteStderr(absl::string_view text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

absl::StatusOr<ProgressMode> ParseProgressMode(absl::string_view text) {
  if (text == "auto") return ProgressMode::kAuto;
  if (text == "always") return ProgressMode::kAlways;
  if (text == "never") return ProgressMode::kNever;
  return absl::InvalidArgumentError(
      absl::StrCat("--progress must be auto, always or never; got '", text, "'"));
}

std::string FormatDuration(std::chrono::seconds d) {
  const int64_t s = std::max<int64_t>(0, d.count());
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  if (s >= 60) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%ds", s);
}

Progress::Progress(std::string what, int64_t total, std::string unit, ProgressMode mode)
    : Progress(std::move(what), total, std::move(unit), mode, ::isatty(STDERR_FILENO) == 1,
               &std::chrono::steady_clock::now, &WriteStderr) {}

Progress::Progress(std::string what, int64_t total, std::string unit, ProgressMode mode,
                   bool is_terminal, Clock clock, Writer writer)
    : what_(std::move(what)),
      total_(total),
      unit_(std::move(unit)),
      enabled_(mode == ProgressMode::kAlways || (mode == ProgressMode::kAuto && is_terminal)),
      terminal_(is_terminal),
      clock_(std::move(clock)),
      writer_(std::move(writer)),
      start_(clock_()),
      last_shown_(start_) {}

Progress::~Progress() {
  if (line_open_) writer_("\n");
}

std::string Progress::StatusLine(int64_t done, std::chrono::steady_clock::duration elapsed,
                                 absl::string_view extra) const {
  const auto elapsed_s = std::chrono::duration_cast<std::chrono::seconds>(elapsed);
  std::string line = absl::StrCat(what_, ": ", done, "/", total_, " ", unit_);
  if (total_ > 0) {
    absl::StrAppend(&line, " (", std::min<int64_t>(100, done * 100 / total_), "%)");
  }
  absl::StrAppend(&line, ", ", FormatDuration(elapsed_s), " elapsed");
  if (done > 0 && done < total_ && elapsed >= std::chrono::seconds(1)) {
    // Linear: the rate so far holds for the rest.
    const double left = std::chrono::duration<double>(elapsed).count() *
                        static_cast<double>(total_ - done) / static_cast<double>(done);
    absl::StrAppend(&line, ", ~",
                    FormatDuration(std::chrono::seconds(static_cast<int64_t>(left + 0.5))),
                    " left");
  } else if (done < total_) {
    absl::StrAppend(&line, ", time left not known yet");
  }
  if (!extra.empty()) absl::StrAppend(&line, "; ", extra);
  return line;
}

void Progress::Update(int64_t done, absl::string_view extra) {
  done_ = done;
  extra_ = std::string(extra);
  Show(false);
}

void Progress::Note(absl::string_view line) {
  if (!enabled_) return;
  if (line_open_) {
    writer_("\r\033[K");  // clear the status line; it is drawn again below the note
    line_open_ = false;
  }
  writer_(absl::StrCat(line, "\n"));
  if (terminal_ && shown_once_) Show(true);
}

void Progress::Finish() {
  if (finished_) return;
  Show(true);
  if (line_open_) {
    writer_("\n");
    line_open_ = false;
  }
  finished_ = true;
}

void Progress::Show(bool force) {
  if (!enabled_ || finished_) return;
  const auto now = clock_();
  const auto period = terminal_ ? std::chrono::steady_clock::duration(kTerminalPeriod)
                                : std::chrono::steady_clock::duration(kLogPeriod);
  if (!force && shown_once_ && now - last_shown_ < period) return;
  if (!force && !shown_once_ && !terminal_ && now - start_ < period) return;
  last_shown_ = now;
  shown_once_ = true;
  const std::string line = StatusLine(done_, now - start_, extra_);
  if (terminal_) {
    writer_(absl::StrCat("\r\033[K", line));
    line_open_ = true;
  } else {
    writer_(absl::StrCat(line, "\n"));
  }
}

}  // namespace onceflow::sidecar
