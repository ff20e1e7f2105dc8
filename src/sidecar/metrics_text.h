// Renders ProcessorMetrics in the Prometheus text exposition format (version 0.0.4): the
// onceflow_* metrics with the labels application, instance_id and mode (onceflow_kafka_* only
// when librdkafka's statistics are on); onceflow_build_info; and the standard process_* metrics. See docs/sidecar.md#metrics for what each means; the
// metric names and types are a compatibility surface (CHANGELOG.md).
//
//   RenderPrometheus(processor.metrics(), {"orders", "orders-0", "eos"}, GetBuildInfo(),
//                    ReadProcessStats());
#ifndef ONCEFLOW_SIDECAR_METRICS_TEXT_H_
#define ONCEFLOW_SIDECAR_METRICS_TEXT_H_

#include <string>

#include "onceflow/processor.h"
#include "sidecar/build_info.h"
#include "sidecar/process_stats.h"

namespace onceflow::sidecar {

// The labels of every onceflow_* sample but onceflow_build_info. Not "instance": Prometheus
// sets that label to the scrape target's address, and would rename ours to exported_instance.
struct MetricsLabels {
  std::string application;  // application="..."
  std::string instance_id;  // instance_id="..."
  std::string mode;         // mode="eos" or "alos"
};

std::string RenderPrometheus(const ProcessorMetrics& m, const MetricsLabels& labels,
                             const BuildInfo& build, const ProcessStats& process);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_METRICS_TEXT_H_
