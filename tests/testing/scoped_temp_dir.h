// ScopedTempDir: a fresh, empty folder for the running test, removed with what it holds when
// it goes out of scope, so a test's files neither meet another test's nor outlive it.
//
//   class FileTest : public ::testing::Test {
//    protected:
//     testing::ScopedTempDir dir_;  // <TempDir>/onceflow-FileTest.RoundTrip-<pid>
//   };
//   WriteFile(dir_.File("data.bin"), ...);
//
// REQUIRES: constructed while a test runs (a fixture member is). Not thread-safe; one owner.
#ifndef ONCEFLOW_TESTS_TESTING_SCOPED_TEMP_DIR_H_
#define ONCEFLOW_TESTS_TESTING_SCOPED_TEMP_DIR_H_

#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"

namespace onceflow::testing {

class ScopedTempDir {
 public:
  ScopedTempDir() {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // Parameterized names hold '/' ("Table/Suite.Case/0").
    path_ = std::filesystem::path(::testing::TempDir()) /
            absl::StrReplaceAll(absl::StrCat("onceflow-", info->test_suite_name(), ".",
                                             info->name(), "-", ::getpid()),
                                {{"/", "_"}});
    // A previous run killed mid-test may have left it behind (pids are reused).
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScopedTempDir() {
    std::error_code ignored;  // cleaning up is best effort; a failed test's files may help
    std::filesystem::remove_all(path_, ignored);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The path of `name` inside the folder (nothing is created).
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace onceflow::testing

#endif  // ONCEFLOW_TESTS_TESTING_SCOPED_TEMP_DIR_H_
