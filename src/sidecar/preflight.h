// What `onceflow run` checks before the engine starts, so a cluster that will not let this
// instance in fails fast, with who was refused what, and nothing is consumed:
//
//   1. the cluster answers a metadata request (waiting up to `timeout`, as the engine would);
//      a refused SASL login or an untrusted broker certificate ends the wait at once;
//   2. every input, the output and the dead-letter topic may be described;
//   3. the group's committed offsets may be read (the group's ACL).
//
// The rest of what the instance needs (Read and Write on the topics, Write on its
// transactional id) shows only when the engine uses it; ExplainRunError names the principal,
// the resource and the operation then.
//
//   ONCEFLOW_RETURN_IF_ERROR(CheckAccess(options, [] { return stopping; }, 60s));
//   absl::Status st = ExplainRunError(processor->Run(), options);
#ifndef ONCEFLOW_SIDECAR_PREFLIGHT_H_
#define ONCEFLOW_SIDECAR_PREFLIGHT_H_

#include <chrono>
#include <functional>

#include "absl/status/status.h"
#include "kafka/config.h"
#include "onceflow/processor_options.h"

namespace onceflow::sidecar {

// The properties the engine's consumer starts from: bootstrap.servers, `kafka:`, `consumer:`.
kafka::Properties ConsumerSideProperties(const ProcessorOptions& o);
// The properties the engine's producer starts from: bootstrap.servers, `kafka:`, `producer:`.
kafka::Properties ProducerSideProperties(const ProcessorOptions& o);

// Runs the checks above. OK also when a topic does not exist (the engine says so, exit 1).
// kUnauthenticated / kPermissionDenied (with the Kafka error code payload) when access is
// refused; kUnavailable when the cluster does not answer within `timeout`; kCancelled as soon
// as `stopped()` returns true (checked at least every second).
absl::Status CheckAccess(const ProcessorOptions& o, const std::function<bool()>& stopped,
                         std::chrono::milliseconds timeout);

// `status` from Processor::Run, explained when the cluster refused access (see access.h):
// the transactional id, the group, a topic or the cluster, and the principal. Other statuses
// are returned unchanged.
absl::Status ExplainRunError(const absl::Status& status, const ProcessorOptions& o);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_PREFLIGHT_H_
