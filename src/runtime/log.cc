#include "runtime/log.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace onceflow::runtime {
namespace {

int LevelFromEnv() {
  const char* env = std::getenv("ONCEFLOW_LOG_LEVEL");
  if (env == nullptr) return static_cast<int>(LogLevel::kInfo);
  const std::string v(env);
  if (v == "debug") return static_cast<int>(LogLevel::kDebug);
  if (v == "warn" || v == "warning") return static_cast<int>(LogLevel::kWarn);
  if (v == "error") return static_cast<int>(LogLevel::kError);
  return static_cast<int>(LogLevel::kInfo);
}

std::atomic<int>& Level() {
  static std::atomic<int> level{LevelFromEnv()};
  return level;
}

const char* Name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO ";
    case LogLevel::kWarn:
      return "WARN ";
    case LogLevel::kError:
      return "ERROR";
  }
  return "?";
}

}  // namespace

void SetLogLevel(LogLevel level) { Level().store(static_cast<int>(level)); }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= Level().load(); }

void Log(LogLevel level, absl::string_view message) {
  if (!LogEnabled(level)) return;
  // One event, one line: messages that embed newlines (e.g. protobuf's JSON parse errors)
  // are folded.
  std::string text(message);
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  const std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()), " ",
                   Name(level), " onceflow: ", text, "\n");
  // One write per line keeps lines whole when threads log at once.
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace onceflow::runtime
