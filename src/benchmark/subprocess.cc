#include "benchmark/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace onceflow::benchmark {
namespace {

using SteadyClock = std::chrono::steady_clock;

double Seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

// Owns posix_spawn_file_actions_t for its scope.
class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  void Redirect(int fd, const std::string& path) {
    posix_spawn_file_actions_addopen(&actions_, fd, path.empty() ? "/dev/null" : path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

// Kills and reaps a child still running when it goes out of scope (an early return).
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ~ChildGuard() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  void Release() { pid_ = -1; }

 private:
  pid_t pid_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

absl::StatusOr<ChildResult> RunChild(const std::vector<std::string>& argv,
                                     const ChildOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("RunChild: empty argv");
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  FileActions actions;
  actions.Redirect(STDOUT_FILENO, options.stdout_path);
  actions.Redirect(STDERR_FILENO, options.stderr_path);
  pid_t pid = -1;
  const int err = posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(), environ);
  if (err != 0) {
    return absl::NotFoundError(absl::StrCat("cannot start ", argv[0], ": ", std::strerror(err)));
  }
  ChildGuard guard(pid);

  ChildResult result;
  const auto start = SteadyClock::now();
  SteadyClock::time_point kill_at = SteadyClock::time_point::max();
  bool term_sent = false;
  while (true) {
    int status = 0;
    rusage ru{};
    const pid_t r = wait4(pid, &status, WNOHANG, &ru);
    if (r == pid) {
      guard.Release();
      result.cpu_seconds = Seconds(ru.ru_utime) + Seconds(ru.ru_stime);
      if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
      break;
    }
    if (r < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("waiting for ", argv[0], ": ", std::strerror(errno)));
    }
    const auto now = SteadyClock::now();
    if (!term_sent) {
      if (now - start > options.timeout) {
        result.timed_out = true;
        kill_at = now;
      } else if (options.stop != nullptr && options.stop->load() &&
                 kill_at == SteadyClock::time_point::max()) {
        result.stopped = true;
        kill_at = now + options.stop_grace;
      }
      if (now >= kill_at) {
        kill(pid, SIGTERM);
        term_sent = true;
        kill_at = now + options.kill_grace;
      }
    } else if (now >= kill_at) {
      kill(pid, SIGKILL);
      kill_at = SteadyClock::time_point::max();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!options.stdout_path.empty()) result.stdout_text = ReadFile(options.stdout_path);
  return result;
}

std::string TailOfFile(const std::string& path, int max_lines) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (static_cast<int>(lines.size()) > max_lines) lines.pop_front();
  }
  std::string out;
  for (const std::string& l : lines) absl::StrAppend(&out, "  | ", l, "\n");
  return out;
}

bool InPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    const std::string candidate = absl::StrCat(dir, "/", program);
    if (access(candidate.c_str(), X_OK) == 0) return true;
  }
  return false;
}

}  // namespace onceflow::benchmark
