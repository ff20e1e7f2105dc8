// The audit's report: targets side by side in the table and the JSON, with the network faults.
#include "audit/report.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onceflow::audit {
namespace {

using ::testing::HasSubstr;

std::vector<RunResult> TwoTargets() {
  RunResult a;
  a.target = "onceflow";
  a.mode = "eos";
  a.records = 100;
  a.ok = true;
  a.net_cuts = 2;
  a.isolations = 1;
  RunResult b = a;
  b.target = "kafka-streams";
  b.ok = false;
  b.why = "duplicates";
  b.check.duplicates = 3;
  return {a, b};
}

TEST(ReportTest, TheTableNamesEachRunsTarget) {
  const std::string t = FormatTable(TwoTargets());
  EXPECT_THAT(t, ::testing::StartsWith("target        mode "));
  EXPECT_THAT(t, ::testing::ContainsRegex("\nonceflow +eos +100 .* yes"));
  EXPECT_THAT(t, ::testing::ContainsRegex("\nkafka-streams eos +100 +0 +0 +3 .* NO"));
  // The run lines: onceflow's as before, another target's with its name.
  EXPECT_THAT(t, HasSubstr("\neos: seed "));
  EXPECT_THAT(t, HasSubstr("\nkafka-streams eos: seed "));
  EXPECT_THAT(t, HasSubstr("network faults: 0 delay(s), 2 cut(s), 1 isolation(s)"));
  EXPECT_THAT(t, HasSubstr("broken: duplicates"));
}

TEST(ReportTest, TheJsonNamesEachRunsTargetAndItsNetworkFaults) {
  const std::string j = FormatJson(TwoTargets());
  // Among the additions, after the fields the issue fixed.
  EXPECT_THAT(j, HasSubstr("\"ok\": true, \"target\": \"onceflow\", \"seed\": "));
  EXPECT_THAT(j, HasSubstr("\"ok\": false, \"target\": \"kafka-streams\", \"seed\": "));
  EXPECT_THAT(j, HasSubstr("\"net_delays\": 0, \"net_cuts\": 2, \"isolations\": 1"));
}

TEST(ReportTest, NoNetworkFaultsSaysSo) {
  RunResult r;
  r.mode = "alos";
  EXPECT_THAT(FormatTable({r}), HasSubstr("no network faults"));
}

}  // namespace
}  // namespace onceflow::audit
