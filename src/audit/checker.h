// The audit's checker: pure logic from what was read back to the counts the report shows. It
// talks to no broker, so each anomaly is unit-tested by planting it (tests/audit/).
//
//   CheckInput in;
//   in.input = ...;            // the input topic, read after the run
//   in.output = ...;           // the output, read_committed from the start after the run
//   in.output_uncommitted = ...;  // the output, read_uncommitted
//   in.live = ...;             // what the read_committed consumer saw while the run went on
//   CheckResult r = Check(in);
//
// Definitions (docs/guarantees.md repeats them for users):
//   expected      distinct ids of original records in the input
//   delivered     distinct expected ids present in the output
//   lost          expected - delivered
//   duplicates    output records beyond the first for each id (whatever made them: a replay,
//                 a zombie, or an upstream duplicate that got through dedupe)
//   order_violations  per key, walk the output in (partition, offset) order and keep the
//                 first occurrence of each seq; a first occurrence whose seq is below the
//                 highest seq already seen for that key is one violation
//   aborted_reads records the live read_committed consumer saw whose partition and offset
//                 hold nothing, or another record, in the final read_committed read (dirty
//                 reads of an aborted transaction)
//   aborted_in_log  data records a read_uncommitted reader finds at offsets the
//                 read_committed reader does not (records of aborted transactions)
//   upstream_duplicates_dropped  upstream duplicates in the input whose copy is not in the
//                 output
//   unexpected    output records that are not audit records or carry an id the input lacks
#ifndef ONCEFLOW_AUDIT_CHECKER_H_
#define ONCEFLOW_AUDIT_CHECKER_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace onceflow::audit {

// One record read back from a topic.
struct ReadBack {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  bool null_value = false;  // a tombstone (changelogs only)
  int64_t seen_ms = 0;      // live reads only: ms since the run started when it arrived
};

struct CheckInput {
  std::vector<ReadBack> input;
  std::vector<ReadBack> output;              // read_committed, after the run
  std::vector<ReadBack> output_uncommitted;  // read_uncommitted, after the run
  std::vector<ReadBack> live;                // read_committed, during the run
  // Ids in the dedupe state (the changelog's live "k" + id keys), when dedupe is on.
  std::optional<std::set<std::string>> dedupe_ids;
  // When each fault started (ms since the run started, ascending), for the stall measure.
  std::vector<int64_t> fault_ms;
};

struct CheckResult {
  int64_t input_records = 0;
  int64_t expected = 0;
  int64_t upstream_duplicates_injected = 0;
  int64_t output_records = 0;
  int64_t delivered = 0;
  int64_t lost = 0;
  int64_t duplicates = 0;
  int64_t order_violations = 0;
  int64_t input_order_violations = 0;  // the generator's own order, as a sanity check
  int64_t aborted_reads = 0;
  int64_t aborted_in_log = 0;
  int64_t upstream_duplicates_dropped = 0;
  int64_t unexpected = 0;
  // Dedupe state against the output: output ids missing from the state, state ids missing from
  // the output. -1 when dedupe is off.
  int64_t dedupe_state_missing = -1;
  int64_t dedupe_state_extra = -1;
  // Per fault: the longest wait, over output partitions, between consecutive records the live
  // consumer saw, within [this fault's start, the next fault's start]: waits are clipped to that
  // window, so each ms of waiting counts for the latest fault before it. -1 when no output came
  // after the fault at all.
  std::vector<int64_t> stall_ms;
  int64_t max_stall_ms = 0;
  int64_t p99_stall_ms = 0;
};

CheckResult Check(const CheckInput& in);

// The p-th percentile (0 < p <= 100, nearest rank) of the values >= 0 in `values`; 0 if none.
int64_t Percentile(std::vector<int64_t> values, double p);

}  // namespace onceflow::audit

#endif  // ONCEFLOW_AUDIT_CHECKER_H_
