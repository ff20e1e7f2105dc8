// Minimal leveled logging (Debian's Abseil 20220623 has no absl/log): one line per event to
// stderr, "2026-11-22T10:00:00.123Z INFO  onceflow: message".
//
//   runtime::Log(runtime::LogLevel::kInfo, absl::StrCat("assigned ", n, " partitions"));
//
// The level comes from $ONCEFLOW_LOG_LEVEL (debug|info|warn|error; default info) unless set
// with SetLogLevel. Thread-safe: each line is written with one write(2).
#ifndef ONCEFLOW_RUNTIME_LOG_H_
#define ONCEFLOW_RUNTIME_LOG_H_

#include "absl/strings/string_view.h"

namespace onceflow::runtime {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void Log(LogLevel level, absl::string_view message);

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_LOG_H_
