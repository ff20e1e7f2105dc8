// Routes librdkafka's own log lines through onceflow's logger (runtime/log.h), so a process
// writes one format instead of two interleaved ones: librdkafka's default logger prints
// "%4|1795613859.498|GETPID|app-0#producer-1| ..." straight to stderr.
//
//   rd_kafka_conf_set_log_cb(conf, &kafka::LogToOnceflow);   // MakeConf does this for every client
//
// Levels map from syslog's: 0-3 (emerg..err) -> ERROR, 4 (warning) -> WARN, 5 (notice) -> INFO,
// 6-7 (info, debug) -> DEBUG. librdkafka's `log_level` property still decides what it emits;
// onceflow's level (log.level, $ONCEFLOW_LOG_LEVEL) decides what is written. The line names the
// client (rd_kafka_name) and librdkafka's facility:
//   2026-11-22T12:16:52.850Z WARN  librdkafka: [app-0#consumer-1] [FAIL] 127.0.0.1:9092/1: ...
//
// Thread-safety: librdkafka calls the callback from its own threads; runtime::LogAs writes
// each line with one write(2). Nothing escapes the callback (it catches everything).
#ifndef ONCEFLOW_KAFKA_LOG_BRIDGE_H_
#define ONCEFLOW_KAFKA_LOG_BRIDGE_H_

#include <librdkafka/rdkafka.h>

#include "runtime/log.h"

namespace onceflow::kafka {

// The onceflow level a librdkafka (syslog) level maps to.
runtime::LogLevel LogLevelFromSyslog(int level);

// librdkafka's log_cb: writes `message` through runtime::LogAs as logger "librdkafka".
extern "C" void LogToOnceflow(const rd_kafka_t* rk, int level, const char* facility,
                              const char* message);

}  // namespace onceflow::kafka

#endif  // ONCEFLOW_KAFKA_LOG_BRIDGE_H_
