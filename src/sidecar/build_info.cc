#include "sidecar/build_info.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/common.h"
#include "kafka/config.h"
#include "onceflow/version.h"
#include "rocksdb/version.h"

namespace onceflow::sidecar {

// Defined in the file cmake/OnceflowGitCommit.cmake writes at build time.
extern const char kGitCommit[];

const BuildInfo& GetBuildInfo() {
  static const BuildInfo info{
      .version = kVersion,
      .commit = kGitCommit,
      .librdkafka = kafka::LibrdkafkaVersion(),
      .rocksdb = rocksdb::GetRocksVersionAsString(),
      .protobuf = google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION),
  };
  return info;
}

std::string VersionText(const BuildInfo& info) {
  return absl::StrCat("onceflow ", info.version, " (commit ", info.commit, ")\n", "  librdkafka ",
                      info.librdkafka, "\n", "  RocksDB    ", info.rocksdb, "\n", "  protobuf   ",
                      info.protobuf, "\n");
}

}  // namespace onceflow::sidecar
