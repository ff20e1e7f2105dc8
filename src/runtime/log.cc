#include "runtime/log.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/json_string.h"

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

int FormatFromEnv() {
  const char* env = std::getenv("ONCEFLOW_LOG_FORMAT");
  return env != nullptr && std::string(env) == "json" ? static_cast<int>(LogFormat::kJson)
                                                      : static_cast<int>(LogFormat::kText);
}

std::atomic<int>& Level() {
  static std::atomic<int> level{LevelFromEnv()};
  return level;
}

std::atomic<int>& Format() {
  static std::atomic<int> format{FormatFromEnv()};
  return format;
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

const char* JsonName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

}  // namespace

void SetLogLevel(LogLevel level) { Level().store(static_cast<int>(level)); }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= Level().load(); }

void SetLogFormat(LogFormat format) { Format().store(static_cast<int>(format)); }

void Log(LogLevel level, absl::string_view message) { LogAs(level, "onceflow", message); }

void LogAs(LogLevel level, absl::string_view logger, absl::string_view message,
           std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields) {
  if (!LogEnabled(level)) return;
  const std::string time =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::string line;
  if (Format().load() == static_cast<int>(LogFormat::kJson)) {
    absl::StrAppend(&line, "{\"time\":\"", time, "\",\"level\":\"", JsonName(level),
                    "\",\"logger\":");
    base::AppendJsonString(logger, line);
    for (const auto& [key, value] : fields) {
      line.push_back(',');
      base::AppendJsonString(key, line);
      line.push_back(':');
      base::AppendJsonString(value, line);
    }
    line += ",\"message\":";
    base::AppendJsonString(message, line);
    line += "}\n";
  } else {
    // One event, one line: messages that embed newlines (e.g. protobuf's JSON parse errors)
    // are folded.
    std::string text(message);
    std::replace(text.begin(), text.end(), '\n', ' ');
    std::replace(text.begin(), text.end(), '\r', ' ');
    absl::StrAppend(&line, time, " ", Name(level), " ", logger, ":");
    for (const auto& field : fields) absl::StrAppend(&line, " [", field.second, "]");
    absl::StrAppend(&line, " ", text, "\n");
  }
  // One write per line keeps lines whole when threads log at once.
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace onceflow::runtime
