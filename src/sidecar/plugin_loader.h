// Loads a transform plugin: a shared library implementing the C ABI of onceflow/plugin_abi.h.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<Transform> redact,
//                             LoadPlugin("/opt/plugins/redact.so", {{"field", "card"}}));
//
// The returned Transform owns the library (dlopen'ed with RTLD_NOW | RTLD_LOCAL) and the
// plugin instance: its destructor calls onceflow_plugin_destroy, then dlclose. Each call
// creates a new instance; loading one library twice shares the code, not the instances.
#ifndef ONCEFLOW_SIDECAR_PLUGIN_LOADER_H_
#define ONCEFLOW_SIDECAR_PLUGIN_LOADER_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "onceflow/transform.h"

namespace onceflow::sidecar {

// Loads the plugin at `path` and creates an instance with `config` (passed to
// onceflow_plugin_create as a JSON object of strings). `path` is given to dlopen as is (a name
// without '/' is searched for as dlopen does). Errors (kInvalidArgument, or kNotFound when there
// is no such file) name the path and say what is wrong: dlopen's own message, the missing
// symbol, "built for ABI 2, this onceflow speaks 1", or the text the plugin's create function
// wrote.
//
// The Transform's name() is "plugin:<onceflow_plugin_name()>". Its Process converts the Record
// to an onceflow_record (views, no copy), calls onceflow_plugin_process, and maps
// ONCEFLOW_TRANSIENT to TransientError and ONCEFLOW_PERMANENT (or any unknown code, or an
// output the host refused) to PermanentError, with the plugin's message. Process is not
// thread-safe (one thread at a time, as every Transform); destroy it on a thread where no
// Process is running.
absl::StatusOr<std::unique_ptr<Transform>> LoadPlugin(
    const std::string& path, const std::map<std::string, std::string>& config);

// `config` as the JSON object plugins receive: {"key":"value",...} in key order, strings
// escaped per RFC 8259. Exposed for tests.
std::string PluginConfigJson(const std::map<std::string, std::string>& config);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_PLUGIN_LOADER_H_
