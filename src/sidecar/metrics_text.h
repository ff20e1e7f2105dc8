// Renders ProcessorMetrics in the Prometheus text exposition format (version 0.0.4).
// Metric names start with "onceflow_"; see docs/sidecar.md for what each means.
#ifndef ONCEFLOW_SIDECAR_METRICS_TEXT_H_
#define ONCEFLOW_SIDECAR_METRICS_TEXT_H_

#include <string>

#include "onceflow/processor.h"

namespace onceflow::sidecar {

// `labels` are added to every sample, e.g. {application="orders",instance="a"} rendered
// from the two values given.
std::string RenderPrometheus(const ProcessorMetrics& m, const std::string& application,
                             const std::string& instance, const std::string& mode);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_METRICS_TEXT_H_
