// RebalanceListener: told about the partitions a consumer group gives to and takes from this
// member. No librdkafka type appears here, so fakes implement and call it too.
#ifndef ONCEFLOW_KAFKA_REBALANCE_LISTENER_H_
#define ONCEFLOW_KAFKA_REBALANCE_LISTENER_H_

#include <vector>

#include "onceflow/kafka_types.h"

namespace onceflow::kafka {

// Told about partitions given to and taken from this consumer, from inside the consumer's
// Poll(). The consumer applies the change after the call returns, so OnRevoked is the last
// moment to commit for those partitions. Under the eager protocol every revocation is of the
// whole assignment; under the cooperative one (incremental) the partitions named are the ones
// added or taken away, and the others stay assigned.
// Implementations must not throw.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // Returns the partitions (of `partitions`) that must start paused — nothing is fetched for
  // them until they are resumed (e.g. their state is still being restored).
  virtual std::vector<TopicPartition> OnAssigned(const std::vector<TopicPartition>& partitions) = 0;
  virtual void OnRevoked(const std::vector<TopicPartition>& partitions) = 0;
  // The assignment was lost without a clean revoke (session timeout, fencing): commits for
  // these partitions will fail; drop their in-flight work.
  virtual void OnLost(const std::vector<TopicPartition>& partitions) { OnRevoked(partitions); }
};

}  // namespace onceflow::kafka

#endif  // ONCEFLOW_KAFKA_REBALANCE_LISTENER_H_
