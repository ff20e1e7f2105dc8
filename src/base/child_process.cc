#include "base/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/clock.h"
#include "base/file.h"

extern char** environ;

namespace onceflow::base {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Without a pidfd, how often Wait looks at waitpid.
constexpr milliseconds kWaitPollInterval{10};
// How often RunToCompletion looks at its `stop` flag.
constexpr milliseconds kStopCheckInterval{50};

// The command line for messages: argv joined, cut to a readable length.
std::string CommandText(const std::vector<std::string>& argv) {
  constexpr size_t kMax = 200;
  std::string text = absl::StrJoin(argv, " ");
  if (text.size() > kMax) text = absl::StrCat(text.substr(0, kMax - 3), "...");
  return text;
}

absl::Status StartError(absl::StatusCode code, const std::string& command, absl::string_view why) {
  return absl::Status(code, absl::StrCat("cannot start `", command, "`: ", why));
}

// A NULL-terminated array of C strings that owns its strings.
class CStrings {
 public:
  explicit CStrings(std::vector<std::string> strings) : strings_(std::move(strings)) {
    for (std::string& s : strings_) pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
  }
  char* const* get() const { return pointers_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
};

// The parent's environment with `extra` added (replacing variables of the same name).
std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const absl::string_view entry(*e);
    const std::string name(entry.substr(0, entry.find('=')));
    if (extra.count(name) == 0) env.emplace_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(absl::StrCat(name, "=", value));
  return env;
}

ChildProcess::Exit ExitFromStatus(int status) {
  ChildProcess::Exit exit;
  if (WIFSIGNALED(status)) {
    exit.signaled = true;
    exit.signal = WTERMSIG(status);
  } else {
    exit.code = WEXITSTATUS(status);
  }
  return exit;
}

// In the child: makes `fd` the descriptor `target`, without close-on-exec.
// Async-signal-safe.
bool MoveTo(int fd, int target) {
  if (fd == target) return ::fcntl(fd, F_SETFD, 0) == 0;
  return ::dup2(fd, target) == target;
}

// What the child runs between fork and exec: async-signal-safe calls only. Never returns.
// A failure is reported to the parent as errno on `error_pipe`.
[[noreturn]] void ExecChild(pid_t parent, bool kill_with_parent, int stdin_fd, int stdout_fd,
                            int stderr_fd, int error_pipe, const char* path, char* const* argv,
                            char* const* envp) {
  if (kill_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
  }
  // Signals start clean: handlers are reset by exec anyway, but an ignored signal or a blocked
  // mask would be inherited (a child that cannot be SIGTERMed).
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    ::sigaction(sig, &dfl, nullptr);  // fails harmlessly
                                      // for KILL, STOP
  int err = 0;
  if (!MoveTo(stdin_fd, STDIN_FILENO) || (stdout_fd >= 0 && !MoveTo(stdout_fd, STDOUT_FILENO)) ||
      (stderr_fd >= 0 && !MoveTo(stderr_fd, STDERR_FILENO))) {
    err = errno;
  } else {
    ::execve(path, argv, envp);
    err = errno;
  }
  (void)!::write(error_pipe, &err, sizeof(err));
  ::_exit(127);
}

// Opens an output file of the child (close-on-exec: the child gets it through dup2).
absl::StatusOr<UniqueFd> OpenOutput(const std::string& path, bool append,
                                    const std::string& command) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
  UniqueFd fd(::open(path.c_str(), flags, 0644));
  if (!fd.valid()) {
    return StartError(absl::StatusCode::kInternal, command,
                      absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  return fd;
}

}  // namespace

SpawnOptions SpawnOptions::ToLog(std::string path, std::map<std::string, std::string> env) {
  SpawnOptions options;
  options.env = std::move(env);
  options.stdout_path = path;
  options.stderr_path = std::move(path);
  options.append = true;
  return options;
}

std::string ChildProcess::Exit::ToString() const {
  return signaled ? absl::StrCat("signal ", signal) : absl::StrCat("code ", code);
}

absl::StatusOr<ChildProcess> ChildProcess::Start(const std::vector<std::string>& argv,
                                                 const SpawnOptions& options) {
  return Launch(argv, options, -1);
}

absl::StatusOr<ChildProcess> ChildProcess::Launch(const std::vector<std::string>& argv,
                                                  const SpawnOptions& options, int stdout_fd) {
  if (argv.empty() || argv[0].empty()) {
    return absl::InvalidArgumentError("cannot start a child process: no program given");
  }
  const std::string command = CommandText(argv);

  // Everything the child needs, prepared before fork.
  std::string path = argv[0];
  if (path.find('/') == std::string::npos) {
    std::optional<std::string> found = FindInPath(path);
    if (!found.has_value()) {
      return StartError(absl::StatusCode::kNotFound, command,
                        absl::StrCat(path, " is not in PATH"));
    }
    path = *std::move(found);
  }
  const CStrings child_argv(argv);
  const CStrings child_env(ChildEnvironment(options.env));
  UniqueFd stdin_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!stdin_fd.valid()) {
    return StartError(absl::StatusCode::kInternal, command,
                      absl::StrCat("cannot open /dev/null: ", std::strerror(errno)));
  }
  UniqueFd out_file;
  UniqueFd err_file;
  if (stdout_fd < 0 && !options.stdout_path.empty()) {
    absl::StatusOr<UniqueFd> fd = OpenOutput(options.stdout_path, options.append, command);
    if (!fd.ok()) return fd.status();
    out_file = *std::move(fd);
    stdout_fd = out_file.get();
  }
  int stderr_fd = -1;
  if (!options.stderr_path.empty()) {
    if (out_file.valid() && options.stderr_path == options.stdout_path) {
      stderr_fd = out_file.get();  // one open file: the streams interleave, not overwrite
    } else {
      absl::StatusOr<UniqueFd> fd = OpenOutput(options.stderr_path, options.append, command);
      if (!fd.ok()) return fd.status();
      err_file = *std::move(fd);
      stderr_fd = err_file.get();
    }
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return StartError(absl::StatusCode::kInternal, command,
                      absl::StrCat("pipe: ", std::strerror(errno)));
  }
  UniqueFd error_read(pipe_fds[0]);
  UniqueFd error_write(pipe_fds[1]);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    return StartError(absl::StatusCode::kInternal, command,
                      absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    ExecChild(parent, options.kill_with_parent, stdin_fd.get(), stdout_fd, stderr_fd,
              error_write.get(), path.c_str(), child_argv.get(), child_env.get());
  }
  // Own the child at once, so every return below reaps it.
  ChildProcess child(pid, UniqueFd(), command);
  error_write.reset();
  // The pipe closes on a successful exec, or carries errno when exec (or a dup2) failed.
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(error_read.get(), &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    const absl::StatusCode code = exec_errno == ENOENT   ? absl::StatusCode::kNotFound
                                  : exec_errno == EACCES ? absl::StatusCode::kPermissionDenied
                                                         : absl::StatusCode::kInternal;
    return StartError(code, command, std::strerror(exec_errno));
  }
  // Refused by old kernels and some sandboxes; Wait polls then. Through syscall(2): glibc
  // 2.36's <sys/pidfd.h> declares pidfd_open without extern "C", so C++ cannot link it.
  child.pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      command_(std::move(other.command_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    KillAndReap();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
    command_ = std::move(other.command_);
  }
  return *this;
}

ChildProcess::~ChildProcess() { KillAndReap(); }

void ChildProcess::KillAndReap() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);  // SIGKILL also ends a stopped (SIGSTOP) child
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  pidfd_.reset();
}

absl::Status ChildProcess::Signal(int sig) const {
  if (pid_ <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot send signal ", sig, " to `", command_, "`: no child running"));
  }
  if (::kill(pid_, sig) != 0) {
    return absl::InternalError(absl::StrCat("cannot send signal ", sig, " to `", command_,
                                            "` (pid ", pid_, "): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ChildProcess::Exit>> ChildProcess::Reap() {
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return std::optional<Exit>();
  if (r < 0) {
    return absl::InternalError(
        absl::StrCat("waiting for `", command_, "` (pid ", pid_, "): ", std::strerror(errno)));
  }
  pid_ = -1;
  pidfd_.reset();
  return std::optional<Exit>(ExitFromStatus(status));
}

std::optional<ChildProcess::Exit> ChildProcess::Poll() {
  if (pid_ <= 0) return std::nullopt;
  absl::StatusOr<std::optional<Exit>> exit = Reap();
  return exit.ok() ? *exit : std::nullopt;
}

absl::StatusOr<ChildProcess::Exit> ChildProcess::Wait(milliseconds timeout) {
  if (pid_ <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot wait for `", command_, "`: no child running"));
  }
  const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  while (true) {
    absl::StatusOr<std::optional<Exit>> exit = Reap();
    if (!exit.ok()) return exit.status();
    if (exit->has_value()) return **exit;
    const SteadyClock::time_point now = SteadyClock::now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "`", command_, "` (pid ", pid_, ") still running after ", timeout.count(), " ms"));
    }
    const milliseconds left = std::chrono::ceil<milliseconds>(deadline - now);
    if (pidfd_.valid()) {
      pollfd p{.fd = pidfd_.get(), .events = POLLIN, .revents = 0};
      const int wait_ms = static_cast<int>(std::min<int64_t>(left.count(), INT_MAX));
      if (::poll(&p, 1, wait_ms) < 0 && errno != EINTR) {
        return absl::InternalError(absl::StrCat("waiting for `", command_, "` (pid ", pid_,
                                                "): poll: ", std::strerror(errno)));
      }
    } else {
      SystemClock().SleepFor(std::min(left, kWaitPollInterval));
    }
  }
}

absl::StatusOr<Completion> RunToCompletion(const std::vector<std::string>& argv,
                                           milliseconds timeout, const CompletionOptions& options) {
  // Without a file for stdout, it goes to an anonymous in-memory file.
  UniqueFd capture;
  if (options.spawn.stdout_path.empty()) {
    capture.reset(::memfd_create("onceflow-child-stdout", MFD_CLOEXEC));
    if (!capture.valid()) {
      return StartError(absl::StatusCode::kInternal, CommandText(argv),
                        absl::StrCat("memfd_create: ", std::strerror(errno)));
    }
  }
  absl::StatusOr<ChildProcess> started = ChildProcess::Launch(argv, options.spawn, capture.get());
  if (!started.ok()) return started.status();
  ChildProcess& child = *started;

  Completion done;
  const SteadyClock::time_point timeout_at = SteadyClock::now() + timeout;
  std::optional<SteadyClock::time_point> term_at;  // stop seen: SIGTERM at the end of its grace
  std::optional<SteadyClock::time_point> kill_at;  // SIGTERM sent: SIGKILL then
  bool killed = false;
  while (true) {
    const SteadyClock::time_point now = SteadyClock::now();
    // Sleep until the next thing to do; once killed, until it is gone.
    SteadyClock::time_point next = now + std::chrono::hours(1);
    if (kill_at.has_value() && !killed) {
      next = *kill_at;
    } else if (!kill_at.has_value()) {
      next = std::min(timeout_at, term_at.value_or(timeout_at));
      if (!term_at.has_value() && options.stop != nullptr) {
        next = std::min(next, now + kStopCheckInterval);
      }
    }
    absl::StatusOr<ChildProcess::Exit> exit =
        child.Wait(std::max(milliseconds(0), std::chrono::ceil<milliseconds>(next - now)));
    if (exit.ok()) {
      done.exit = *exit;
      break;
    }
    if (exit.status().code() != absl::StatusCode::kDeadlineExceeded) return exit.status();

    const SteadyClock::time_point later = SteadyClock::now();
    if (kill_at.has_value()) {
      if (!killed && later >= *kill_at) {
        (void)child.Signal(SIGKILL);  // it is ours until reaped: cannot fail
        killed = true;
      }
      continue;
    }
    if (!term_at.has_value() && options.stop != nullptr && options.stop->load()) {
      done.stopped = true;
      term_at = later + options.stop_grace;
    }
    done.timed_out = later >= timeout_at;
    if (done.timed_out || (term_at.has_value() && later >= *term_at)) {
      (void)child.Signal(SIGTERM);
      kill_at = later + options.kill_grace;
    }
  }

  if (capture.valid()) {
    if (::lseek(capture.get(), 0, SEEK_SET) != 0) {
      return absl::InternalError(absl::StrCat("reading the output of `", child.command(),
                                              "`: lseek: ", std::strerror(errno)));
    }
    absl::StatusOr<std::string> output =
        ReadAll(capture.get(), absl::StrCat("the output of `", child.command(), "`"));
    if (!output.ok()) return output.status();
    done.output = *std::move(output);
  } else {
    absl::StatusOr<std::string> output = ReadFile(options.spawn.stdout_path);
    if (!output.ok()) return output.status();
    done.output = *std::move(output);
  }
  return done;
}

std::optional<std::string> FindInPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr || program.empty() || program.find('/') != std::string::npos) {
    return std::nullopt;
  }
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", program);
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

}  // namespace onceflow::base
