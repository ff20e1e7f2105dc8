// The audit's records: what the generator writes to the input topic, and how the checker reads
// them back from the input and the output.
//
// A value is compact JSON with the record's key, its per-key sequence number (0, 1, 2, ... in
// the order the generator produced that key's records) and a run-unique id:
//
//   {"k":"k17","s":42,"id":"r5-1234"}         an original record
//   {"k":"k17","s":42,"id":"r5-1234","u":1}   the 1st upstream duplicate of it
//
//   {"k":"k17","s":43,"id":"r5-1240","p":"xxx...x"}   a poison record: "p" pads it past
//                                                      what the output topic takes
//
// An upstream duplicate repeats an earlier record's key, seq and id at a new offset, as a
// retrying upstream producer would. It carries "u" (its copy number) so the checker can tell
// an upstream duplicate that got through dedupe from a duplicate the processor made itself;
// dedupe keys on "id" only, so "u" does not help dedupe. A poison record is larger than the
// output topic's max.message.bytes (but not the input's or the dead-letter topic's), so its
// output can never be produced: it must end in the dead-letter topic. Its upstream duplicates
// are poison too (the same bytes plus "u").
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
  // Bytes of "x" in the "p" field; > 0 = a poison record. Default: 0.
  int64_t pad = 0;

  bool poison() const { return pad > 0; }

  friend bool operator==(const WorkloadValue& a, const WorkloadValue& b) {
    return a.key == b.key && a.seq == b.seq && a.id == b.id && a.copy == b.copy && a.pad == b.pad;
  }
};

// The JSON text of `value` (see the file comment). Keys and ids must not need escaping.
std::string EncodeValue(const WorkloadValue& value);

// Parses what EncodeValue wrote. kInvalidArgument for anything else (the checker counts such
// output records as unexpected rather than guessing).
absl::StatusOr<WorkloadValue> DecodeValue(absl::string_view text);

struct WorkloadOptions {
  // Original records. Default: 1000.
  int64_t records = 1000;
  // Distinct keys. Default: 100.
  int keys = 100;
  // Probability that an original is followed by an upstream duplicate of a random earlier
  // original. Default: 0.
  double dup_rate = 0;
  // Probability that an original is a poison record (padded with `poison_bytes`), drawn from a
  // stream of its own, so the keys, seqs and duplicates of a seed do not change with it.
  // Default: 0.
  double poison_rate = 0;
  // A poison record's padding. Default: 100000.
  int64_t poison_bytes = 100000;
  uint64_t seed = 1;
  // Ids are <id_prefix><n>, n the original's number.
  std::string id_prefix = "r-";
};

// What the generator sends, in order: `records` originals over `keys` keys (key chosen by the
// seeded generator, seq counted per key, poison records included), each followed, with
// probability `dup_rate`, by an upstream duplicate of a random earlier original. The same
// options give the same plan, so `--mode both` feeds each mode the same input.
struct WorkloadPlan {
  std::vector<WorkloadValue> sends;
  int64_t originals = 0;
  int64_t duplicates = 0;
  int64_t poison = 0;             // poison originals
  int64_t poison_duplicates = 0;  // upstream duplicates of poison originals (poison too)
};
WorkloadPlan MakeWorkload(const WorkloadOptions& options);

}  // namespace onceflow::audit

#endif  // ONCEFLOW_AUDIT_WORKLOAD_H_
