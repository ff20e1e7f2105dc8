// `onceflow audit` (placeholder until it is built).
#include <iostream>

#include "sidecar/commands.h"

namespace onceflow::audit {

int RunAudit(int /*argc*/, char** /*argv*/) {
  std::cerr << "onceflow audit: not built yet\n";
  return 2;
}

}  // namespace onceflow::audit
