#include "kafka/log_bridge.h"

#include <exception>

namespace onceflow::kafka {

runtime::LogLevel LogLevelFromSyslog(int level) {
  if (level <= 3) return runtime::LogLevel::kError;
  if (level == 4) return runtime::LogLevel::kWarn;
  if (level == 5) return runtime::LogLevel::kInfo;
  return runtime::LogLevel::kDebug;
}

extern "C" void LogToOnceflow(const rd_kafka_t* rk, int level, const char* facility,
                              const char* message) {
  const runtime::LogLevel ours = LogLevelFromSyslog(level);
  if (!runtime::LogEnabled(ours)) return;
  try {
    const char* client = rk != nullptr ? rd_kafka_name(rk) : nullptr;
    runtime::LogAs(ours, "librdkafka", message != nullptr ? message : "",
                   {{"client", client != nullptr ? client : ""},
                    {"facility", facility != nullptr ? facility : ""}});
  } catch (...) {
    // Out of memory while formatting a log line: drop the line, never unwind into librdkafka.
  }
}

}  // namespace onceflow::kafka
