// Kafka client properties for the commands that talk to Kafka (ping, topic, offsets, bench,
// audit), taken the way Kafka's own tools and kcat take them:
//
//   --command-config FILE   librdkafka properties, one `key=value` a line (kcat -F's format;
//                           `#` and `!` start comments); repeatable, later files win
//   -X key=value            one librdkafka property (as kcat -X and rpk -X); repeatable, wins
//                           over the files
//   --bootstrap HOST:PORT   (also --bootstrap-server, -b) wins over both; else
//                           bootstrap.servers from them, else $ONCEFLOW_BOOTSTRAP, else
//                           127.0.0.1:19092 (the broker scripts/kafka starts)
//
//   ClientFlags flags{.properties = {"security.protocol=SASL_SSL"}};
//   ONCEFLOW_ASSIGN_OR_RETURN(kafka::Properties props, ResolveClientProperties(flags));
//
// Property values are never printed (a secret can be any of them); names are.
#ifndef ONCEFLOW_SIDECAR_CLIENT_PROPERTIES_H_
#define ONCEFLOW_SIDECAR_CLIENT_PROPERTIES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kafka/config.h"
#include "sidecar/config_loader.h"

namespace onceflow::sidecar {

struct ClientFlags {
  // --bootstrap / --bootstrap-server / -b; "" = not given.
  std::string bootstrap;
  // -X key=value, in the order given.
  std::vector<std::string> properties;
  // --command-config FILE, in the order given.
  std::vector<std::string> command_configs;
};

// $ONCEFLOW_BOOTSTRAP, else 127.0.0.1:19092.
std::string DefaultBootstrap(const EnvLookup& env = ProcessEnv());

// Parses a properties file's text: `key=value` or `key: value` lines; blank lines and lines
// starting with `#` or `!` are skipped; whitespace around keys and values is dropped. `name`
// stands for the file in errors (kInvalidArgument "FILE:LINE: ..."), which never show values.
absl::StatusOr<kafka::Properties> ParseProperties(absl::string_view text, absl::string_view name);

// Reads and parses a properties file; kNotFound / kPermissionDenied / kFailedPrecondition when
// it cannot be read.
absl::StatusOr<kafka::Properties> ReadProperties(const std::string& path);

// The client properties `flags` describe (see the top of this file), bootstrap.servers always
// set (a metadata.broker.list becomes bootstrap.servers). kInvalidArgument for a malformed -X, an
// empty --bootstrap, or a file that does not parse.
absl::StatusOr<kafka::Properties> ResolveClientProperties(const ClientFlags& flags,
                                                          const EnvLookup& env = ProcessEnv());

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_CLIENT_PROPERTIES_H_
