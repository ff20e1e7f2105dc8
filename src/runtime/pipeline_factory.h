// The production wiring of a Processor, in one place (as Redpanda's transform api.cc): the
// Kafka consumer and producer with the properties the guarantee rests on, the sink, the
// committer of the mode, the state manager and the dedupe stage, handed to a mode-free
// Pipeline.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<Pipeline> p,
//                             MakeKafkaPipeline(options, std::move(transform)));
//
// Tests wire the same parts around fakes with MakePipeline.
#ifndef ONCEFLOW_RUNTIME_PIPELINE_FACTORY_H_
#define ONCEFLOW_RUNTIME_PIPELINE_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "kafka/config.h"
#include "onceflow/processor_options.h"
#include "onceflow/transform.h"
#include "runtime/client_statistics.h"
#include "runtime/io.h"
#include "runtime/pipeline.h"

namespace onceflow::runtime {

// REQUIRES: `options` validated (Processor::Create does it).
absl::StatusOr<std::unique_ptr<Pipeline>> MakeKafkaPipeline(ProcessorOptions options,
                                                            std::unique_ptr<Transform> transform);

// The same wiring on the given IO and clock (`clock` outlives the Pipeline). State stores and
// dedupe need a real cluster (their changelog topics are created with an admin client).
// `statistics`: where the clients' librdkafka statistics land (null: none; the factory makes
// one when statistics.interval.ms > 0).
absl::StatusOr<std::unique_ptr<Pipeline>> MakePipeline(
    ProcessorOptions options, std::unique_ptr<Transform> transform,
    std::unique_ptr<Source> source, std::unique_ptr<ProducerClient> producer, base::Clock& clock,
    std::shared_ptr<ClientStatistics> statistics = nullptr);

// The librdkafka properties of the processor's consumer and producer: the user's
// pass-through maps first, then what the guarantee rests on (Processor::Create refused
// conflicts).
kafka::Properties ConsumerProperties(const ProcessorOptions& options);
kafka::Properties ProducerProperties(const ProcessorOptions& options);

}  // namespace onceflow::runtime

#endif  // ONCEFLOW_RUNTIME_PIPELINE_FACTORY_H_
