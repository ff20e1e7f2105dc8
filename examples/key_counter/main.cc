// key_counter: counts records per key, exactly once, with the counts in a RocksDB store backed
// by a changelog topic. Each input record produces "<key>=<running count>".
//
//   build/dev/examples/onceflow_key_counter --input clicks --output click-counts --until-drained
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "examples/key_counter/key_counter.h"
#include "onceflow/processor.h"

namespace {

onceflow::Processor* g_processor = nullptr;
extern "C" void OnSignal(int) {
  if (g_processor != nullptr) g_processor->Stop();
}

}  // namespace

int main(int argc, char** argv) {
  onceflow::ProcessorOptions options;
  const char* env = std::getenv("ONCEFLOW_BOOTSTRAP");
  options.bootstrap_servers = env != nullptr && *env != '\0' ? env : "127.0.0.1:19092";
  options.application_id = "key-counter";
  options.instance_id = "example";
  options.input_topics = {"clicks"};
  options.output_topic = "click-counts";
  options.state.stores = {onceflow::examples::kCountsStore};
  options.state.dir = "onceflow-state";
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const std::string value = i + 1 < argc ? argv[i + 1] : "";
    if (flag == "--until-drained") {
      options.stop_when_caught_up = true;
      continue;
    }
    if (flag == "--help" || value.empty()) {
      std::cout << "usage: onceflow_key_counter [--bootstrap B] [--app A] [--instance I] "
                   "[--input T] [--output T] [--state-dir D] [--until-drained]\n";
      return flag == "--help" ? 0 : 2;
    }
    ++i;
    if (flag == "--bootstrap") {
      options.bootstrap_servers = value;
    } else if (flag == "--app") {
      options.application_id = value;
    } else if (flag == "--instance") {
      options.instance_id = value;
    } else if (flag == "--input") {
      options.input_topics = {value};
    } else if (flag == "--output") {
      options.output_topic = value;
    } else if (flag == "--state-dir") {
      options.state.dir = value;
    } else {
      std::cerr << "onceflow_key_counter: unknown flag " << flag << "\n";
      return 2;
    }
  }
  auto processor =
      onceflow::Processor::Create(options, std::make_unique<onceflow::examples::KeyCounter>());
  if (!processor.ok()) {
    std::cerr << "onceflow_key_counter: " << processor.status() << "\n";
    return onceflow::ProcessorExitCode(processor.status());
  }
  g_processor = processor->get();
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  const absl::Status st = (*processor)->Run();
  g_processor = nullptr;
  if (!st.ok()) std::cerr << "onceflow_key_counter: " << st << "\n";
  return onceflow::ProcessorExitCode(st);
}
