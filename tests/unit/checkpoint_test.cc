#include "state/checkpoint.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::state {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::StatusIs;
using ::testing::HasSubstr;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/onceflow-checkpoint-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/0.checkpoint";
  }
  void TearDown() override {
    std::remove(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_;
  std::string path_;
};

TEST_F(CheckpointTest, RoundTripsAndReplaces) {
  v1::Checkpoint cp;
  cp.set_changelog_topic("app-dedupe-changelog");
  cp.set_partition(3);
  cp.set_next_offset(1234);
  cp.set_clean_shutdown(true);
  ASSERT_THAT(WriteCheckpoint(path_, cp), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Checkpoint read, ReadCheckpoint(path_));
  EXPECT_EQ(read.changelog_topic(), "app-dedupe-changelog");
  EXPECT_EQ(read.partition(), 3);
  EXPECT_EQ(read.next_offset(), 1234);
  EXPECT_TRUE(read.clean_shutdown());

  cp.set_next_offset(2000);
  ASSERT_THAT(WriteCheckpoint(path_, cp), IsOk());
  ASSERT_OK_AND_ASSIGN(read, ReadCheckpoint(path_));
  EXPECT_EQ(read.next_offset(), 2000);
  EXPECT_NE(::access((path_ + ".tmp").c_str(), F_OK), 0) << "temporary file left behind";
}

TEST_F(CheckpointTest, MissingIsNotFound) {
  EXPECT_THAT(ReadCheckpoint(path_), StatusIs(absl::StatusCode::kNotFound, HasSubstr(path_)));
}

TEST_F(CheckpointTest, CorruptIsDataLossNeverEmpty) {
  std::ofstream(path_) << "garbage that is not a checkpoint";
  EXPECT_THAT(ReadCheckpoint(path_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("rebuild the state")));
  std::ofstream(path_, std::ios::trunc) << "";
  EXPECT_THAT(ReadCheckpoint(path_), StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path_)));
}

TEST_F(CheckpointTest, UnwritableFolderIsAnError) {
  v1::Checkpoint cp;
  EXPECT_THAT(WriteCheckpoint("/nonexistent-folder/x.checkpoint", cp),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("/nonexistent-folder")));
}

}  // namespace
}  // namespace onceflow::state
