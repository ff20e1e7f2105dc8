// A chain of the sidecar's transforms in which a stage's outputs keep the destination (topic,
// partition) an earlier stage chose, unless they choose their own: onceflow::Chain hands each
// stage a Record, which has no destination, so without this a `route` followed by `headers`
// would lose its topic.
//
//   std::unique_ptr<Transform> chain = DestinationChain(std::move(stages));
//
// Thread-safety: as every Transform, the chain is called from one thread at a time.
#ifndef ONCEFLOW_SIDECAR_DESTINATION_CHAIN_H_
#define ONCEFLOW_SIDECAR_DESTINATION_CHAIN_H_

#include <memory>
#include <vector>

#include "onceflow/transform.h"

namespace onceflow::sidecar {

// The stages, in order, as one transform (named as onceflow::Chain names it).
// REQUIRES: at least two stages (one needs no chain).
std::unique_ptr<Transform> DestinationChain(std::vector<std::unique_ptr<Transform>> stages);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_DESTINATION_CHAIN_H_
