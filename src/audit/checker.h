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
//                 a zombie, or an upstream duplicate that got through dedupe); without dedupe,
//                 beyond the first and the generator's repeats of it (input_duplicates)
//   input_duplicates  input records whose bytes an earlier input record already had: the
//                 generator's own, when a record its failed producer had in flight became
//                 visible only after the recovery's read-back and was sent again (runner.cc).
//                 Without dedupe the processor must pass both (and count both); with dedupe,
//                 drop the second like an upstream duplicate
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
//
// With poison records (workload.h) in the input, `expected` counts the other originals, and:
//   poison_expected      input records (originals and their upstream duplicates, by input
//                        partition and offset) that are poison
//   poison_dead_lettered poison input records found in the dead-letter topic (by the
//                        original-partition and original-offset headers)
//   poison_lost          poison_expected - poison_dead_lettered
//   poison_in_output     output records that are poison (the output topic should refuse them)
//   dead_letter_duplicates  dead letters beyond the first for one input record
//   dead_letters_unexpected dead letters that are not a poison input record with its headers
//                        (original-topic, -partition, -offset naming it; error-class
//                        "permanent"; a non-empty error-message)
//   upstream_duplicates_injected / _dropped count duplicates of non-poison originals only
//
// With counts (output records carry the count header of the `count` built-in):
//   counts_high   per key, first occurrences (see order_violations) whose count is above the
//                 key's running count at that record in the input: its rank among the key's
//                 non-poison originals (1-based), plus without dedupe the generator's repeats
//                 (input_duplicates) before it: a state update applied twice, or a dropped
//                 duplicate counted
//   counts_low    ... below it: a state update lost
//   counts_missing  output records without a count header that parses
//   count_state_ahead / count_state_behind  keys whose count in the store (the changelog's last
//                 value) is above / below the count on the key's last output record (a key
//                 in one and not the other counts on the side it is missing from). The last
//                 record, not the highest count: under alos a rolled-back unit's outputs stay
//                 in the output, and its replay counts again from the store's value
//   transient_retried  distinct originals whose output carries the chaos header (records the
//                 transform failed transiently and the runtime retried)
#ifndef ONCEFLOW_AUDIT_CHECKER_H_
#define ONCEFLOW_AUDIT_CHECKER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
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
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of the last header called `name`, if any.
  std::optional<std::string> Header(const std::string& name) const;
};

// The headers the checker reads: the audit's `count` and `chaos` stages' (src/sidecar), and
// the dead letters' (runtime/record_processor.h).
inline constexpr char kCountHeader[] = "onceflow-count";
inline constexpr char kChaosHeader[] = "onceflow-chaos-failures";

struct CheckInput {
  std::vector<ReadBack> input;
  std::vector<ReadBack> output;              // read_committed, after the run
  std::vector<ReadBack> output_uncommitted;  // read_uncommitted, after the run
  std::vector<ReadBack> live;                // read_committed, during the run
  // Ids in the dedupe state (the changelog's live "k" + id keys), when dedupe is on.
  std::optional<std::set<std::string>> dedupe_ids;
  // When each fault started (ms since the run started, ascending), for the stall measure.
  std::vector<int64_t> fault_ms;
  // Output records carry kCountHeader: check it.
  bool counts = false;
  // The processor drops records whose id it has seen (upstream duplicates must not pass).
  bool dedupe = false;
  // The count store (its changelog's live entries): record key -> count, when counts is set.
  std::optional<std::map<std::string, int64_t>> count_state;
  // The dead-letter topic, read_committed, when the children dead-letter; `input_topic` is what
  // the dead letters' original-topic must say (empty: not checked).
  std::optional<std::vector<ReadBack>> dead_letters;
  std::string input_topic;
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
  int64_t input_duplicates = 0;
  int64_t aborted_reads = 0;
  int64_t aborted_in_log = 0;
  int64_t upstream_duplicates_dropped = 0;
  int64_t unexpected = 0;
  // Dedupe state against the output: output ids missing from the state, state ids missing from
  // the output. -1 when dedupe is off.
  int64_t dedupe_state_missing = -1;
  int64_t dedupe_state_extra = -1;
  // Poison records and dead letters (see above); the dead-letter counts are -1 when no
  // dead-letter topic was read.
  int64_t poison_expected = 0;
  int64_t poison_dead_lettered = -1;
  int64_t poison_lost = -1;
  int64_t poison_in_output = 0;
  int64_t dead_letters = -1;
  int64_t dead_letter_duplicates = -1;
  int64_t dead_letters_unexpected = -1;
  // One dead letter's error-class and error-message, for the report.
  std::string dead_letter_reason;
  // Counts (see above); -1 when not checked.
  int64_t counts_checked = -1;
  int64_t counts_high = -1;
  int64_t counts_low = -1;
  int64_t counts_missing = -1;
  int64_t count_state_keys = -1;
  int64_t count_state_ahead = -1;
  int64_t count_state_behind = -1;
  int64_t transient_retried = 0;
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
