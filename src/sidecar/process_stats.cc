#include "sidecar/process_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace onceflow::sidecar {
namespace {

// The boot time (seconds since the epoch), the "btime" line of /proc/stat.
int64_t BootTime() {
  std::ifstream in("/proc/stat");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("btime ", 0) == 0) {
      int64_t t = 0;
      if (absl::SimpleAtoi(line.substr(6), &t)) return t;
    }
  }
  return 0;
}

}  // namespace

ProcessStats ReadProcessStats() {
  ProcessStats s;
  std::ifstream in("/proc/self/stat");
  std::string stat;
  if (!std::getline(in, stat)) return s;
  // Fields after the command name, which is in parentheses and may hold spaces: field 3 (state)
  // is index 0.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return s;
  const std::vector<std::string> f = absl::StrSplit(stat.substr(close + 2), ' ');
  if (f.size() < 22) return s;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  int64_t utime = 0, stime = 0, start = 0, vsize = 0, rss = 0;
  if (!absl::SimpleAtoi(f[11], &utime) || !absl::SimpleAtoi(f[12], &stime) ||
      !absl::SimpleAtoi(f[19], &start) || !absl::SimpleAtoi(f[20], &vsize) ||
      !absl::SimpleAtoi(f[21], &rss) || ticks <= 0) {
    return s;
  }
  s.cpu_seconds = static_cast<double>(utime + stime) / ticks;
  s.virtual_memory_bytes = vsize;
  s.resident_memory_bytes = static_cast<int64_t>(static_cast<double>(rss) * page);
  s.start_time_seconds = static_cast<double>(BootTime()) + static_cast<double>(start) / ticks;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++s.open_fds;
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) s.max_fds = static_cast<int64_t>(limit.rlim_cur);
  s.ok = true;
  return s;
}

}  // namespace onceflow::sidecar
