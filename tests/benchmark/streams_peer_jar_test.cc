// EnsureStreamsPeerJar and the Kafka Streams system names, without a broker or a real JVM:
// stub `java` and `mvn` scripts on PATH and a fake peer checkout. The stub mvn records its
// arguments and writes the jar, as `mvn package` would.
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/systems.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/scoped_temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace onceflow::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

void Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

void WriteScript(const fs::path& path, const std::string& body) {
  Write(path, "#!/bin/sh\n" + body);
  ::chmod(path.c_str(), 0755);
}

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class StreamsPeerJarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("PATH");
    saved_path_ = path == nullptr ? "" : path;
    WriteScript(dir_.path() / "bin/java", "exit 0\n");
    // mvn -q -f POM [-P PROFILE] package ($3 = POM, $4 = -P): records its arguments, writes the
    // profile's jar.
    WriteScript(dir_.path() / "bin/mvn",
                "PATH=/usr/bin:/bin\n"
                "echo \"$@\" >> " +
                    dir_.File("mvn-calls") +
                    "\n"
                    "peer=$(dirname \"$3\")\n"
                    "if [ \"$4\" = -P ]; then jar=$peer/target/kafka-3.9/kafka-streams-peer.jar;\n"
                    "else jar=$peer/target/kafka-streams-peer.jar; fi\n"
                    "mkdir -p \"$(dirname \"$jar\")\" && echo built > \"$jar\"\n");
    ::setenv("PATH", (dir_.path() / "bin").c_str(), 1);
    Write(peer() / "pom.xml", "<project/>");
    Write(peer() / "src/main/java/onceflow/bench/StreamsPeer.java", "class StreamsPeer {}");
  }
  void TearDown() override { ::setenv("PATH", saved_path_.c_str(), 1); }

  std::string repo() const { return dir_.path().string(); }
  fs::path peer() const { return dir_.path() / "bench/peers/kafka-streams"; }
  std::string MvnCalls() const { return Read(dir_.File("mvn-calls")); }

  // Makes `path` look `age` old.
  static void Age(const fs::path& path, std::chrono::seconds age) {
    fs::last_write_time(path, fs::file_time_type::clock::now() - age);
  }

  ScopedTempDir dir_;
  std::string saved_path_;
};

TEST_F(StreamsPeerJarTest, BuildsAMissingJarWithTheLinesProfile) {
  ASSERT_OK_AND_ASSIGN(std::string jar, benchmark::EnsureStreamsPeerJar(repo(), ""));
  EXPECT_EQ(jar, (peer() / "target/kafka-streams-peer.jar").string());
  ASSERT_OK_AND_ASSIGN(std::string jar39, benchmark::EnsureStreamsPeerJar(repo(), "3.9"));
  EXPECT_EQ(jar39, (peer() / "target/kafka-3.9/kafka-streams-peer.jar").string());
  EXPECT_EQ(MvnCalls(),
            absl::StrCat("-q -f ", (peer() / "pom.xml").string(), " package\n", "-q -f ",
                         (peer() / "pom.xml").string(), " -P kafka-3.9 package\n"));
}

TEST_F(StreamsPeerJarTest, KeepsAJarNewerThanItsSources) {
  Age(peer() / "pom.xml", std::chrono::hours(2));
  Age(peer() / "src/main/java/onceflow/bench/StreamsPeer.java", std::chrono::hours(2));
  Write(peer() / "target/kafka-streams-peer.jar", "old build");
  Age(peer() / "target/kafka-streams-peer.jar", std::chrono::hours(1));
  ASSERT_OK_AND_ASSIGN(std::string jar, benchmark::EnsureStreamsPeerJar(repo(), ""));
  EXPECT_EQ(Read(jar), "old build");
  EXPECT_EQ(MvnCalls(), "");
}

TEST_F(StreamsPeerJarTest, RebuildsAJarOlderThanThePomOrASource) {
  Write(peer() / "target/kafka-streams-peer.jar", "old build");
  Age(peer() / "target/kafka-streams-peer.jar", std::chrono::hours(1));
  Age(peer() / "pom.xml", std::chrono::hours(2));  // only the source is newer
  ASSERT_OK_AND_ASSIGN(std::string jar, benchmark::EnsureStreamsPeerJar(repo(), ""));
  EXPECT_EQ(Read(jar), "built\n");

  Age(peer() / "target/kafka-streams-peer.jar", std::chrono::hours(1));
  Age(peer() / "src/main/java/onceflow/bench/StreamsPeer.java", std::chrono::hours(2));
  Write(peer() / "pom.xml", "<project><!-- another kafka.version --></project>");
  ASSERT_OK_AND_ASSIGN(jar, benchmark::EnsureStreamsPeerJar(repo(), ""));
  EXPECT_EQ(Read(jar), "built\n");
  EXPECT_THAT(MvnCalls(), HasSubstr("package\n-q"));  // two builds
}

TEST_F(StreamsPeerJarTest, UsesAStaleJarWhenMavenIsMissing) {
  fs::remove(dir_.path() / "bin/mvn");
  Write(peer() / "target/kafka-streams-peer.jar", "old build");
  Age(peer() / "target/kafka-streams-peer.jar", std::chrono::hours(1));
  ASSERT_OK_AND_ASSIGN(std::string jar, benchmark::EnsureStreamsPeerJar(repo(), ""));
  EXPECT_EQ(Read(jar), "old build");
  EXPECT_THAT(benchmark::EnsureStreamsPeerJar(repo(), "3.9"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("-P kafka-3.9 package")));
}

TEST_F(StreamsPeerJarTest, RefusesUnknownLinesAndSystemNames) {
  EXPECT_THAT(benchmark::EnsureStreamsPeerJar(repo(), "3.8"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("3.8")));
  benchmark::Environment env;
  env.repo = repo();
  for (const char* name : {"kafka-streams-3.8-eos", "kafka-streams-3.9-dedupe",
                           "kafka-streams-eos-3.9", "kafka-streams-"}) {
    EXPECT_THAT(benchmark::MakeSystem(name, env),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown system")))
        << name;
  }
  EXPECT_EQ(MvnCalls(), "");
}

TEST_F(StreamsPeerJarTest, EveryKnownStreamsSystemMakesOne) {
  benchmark::Environment env;
  env.repo = repo();
  for (const std::string& name : benchmark::KnownSystems()) {
    if (name.rfind("kafka-streams-", 0) != 0) continue;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<benchmark::System> system,
                         benchmark::MakeSystem(name, env));
    EXPECT_EQ(system->name(), name);
  }
}

}  // namespace
}  // namespace onceflow::testing
