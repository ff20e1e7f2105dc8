// The `onceflow` command. Subcommands arrive with their issues (run, validate, audit, bench);
// this file dispatches them and prints help.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "kafka/admin.h"

namespace {

constexpr char kUsage[] = R"(onceflow — exactly-once consume-transform-produce for Apache Kafka

Usage:
  onceflow ping [--bootstrap HOST:PORT]   check that a Kafka cluster answers metadata requests
  onceflow version                        print versions of onceflow and librdkafka
  onceflow --help                         this text

Environment:
  ONCEFLOW_BOOTSTRAP   default bootstrap servers (default 127.0.0.1:19092, the broker that
                       scripts/kafka starts)
)";

std::string DefaultBootstrap() {
  const char* env = std::getenv("ONCEFLOW_BOOTSTRAP");
  return env != nullptr && *env != '\0' ? env : "127.0.0.1:19092";
}

int Ping(int argc, char** argv) {
  std::string bootstrap = DefaultBootstrap();
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--bootstrap") == 0 && i + 1 < argc) {
      bootstrap = argv[++i];
    } else if (std::strcmp(argv[i], "--help") == 0) {
      std::cout << "Usage: onceflow ping [--bootstrap HOST:PORT]\n";
      return 0;
    } else {
      std::cerr << "onceflow ping: unknown argument " << argv[i] << "\n";
      return 2;
    }
  }
  auto admin = onceflow::kafka::Admin::Create({{"bootstrap.servers", bootstrap}});
  if (!admin.ok()) {
    std::cerr << "onceflow ping: " << admin.status() << "\n";
    return 2;
  }
  absl::Status st = (*admin)->Ping(std::chrono::seconds(10));
  if (!st.ok()) {
    std::cerr << "onceflow ping: " << bootstrap << " does not answer: " << st << "\n";
    return 1;
  }
  std::cout << bootstrap << " answers metadata requests\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  if (command == "version" || command == "--version") {
    std::cout << "onceflow 0.1.0 (librdkafka " << rd_kafka_version_str() << ")\n";
    return 0;
  }
  if (command == "ping") return Ping(argc, argv);
  std::cerr << "onceflow: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}
