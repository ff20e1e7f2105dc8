// Which partition of an internal topic holds a consumer group's or a transactional id's
// coordinator: Kafka's partitionFor (GroupCoordinatorService, TransactionStateManager),
// `Utils.abs(id.hashCode()) % partitions` over __consumer_offsets or __transaction_state. The
// coordinator is that partition's leader, so the audit finds the broker to kill from the
// metadata (kafka::Admin::PartitionLeaders), with nothing librdkafka 2.0.2 lacks (it has no
// FindCoordinator call of its own, and no DescribeTransactions).
//
//   const int p = CoordinatorPartition("app-i0", /*partitions=*/3);
//   ONCEFLOW_ASSIGN_OR_RETURN(std::vector<int32_t> leaders,
//                             admin->PartitionLeaders(kTransactionStateTopic, timeout));
//   const int32_t coordinator = leaders[p];
//
// Pure functions: thread-safe.
#ifndef ONCEFLOW_AUDIT_COORDINATOR_H_
#define ONCEFLOW_AUDIT_COORDINATOR_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace onceflow::audit {

inline constexpr char kConsumerOffsetsTopic[] = "__consumer_offsets";
inline constexpr char kTransactionStateTopic[] = "__transaction_state";

// Java's String.hashCode of `utf8` (s[0]*31^(n-1) + ... over its UTF-16 code units, wrapping):
// what Kafka hashes a group id or transactional id with. Invalid UTF-8 bytes count as U+FFFD,
// as Java's decoder makes them.
int32_t JavaStringHash(absl::string_view utf8);

// The partition of the internal topic (`partitions` of them) that holds `id`'s coordinator.
// REQUIRES: partitions > 0.
int CoordinatorPartition(absl::string_view id, int partitions);

}  // namespace onceflow::audit

#endif  // ONCEFLOW_AUDIT_COORDINATOR_H_
