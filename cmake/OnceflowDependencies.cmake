# Finds onceflow's dependencies, all from Debian's packages (see scripts/install-deps):
#   librdkafka (C)          pkg-config rdkafka, or RdKafka_ROOT -> RdKafka::rdkafka (::rdkafka++ if found)
#   Abseil 20220623         CMake config                     -> absl::*
#   protobuf 3.21 + protoc  CMake's FindProtobuf module      -> protobuf::libprotobuf, protoc
#   RocksDB 7.8             CMake config                     -> RocksDB::rocksdb-shared
# Tests and benchmarks add GoogleTest and Google Benchmark (tests/, bench/); the sidecar, which
# is not installed, adds libyaml and RE2 (pkg-config yaml-0.1 / re2, in src/CMakeLists.txt).
#
# The same calls are replayed by the installed onceflowConfig.cmake through find_dependency,
# so this file and cmake/onceflowConfig.cmake.in must list the same packages.

find_package(RdKafka REQUIRED)
find_package(absl REQUIRED)
find_package(Protobuf 3.21 REQUIRED)
find_package(RocksDB REQUIRED)
