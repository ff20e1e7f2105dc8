// ${...} substitution in config values: ${NAME}, ${NAME:-default}, ${file:PATH} and $${ (a
// literal "${"), as LoadConfig (config_loader.h) documents them. Internal: only the config_*
// parsers include it.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(Substituted s, Substitute("${KAFKA_PASSWORD}", env));
//   if (s.substituted) loaded.secret_paths.insert(path);   // never show s.value
//
// Thread-safety: as safe as `env` and the files it reads.
#ifndef ONCEFLOW_SIDECAR_CONFIG_SUBSTITUTION_H_
#define ONCEFLOW_SIDECAR_CONFIG_SUBSTITUTION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sidecar/config_loader.h"

namespace onceflow::sidecar::config_internal {

struct Substituted {
  std::string value;
  bool substituted = false;  // some ${...} was replaced
};

// Expands ${NAME}, ${NAME:-default}, ${file:PATH} and $${ in `text`; text without "${" comes
// back as it is. ${NAME:-default} gives the default when NAME is unset or empty, as in a POSIX
// shell; ${file:PATH} is the file's contents less one trailing newline. kInvalidArgument, with
// a message that names the variable or the path but never a value, for an unterminated "${",
// a malformed name, an unset variable without a default or a file that cannot be read.
absl::StatusOr<Substituted> Substitute(absl::string_view text, const EnvLookup& env);

}  // namespace onceflow::sidecar::config_internal

#endif  // ONCEFLOW_SIDECAR_CONFIG_SUBSTITUTION_H_
