// Minimal leveled logging (Debian's Abseil 20220623 has no absl/log): one line per event to
// stderr, "2026-11-22T10:00:00.123Z INFO  onceflow: message".
//
//   runtime::Log(runtime::LogLevel::kInfo, absl::StrCat("assigned ", n, " partitions"));
//   runtime::LogAs(runtime::LogLevel::kWarn, "librdkafka", "Connect failed",
//                  {{"client", "app-0#producer-1"}, {"facility", "FAIL"}});
//
// The level comes from $ONCEFLOW_LOG_LEVEL (debug|info|warn|error; default info) unless set
// with SetLogLevel; the format from $ONCEFLOW_LOG_FORMAT (text|json; default text) unless set
// with SetLogFormat. In json, each line is one object:
//   {"time":"2026-11-22T10:00:00.123Z","level":"info","logger":"onceflow","message":"..."}
// with the extra fields after "logger". Thread-safe: each line is written with one write(2).
#ifndef ONCEFLOW_RUNTIME_LOG_H_
#define ONCEFLOW_RUNTIME_LOG_H_

#include <initializer_list>
#include <utility>

#include "absl/strings/string_view.h"

namespace onceflow::runtime {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kText = 0, kJson = 1 };

void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void SetLogFormat(LogFormat format);
void Log(LogLevel level, absl::string_view message);

// As Log, for another component (`logger`, e.g. "librdkafka") with extra fields: in text they
// follow the logger as "[value]" each, in json they are string fields named by their keys.
void LogAs(LogLevel level, absl::string_view logger, absl::string_view message,
           std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields = {});

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_LOG_H_
