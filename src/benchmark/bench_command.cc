// `onceflow bench` (placeholder until it is built).
#include <iostream>

#include "sidecar/commands.h"

namespace onceflow::benchmark {

int RunBench(int /*argc*/, char** /*argv*/) {
  std::cerr << "onceflow bench: not built yet\n";
  return 2;
}

}  // namespace onceflow::benchmark
