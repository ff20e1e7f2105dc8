// The audit's records: what the generator writes to the input topic, and how the checker reads
// them back from the input and the output.
//
// A value is compact JSON with the record's key, its per-key sequence number (0, 1, 2, ... in
// the order the generator produced that key's records) and a run-unique id:
//
//   {"k":"k17","s":42,"id":"r5-1234"}         an original record
//   {"k":"k17","s":42,"id":"r5-1234","u":1}   the 1st upstream duplicate of it
//
// An upstream duplicate repeats an earlier record's key, seq and id at a new offset, as a
// retrying upstream producer would. It carries "u" (its copy number) so the checker can tell
// an upstream duplicate that got through dedupe from a duplicate the processor made itself;
// dedupe keys on "id" only, so "u" does not help dedupe.
//
//   std::string v = EncodeValue({.key = "k3", .seq = 7, .id = "r-9"});
//   absl::StatusOr<WorkloadValue> back = DecodeValue(v);
#ifndef ONCEFLOW_AUDIT_WORKLOAD_H_
#define ONCEFLOW_AUDIT_WORKLOAD_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onceflow::audit {

struct WorkloadValue {
  std::string key;
  int64_t seq = 0;
  std::string id;
  int copy = 0;  // 0 = the original; n > 0 = the n-th upstream duplicate

  friend bool operator==(const WorkloadValue& a, const WorkloadValue& b) {
    return a.key == b.key && a.seq == b.seq && a.id == b.id && a.copy == b.copy;
  }
};

// The JSON text of `value` (see the file comment). Keys and ids must not need escaping.
std::string EncodeValue(const WorkloadValue& value);

// Parses what EncodeValue wrote. kInvalidArgument for anything else (the checker counts such
// output records as unexpected rather than guessing).
absl::StatusOr<WorkloadValue> DecodeValue(absl::string_view text);

// What the generator sends, in order: `records` originals over `keys` keys (key chosen by the
// seeded generator, seq counted per key), each followed, with probability `dup_rate`, by an
// upstream duplicate of a random earlier original. The same arguments give the same plan, so
// `--mode both` feeds each mode the same input.
struct WorkloadPlan {
  std::vector<WorkloadValue> sends;
  int64_t originals = 0;
  int64_t duplicates = 0;
};
WorkloadPlan MakeWorkload(int64_t records, int keys, double dup_rate, uint64_t seed,
                          absl::string_view id_prefix);

}  // namespace onceflow::audit

#endif  // ONCEFLOW_AUDIT_WORKLOAD_H_
