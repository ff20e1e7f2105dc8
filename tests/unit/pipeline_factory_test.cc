#include "runtime/pipeline_factory.h"

#include "gtest/gtest.h"
#include "onceflow/processor_options.h"

namespace onceflow::runtime {
namespace {

ProcessorOptions Options() {
  ProcessorOptions o;
  o.static_membership = false;
  o.bootstrap_servers = "127.0.0.1:1";
  o.application_id = "app";
  o.instance_id = "a";
  o.input_topics = {"in"};
  o.output_topic = "out";
  return o;
}

std::string Assignor(const ProcessorOptions& o) {
  kafka::Properties props = ConsumerProperties(o);
  auto it = props.find("partition.assignment.strategy");
  return it == props.end() ? "<unset>" : it->second;
}

TEST(ConsumerPropertiesTest, TheDefaultAssignorIsCooperative) {
  EXPECT_EQ(Assignor(Options()), "cooperative-sticky");
  ProcessorOptions stateful = Options();
  stateful.state.stores = {"counts"};
  EXPECT_EQ(Assignor(stateful), "cooperative-sticky");
}

// A static member killed between the two rounds of an incremental rebalance comes back with its
// stored assignment and no rebalance: the revoked partition would have no owner.
TEST(ConsumerPropertiesTest, StaticMembershipKeepsTheEagerDefault) {
  ProcessorOptions o = Options();
  o.static_membership = true;
  EXPECT_EQ(Assignor(o), "<unset>");
  o.consumer_properties["partition.assignment.strategy"] = "cooperative-sticky";
  EXPECT_EQ(Assignor(o), "cooperative-sticky");  // named: the user's choice
}

TEST(ConsumerPropertiesTest, StateOverSeveralInputTopicsKeepsTheEagerDefault) {
  ProcessorOptions o = Options();
  o.input_topics = {"left", "right"};
  o.state.dedupe.emplace();
  EXPECT_EQ(Assignor(o), "<unset>");
  o.state.dedupe.reset();
  EXPECT_EQ(Assignor(o), "cooperative-sticky");  // stateless: nothing to keep together
}

TEST(ConsumerPropertiesTest, TheUsersAssignorOrGroupProtocolWins) {
  ProcessorOptions o = Options();
  o.consumer_properties["partition.assignment.strategy"] = "range";
  EXPECT_EQ(Assignor(o), "range");
  o.consumer_properties.clear();
  o.kafka_properties["partition.assignment.strategy"] = "roundrobin";
  EXPECT_EQ(Assignor(o), "roundrobin");
  o.kafka_properties.clear();
  o.consumer_properties["group.protocol"] = "consumer";  // the broker assigns
  EXPECT_EQ(Assignor(o), "<unset>");
  o.consumer_properties["group.protocol"] = "classic";
  EXPECT_EQ(Assignor(o), "cooperative-sticky");
}

}  // namespace
}  // namespace onceflow::runtime
