// The `route` built-in (proto/onceflow/v1/pipeline_config.proto, RouteConfig): sets the topic
// to topic_prefix + the value of `json_field` (a string, number or boolean) or of `header`;
// when it is missing, empty, null, an object or an array, or the value is not JSON:
// default_topic, or if that is empty the topic is left to the pipeline's output (or an earlier
// route). A chosen topic that is not a valid Kafka topic name is a PermanentError. The
// transform's name() is "route".
//
//   ONCEFLOW_ASSIGN_OR_RETURN(std::unique_ptr<Transform> route,
//                             BuildRoute(config.route(), "transforms[2]: route"));
#ifndef ONCEFLOW_SIDECAR_ROUTE_TRANSFORM_H_
#define ONCEFLOW_SIDECAR_ROUTE_TRANSFORM_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "onceflow/transform.h"
#include "onceflow/v1/pipeline_config.pb.h"

namespace onceflow::sidecar {

// kInvalidArgument "<where>: ..." unless exactly one of json_field and header is set, for a
// malformed json_field path, a topic_prefix with characters topic names cannot have, or an
// invalid default_topic.
absl::StatusOr<std::unique_ptr<Transform>> BuildRoute(const v1::RouteConfig& config,
                                                      const std::string& where);

}  // namespace onceflow::sidecar

#endif  // ONCEFLOW_SIDECAR_ROUTE_TRANSFORM_H_
