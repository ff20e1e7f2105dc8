#include "base/file.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/scoped_temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::base {
namespace {

using ::onceflow::testing::IsOk;
using ::onceflow::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;

class FileTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.File(name); }

  testing::ScopedTempDir dir_;
};

TEST_F(FileTest, WriteThenReadGivesTheSameBytes) {
  // Binary, and longer than one 64 KiB read.
  std::string contents(200 * 1024, 'x');
  contents[7] = '\0';
  contents[100 * 1024] = '\n';
  const std::string path = Path("data.bin");
  ASSERT_THAT(WriteFile(path, contents), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string read, ReadFile(path));
  EXPECT_EQ(read, contents);
  // WriteFile replaces what was there.
  ASSERT_THAT(WriteFile(path, "short"), IsOk());
  ASSERT_OK_AND_ASSIGN(read, ReadFile(path));
  EXPECT_EQ(read, "short");
}

TEST_F(FileTest, ReadingAMissingFileIsNotFoundNamingThePath) {
  const std::string path = Path("missing.txt");
  EXPECT_THAT(ReadFile(path),
              StatusIs(absl::StatusCode::kNotFound,
                       Eq(absl::StrCat("cannot read ", path, ": No such file or directory"))));
}

TEST_F(FileTest, ReadingADirectoryIsInvalidArgument) {
  EXPECT_THAT(ReadFile(dir_.path().string()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq(absl::StrCat("cannot read ", dir_.path().string(), ": Is a directory"))));
}

TEST_F(FileTest, WritingIntoAMissingFolderIsNotFoundNamingThePath) {
  const std::string path = Path("no/such/folder.txt");
  EXPECT_THAT(WriteFile(path, "x"), StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

TEST_F(FileTest, TailOfFileQuotesTheLastLines) {
  const struct {
    const char* name;
    std::string contents;
    int max_lines;
    std::string tail;
  } kCases[] = {
      {"last two", "a\nb\nc\n", 2, "  | b\n  | c\n"},
      {"fewer than asked", "a\nb\n", 5, "  | a\n  | b\n"},
      {"no final newline", "a\nb\nc", 2, "  | b\n  | c\n"},
      {"empty lines kept", "\n\nz\n", 3, "  | \n  | \n  | z\n"},
      {"one line", "only", 1, "  | only\n"},
      {"empty file", "", 3, ""},
      {"none asked", "a\n", 0, ""},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    const std::string path = Path("log.txt");
    ASSERT_THAT(WriteFile(path, c.contents), IsOk());
    EXPECT_EQ(TailOfFile(path, c.max_lines), c.tail);
  }
  EXPECT_EQ(TailOfFile(Path("missing.log"), 3), "");
}

}  // namespace
}  // namespace onceflow::base
