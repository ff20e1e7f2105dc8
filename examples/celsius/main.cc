// celsius: reads JSON temperature readings from one topic and writes them with the Fahrenheit
// value added to another, exactly once: a typed protobuf transform on an installed onceflow.
//
//   celsius --self-test                              # one reading through a TestDriver, no Kafka
//   celsius BOOTSTRAP INPUT_TOPIC OUTPUT_TOPIC       # run until SIGTERM or SIGINT
#include <csignal>
#include <iostream>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "onceflow/processor.h"
#include "onceflow/test_driver.h"
#include "onceflow/typed_transform.h"
#include "temperature.pb.h"

namespace {

using celsius::v1::Converted;
using celsius::v1::Reading;

std::unique_ptr<onceflow::Transform> ToFahrenheit() {
  return onceflow::TypedMap<Reading, Converted>(
      [](const Reading& in) -> absl::StatusOr<Converted> {
        if (in.sensor().empty()) return absl::InvalidArgumentError("a reading needs a sensor");
        Converted out;
        out.set_sensor(in.sensor());
        out.set_celsius(in.celsius());
        out.set_fahrenheit(in.celsius() * 9 / 5 + 32);
        return out;
      },
      onceflow::Codec::kJson);
}

int SelfTest() {
  onceflow::TestDriver driver(ToFahrenheit());
  if (absl::Status st = driver.Pipe({.key = "s1", .value = R"({"sensor": "s1", "celsius": 100})"});
      !st.ok()) {
    std::cerr << "celsius: " << st << "\n";
    return 1;
  }
  const std::string value = driver.outputs().at(0).value.value_or("");
  std::cout << value << "\n";
  return value == R"({"sensor":"s1","celsius":100,"fahrenheit":212})" ? 0 : 1;
}

onceflow::Processor* running = nullptr;

extern "C" void OnSignal(int) {
  if (running != nullptr) running->Stop();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--self-test") return SelfTest();
  if (argc != 4) {
    std::cerr << "usage: celsius --self-test | celsius BOOTSTRAP INPUT_TOPIC OUTPUT_TOPIC\n";
    return 2;
  }
  onceflow::ProcessorOptions options;
  options.bootstrap_servers = argv[1];
  options.application_id = "celsius";
  options.instance_id = "celsius-0";
  options.input_topics = {argv[2]};
  options.output_topic = argv[3];
  absl::StatusOr<std::unique_ptr<onceflow::Processor>> processor =
      onceflow::Processor::Create(options, ToFahrenheit());
  if (!processor.ok()) {
    std::cerr << "celsius: " << processor.status() << "\n";
    return onceflow::ProcessorExitCode(processor.status());
  }
  running = processor->get();
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  return onceflow::ProcessorExitCode((*processor)->Run());
}
