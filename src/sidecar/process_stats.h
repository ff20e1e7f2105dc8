// The process figures behind Prometheus' standard process_* metrics (as the official client
// libraries export them), read from /proc on Linux.
//
//   ProcessStats s = ReadProcessStats();
//   s.cpu_seconds, s.resident_memory_bytes, ...
#ifndef ONCEFLOW_SIDECAR_PROCESS_STATS_H_
#define ONCEFLOW_SIDECAR_PROCESS_STATS_H_

#include <cstdint>

namespace onceflow::sidecar {

struct ProcessStats {
  // User + system CPU time (process_cpu_seconds_total).
  double cpu_seconds = 0;
  // Resident set size (process_resident_memory_bytes).
  int64_t resident_memory_bytes = 0;
  // Virtual memory size (process_virtual_memory_bytes).
  int64_t virtual_memory_bytes = 0;
  // Start time since the Unix epoch (process_start_time_seconds).
  double start_time_seconds = 0;
  // Open file descriptors (process_open_fds) and their limit (process_max_fds).
  int64_t open_fds = 0;
  int64_t max_fds = 0;
  // False when /proc could not be read (the figures are then 0 and are not exposed).
  bool ok = false;
};

// This process's figures now. Thread-safe.
ProcessStats ReadProcessStats();

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_PROCESS_STATS_H_
