#include "sidecar/command_output.h"

#include <iostream>

#include "sidecar/access.h"
#include "sidecar/exit_codes.h"

namespace onceflow::sidecar {

int UsageError(absl::string_view command, absl::string_view message) {
  std::cerr << "onceflow " << command << ": " << message << "\n"
            << "Run 'onceflow " << command << " --help' for usage.\n";
  return kExitUsage;
}

int Failure(absl::string_view command, const absl::Status& status) {
  std::cerr << "onceflow " << command << ": " << status.message() << "\n";
  if (IsAccessDenied(status) || absl::IsUnauthenticated(status) ||
      absl::IsPermissionDenied(status)) {
    return kExitAccessDenied;
  }
  if (absl::IsInvalidArgument(status)) return kExitUsage;
  return kExitFailure;
}

}  // namespace onceflow::sidecar
