// The small commands that talk to Kafka: `onceflow ping`, `onceflow topic create|delete` and
// `onceflow offsets`. main.cc parses their flags into these structs; each Run* prints its result
// to stdout, its errors to stderr (sidecar/command_output.h), and returns the exit code:
// 0 ok, 1 the broker refused or did not answer, 2 usage error, 5 access refused.
//
//   PingFlags flags;
//   flags.client.command_configs = {"client.properties"};
//   return RunPing(flags);
#ifndef ONCEFLOW_SIDECAR_KAFKA_COMMANDS_H_
#define ONCEFLOW_SIDECAR_KAFKA_COMMANDS_H_

#include <string>
#include <vector>

#include "sidecar/client_properties.h"

namespace onceflow::sidecar {

struct PingFlags {
  ClientFlags client;
};

// Checks that the cluster answers a metadata request within 10 s.
int RunPing(const PingFlags& flags);

struct TopicCreateFlags {
  ClientFlags client;
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
  // Topic configs, "KEY=VALUE" each.
  std::vector<std::string> configs;
  bool if_not_exists = false;
};

// Creates the topic and returns once every partition has a leader.
int RunTopicCreate(const TopicCreateFlags& flags);

struct TopicDeleteFlags {
  ClientFlags client;
  std::vector<std::string> names;
  bool if_exists = false;
};

// Deletes the topics (none if one is missing, unless if_exists) and returns once the cluster's
// metadata no longer lists them.
int RunTopicDelete(const TopicDeleteFlags& flags);

struct OffsetsFlags {
  ClientFlags client;
  std::string group;
  std::string topic;
};

// Prints the group's committed offset, the end offset and the lag of every partition of the
// topic. Never joins the group.
int RunOffsets(const OffsetsFlags& flags);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_KAFKA_COMMANDS_H_
