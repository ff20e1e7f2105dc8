// What this onceflow binary is: its version, the git commit it was built from, and the versions
// of the libraries it runs on. `onceflow version` prints it, /metrics exposes it as
// onceflow_build_info, and the first log line of `onceflow run` carries it.
//
//   const BuildInfo& info = GetBuildInfo();
//   std::cout << VersionText(info);   // "onceflow 0.1.0 (commit 1a2b3c4d5e6f)\n  librdkafka ..."
#ifndef ONCEFLOW_SIDECAR_BUILD_INFO_H_
#define ONCEFLOW_SIDECAR_BUILD_INFO_H_

#include <string>

namespace onceflow::sidecar {

struct BuildInfo {
  // project(VERSION) of the top-level CMakeLists.txt, e.g. "0.1.0".
  std::string version;
  // `git rev-parse --short=12 HEAD` at build time ("-dirty" if tracked files differed), the
  // -DONCEFLOW_GIT_COMMIT given to CMake, or "unknown" (no git, no override).
  std::string commit;
  // The shared library's own version at run time (kafka::LibrdkafkaVersion()).
  std::string librdkafka;
  // The shared library's own version at run time (rocksdb::GetRocksVersionAsString()).
  std::string rocksdb;
  // The headers' version: protobuf itself refuses to start when the library differs.
  std::string protobuf;
};

// The process's build info, computed once. Thread-safe.
const BuildInfo& GetBuildInfo();

// What `onceflow version` prints: a first line "onceflow VERSION (commit C)" and one line per
// library.
std::string VersionText(const BuildInfo& info);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_BUILD_INFO_H_
