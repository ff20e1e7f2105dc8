#include "base/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/unique_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/scoped_temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::base {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::StatusIs;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Lt;

// Long enough that a test never waits for it; short enough that a leaked one goes soon.
const std::vector<std::string> kSleeper = {"sleep", "5"};

milliseconds Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
}

// Whether `pid` was reaped: it is no longer a child of this process (not even a zombie).
bool Reaped(pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) < 0 && errno == ECHILD; }

class ChildProcessTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.File(name); }

  testing::ScopedTempDir dir_;
};

TEST_F(ChildProcessTest, ReportsTheExitCode) {
  ASSERT_OK_AND_ASSIGN(ChildProcess child, ChildProcess::Start({"sh", "-c", "exit 3"}));
  EXPECT_TRUE(child.running());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit exit, child.Wait(seconds(10)));
  EXPECT_FALSE(exit.signaled);
  EXPECT_EQ(exit.code, 3);
  EXPECT_FALSE(exit.ok());
  EXPECT_EQ(exit.ToString(), "code 3");
  EXPECT_THAT(Since(start), Lt(seconds(2)));  // woken by the exit, not by the 10 s timeout
  EXPECT_FALSE(child.running());
  EXPECT_EQ(child.pid(), -1);
  EXPECT_THAT(child.Wait(seconds(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("sh -c exit 3")));
}

TEST_F(ChildProcessTest, ReportsASignalDeath) {
  ASSERT_OK_AND_ASSIGN(ChildProcess child, ChildProcess::Start(kSleeper));
  const pid_t pid = child.pid();
  EXPECT_GT(pid, 0);
  EXPECT_EQ(child.Poll(), std::nullopt);  // still running
  ASSERT_THAT(child.Signal(SIGKILL), IsOk());
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit exit, child.Wait(seconds(10)));
  EXPECT_TRUE(exit.signaled);
  EXPECT_EQ(exit.signal, SIGKILL);
  EXPECT_EQ(exit.ToString(), "signal 9");
  EXPECT_TRUE(Reaped(pid));
  EXPECT_THAT(child.Signal(SIGTERM),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("sleep 5")));
}

TEST_F(ChildProcessTest, WaitTimesOutWithoutWaitingForTheChildAndTheDestructorReapsIt) {
  pid_t pid = -1;
  {
    ASSERT_OK_AND_ASSIGN(ChildProcess child, ChildProcess::Start(kSleeper));
    pid = child.pid();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THAT(child.Wait(milliseconds(50)),
                StatusIs(absl::StatusCode::kDeadlineExceeded,
                         AllOf(HasSubstr("`sleep 5`"), HasSubstr("still running after 50 ms"))));
    const milliseconds waited = Since(start);
    EXPECT_GE(waited, milliseconds(50));
    EXPECT_THAT(waited, Lt(seconds(1)));
    EXPECT_TRUE(child.running());
    EXPECT_FALSE(Reaped(pid));
  }
  EXPECT_TRUE(Reaped(pid));
}

TEST_F(ChildProcessTest, AStoppedChildIsNotAnExitAndContinuesOnSigcont) {
  ASSERT_OK_AND_ASSIGN(ChildProcess child, ChildProcess::Start(kSleeper));
  ASSERT_THAT(child.Signal(SIGSTOP), IsOk());
  EXPECT_THAT(child.Wait(milliseconds(20)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("still running")));
  EXPECT_EQ(child.Poll(), std::nullopt);
  ASSERT_THAT(child.Signal(SIGCONT), IsOk());
  ASSERT_THAT(child.Signal(SIGTERM), IsOk());
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit exit, child.Wait(seconds(10)));
  EXPECT_TRUE(exit.signaled);
  EXPECT_EQ(exit.signal, SIGTERM);
}

TEST_F(ChildProcessTest, MovingOverARunningChildKillsAndReapsIt) {
  ASSERT_OK_AND_ASSIGN(ChildProcess child, ChildProcess::Start(kSleeper));
  const pid_t first = child.pid();
  ASSERT_OK_AND_ASSIGN(child, ChildProcess::Start({"sh", "-c", "exit 0"}));
  EXPECT_TRUE(Reaped(first));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit exit, child.Wait(seconds(10)));
  EXPECT_TRUE(exit.ok());
  ChildProcess placeholder;
  EXPECT_FALSE(placeholder.running());
  EXPECT_EQ(placeholder.Poll(), std::nullopt);
}

TEST_F(ChildProcessTest, EnvironmentAdditionsAndAnAppendedLog) {
  const std::string log = Path("child.log");
  ASSERT_THAT(WriteFile(log, "before\n"), IsOk());
  ASSERT_OK_AND_ASSIGN(
      ChildProcess child,
      ChildProcess::Start({"sh", "-c", "echo \"out $ONCEFLOW_X\"; echo err >&2; read x; echo $x"},
                          SpawnOptions::ToLog(log, {{"ONCEFLOW_X", "42"}})));
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit exit, child.Wait(seconds(10)));
  EXPECT_TRUE(exit.ok()) << exit.ToString();
  // stdout and stderr share the file in order; stdin is /dev/null (read gets nothing).
  ASSERT_OK_AND_ASSIGN(std::string text, ReadFile(log));
  EXPECT_EQ(text, "before\nout 42\nerr\n\n");
}

TEST_F(ChildProcessTest, StartErrorsNameTheCommand) {
  const std::string not_executable = Path("script.sh");
  ASSERT_THAT(WriteFile(not_executable, "#!/bin/sh\n"), IsOk());
  EXPECT_THAT(ChildProcess::Start({"/nonexistent/prog", "--flag"}),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("cannot start `/nonexistent/prog --flag`: No such file")));
  EXPECT_THAT(
      ChildProcess::Start({"onceflow-no-such-program"}),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("onceflow-no-such-program is not in PATH")));
  EXPECT_THAT(ChildProcess::Start({not_executable}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(not_executable)));
  EXPECT_THAT(ChildProcess::Start({"sh"}, {.stdout_path = Path("no/such/dir/out")}),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("no/such/dir/out")));
  EXPECT_THAT(ChildProcess::Start({}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no program given")));
}

TEST_F(ChildProcessTest, DiesWithTheThreadThatStartedIt) {
  absl::StatusOr<ChildProcess> child = absl::InternalError("not started");
  std::thread([&] { child = ChildProcess::Start(kSleeper); }).join();
  ASSERT_THAT(child, IsOk());
  ASSERT_OK_AND_ASSIGN(ChildProcess::Exit exit, child->Wait(seconds(10)));
  EXPECT_TRUE(exit.signaled);
  EXPECT_EQ(exit.signal, SIGKILL);
}

TEST_F(ChildProcessTest, RunToCompletionCapturesStdout) {
  const std::string err = Path("err.txt");
  ASSERT_OK_AND_ASSIGN(Completion done,
                       RunToCompletion({"sh", "-c", "echo out; echo err >&2; exit 3"}, seconds(10),
                                       {.spawn = {.stderr_path = err}}));
  EXPECT_EQ(done.output, "out\n");
  EXPECT_EQ(done.exit.code, 3);
  EXPECT_FALSE(done.timed_out);
  EXPECT_FALSE(done.stopped);
  ASSERT_OK_AND_ASSIGN(std::string err_text, ReadFile(err));
  EXPECT_EQ(err_text, "err\n");
}

TEST_F(ChildProcessTest, RunToCompletionReadsTheStdoutFileItWasGiven) {
  const std::string out = Path("out.txt");
  ASSERT_THAT(WriteFile(out, "stale\n"), IsOk());
  ASSERT_OK_AND_ASSIGN(Completion done, RunToCompletion({"sh", "-c", "echo fresh"}, seconds(10),
                                                        {.spawn = {.stdout_path = out}}));
  EXPECT_EQ(done.output, "fresh\n");  // truncated first
  EXPECT_TRUE(done.exit.ok());
}

TEST_F(ChildProcessTest, RunToCompletionTerminatesOnTheTimeout) {
  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(Completion done, RunToCompletion(kSleeper, milliseconds(100)));
  EXPECT_TRUE(done.timed_out);
  EXPECT_FALSE(done.stopped);
  EXPECT_TRUE(done.exit.signaled);
  EXPECT_EQ(done.exit.signal, SIGTERM);
  EXPECT_THAT(Since(start), Lt(seconds(1)));
}

// The child ignores SIGTERM once it has said so on a FIFO; the test then sets `stop`, and the
// child is SIGKILLed `kill_grace` after the SIGTERM it ignored.
TEST_F(ChildProcessTest, RunToCompletionStopsOnRequestAndKillsWhatIgnoresSigterm) {
  const std::string fifo = Path("ready");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  // Read-write, so opening never blocks and the child's open for writing does not either.
  UniqueFd ready(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(ready.valid()) << std::strerror(errno);
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    pollfd p{.fd = ready.get(), .events = POLLIN, .revents = 0};
    ::poll(&p, 1, 10'000);  // the child's "ready", or give up and stop anyway
    stop.store(true);
  });
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<Completion> done = RunToCompletion(
      {"sh", "-c", absl::StrCat("trap '' TERM; echo ready > '", fifo, "'; exec sleep 5")},
      seconds(30), {.kill_grace = milliseconds(100), .stop = &stop, .stop_grace = milliseconds(0)});
  stopper.join();
  ASSERT_THAT(done, IsOk());
  EXPECT_TRUE(done->stopped);
  EXPECT_FALSE(done->timed_out);
  EXPECT_TRUE(done->exit.signaled);
  EXPECT_EQ(done->exit.signal, SIGKILL);
  EXPECT_THAT(Since(start), Lt(seconds(2)));
}

TEST(FindInPathTest, FindsExecutablesOnly) {
  const std::optional<std::string> sh = FindInPath("sh");
  ASSERT_TRUE(sh.has_value());
  EXPECT_EQ(::access(sh->c_str(), X_OK), 0);
  EXPECT_EQ(FindInPath("onceflow-no-such-program"), std::nullopt);
  EXPECT_EQ(FindInPath("/bin/sh"), std::nullopt);  // a path, not a name
}

}  // namespace
}  // namespace onceflow::base
