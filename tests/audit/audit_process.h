// Runs the real `onceflow audit` binary for the end-to-end tests (audit_e2e_test.cc against the
// single broker, audit_cluster_test.cc against the three-broker cluster) and reads its --json
// report.
//
//   const AuditOutcome out = RunAuditProcess({"--mode", "eos", ...}, "MyTest", minutes(4));
//   ASSERT_EQ(out.exit_code, 0) << out.log;
//   EXPECT_EQ(JsonField(out.json, "lost"), 0);
#ifndef ONCEFLOW_TESTS_AUDIT_AUDIT_PROCESS_H_
#define ONCEFLOW_TESTS_AUDIT_AUDIT_PROCESS_H_

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "base/child_process.h"
#include "base/file.h"
#include "gtest/gtest.h"

namespace onceflow::audit {

// The number after "field": in a --json report (the first run's, or from `from` on); -1 when
// absent. true / false read as 1 / 0.
inline int64_t JsonField(const std::string& json, const std::string& field, size_t from = 0) {
  const std::string needle = "\"" + field + "\": ";
  const size_t at = json.find(needle, from);
  if (at == std::string::npos) return -1;
  const size_t start = at + needle.size();
  const std::string rest = json.substr(start, json.find_first_of(",}", start) - start);
  if (rest == "true") return 1;
  if (rest == "false") return 0;
  double v = 0;
  return absl::SimpleAtod(rest, &v) ? static_cast<int64_t>(v) : -1;
}

struct AuditOutcome {
  // The exit code, 128 + N for signal N, -1 if it did not finish.
  int exit_code = -1;
  std::string json;
  // What it printed (stdout and stderr).
  std::string log;
};

// Runs ONCEFLOW_CLI_BIN audit --run-dir DIR --json DIR.json ARGS..., where DIR is named after
// `name` in the test's temporary folder (a previous run's files are removed first), and waits
// up to `timeout` for it.
inline AuditOutcome RunAuditProcess(const std::vector<std::string>& args, const std::string& name,
                                    std::chrono::milliseconds timeout) {
  const std::string dir = ::testing::TempDir() + "audit-" + name;
  std::vector<std::string> argv = {ONCEFLOW_CLI_BIN, "audit", "--run-dir", dir, "--json",
                                   dir + ".json"};
  argv.insert(argv.end(), args.begin(), args.end());
  AuditOutcome out;
  const std::string log = dir + ".log";
  std::filesystem::remove_all(dir);  // a previous run's logs would be appended to
  std::remove((dir + ".json").c_str());
  std::remove(log.c_str());
  absl::StatusOr<base::ChildProcess> child =
      base::ChildProcess::Start(argv, base::SpawnOptions::ToLog(log));
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return out;
  absl::StatusOr<base::ChildProcess::Exit> exit = child->Wait(timeout);
  EXPECT_TRUE(exit.ok()) << exit.status();
  if (exit.ok()) out.exit_code = exit->signaled ? 128 + exit->signal : exit->code;
  // A failed audit may write no report: the checks on an empty one fail and print the log.
  out.json = base::ReadFile(dir + ".json").value_or("");
  out.log = base::ReadFile(log).value_or("");
  return out;
}

}  // namespace onceflow::audit

#endif  // ONCEFLOW_TESTS_AUDIT_AUDIT_PROCESS_H_
