#include "audit/checker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "audit/workload.h"

namespace onceflow::audit {
namespace {

using PartitionOffset = std::pair<int32_t, int64_t>;

std::vector<const ReadBack*> SortedByPosition(const std::vector<ReadBack>& records) {
  std::vector<const ReadBack*> sorted;
  sorted.reserve(records.size());
  for (const ReadBack& r : records) sorted.push_back(&r);
  std::stable_sort(sorted.begin(), sorted.end(), [](const ReadBack* a, const ReadBack* b) {
    return std::tie(a->partition, a->offset) < std::tie(b->partition, b->offset);
  });
  return sorted;
}

// Order violations of `records` (see checker.h): per key, first occurrences of seqs must rise.
int64_t OrderViolations(const std::vector<const ReadBack*>& records) {
  struct KeyState {
    int64_t max_seq = -1;
    absl::flat_hash_set<int64_t> seen;
  };
  absl::flat_hash_map<std::string, KeyState> keys;
  int64_t violations = 0;
  for (const ReadBack* r : records) {
    absl::StatusOr<WorkloadValue> v = DecodeValue(r->value);
    if (!v.ok()) continue;
    KeyState& k = keys[v->key];
    if (!k.seen.insert(v->seq).second) continue;  // not a first occurrence
    if (v->seq < k.max_seq) {
      ++violations;
    } else {
      k.max_seq = v->seq;
    }
  }
  return violations;
}

}  // namespace

int64_t Percentile(std::vector<int64_t> values, double p) {
  values.erase(std::remove_if(values.begin(), values.end(), [](int64_t v) { return v < 0; }),
               values.end());
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t rank =
      static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

CheckResult Check(const CheckInput& in) {
  CheckResult r;

  // The input: which ids are expected, and how many upstream duplicates were injected.
  absl::flat_hash_set<std::string> expected;
  absl::flat_hash_set<std::string> all_input_ids;
  std::set<std::pair<std::string, int>> injected_copies;
  const std::vector<const ReadBack*> input = SortedByPosition(in.input);
  r.input_records = static_cast<int64_t>(input.size());
  for (const ReadBack* rec : input) {
    absl::StatusOr<WorkloadValue> v = DecodeValue(rec->value);
    if (!v.ok()) continue;
    all_input_ids.insert(v->id);
    if (v->copy == 0) {
      expected.insert(v->id);
    } else {
      injected_copies.insert({v->id, v->copy});
    }
  }
  r.expected = static_cast<int64_t>(expected.size());
  r.upstream_duplicates_injected = static_cast<int64_t>(injected_copies.size());
  r.input_order_violations = OrderViolations(input);

  // The final committed output.
  const std::vector<const ReadBack*> output = SortedByPosition(in.output);
  r.output_records = static_cast<int64_t>(output.size());
  absl::flat_hash_map<std::string, int64_t> copies_of_id;
  std::set<std::pair<std::string, int>> passed_copies;
  std::map<PartitionOffset, const std::string*> committed_at;
  for (const ReadBack* rec : output) {
    committed_at[{rec->partition, rec->offset}] = &rec->value;
    absl::StatusOr<WorkloadValue> v = DecodeValue(rec->value);
    if (!v.ok() || all_input_ids.count(v->id) == 0) {
      ++r.unexpected;
      continue;
    }
    ++copies_of_id[v->id];
    if (v->copy > 0) passed_copies.insert({v->id, v->copy});
  }
  for (const auto& [id, n] : copies_of_id) {
    if (expected.count(id) > 0) ++r.delivered;
    r.duplicates += n - 1;
  }
  r.lost = r.expected - r.delivered;
  r.order_violations = OrderViolations(output);
  int64_t passed = 0;
  for (const auto& copy : passed_copies) passed += injected_copies.count(copy);
  r.upstream_duplicates_dropped = r.upstream_duplicates_injected - passed;

  // Dirty reads: the live consumer saw something the committed log does not hold there.
  for (const ReadBack& rec : in.live) {
    auto it = committed_at.find({rec.partition, rec.offset});
    if (it == committed_at.end() || *it->second != rec.value) ++r.aborted_reads;
  }

  // Aborted records present in the log.
  for (const ReadBack& rec : in.output_uncommitted) {
    if (committed_at.count({rec.partition, rec.offset}) == 0) ++r.aborted_in_log;
  }

  // Dedupe state against the output's ids.
  if (in.dedupe_ids.has_value()) {
    r.dedupe_state_missing = 0;
    r.dedupe_state_extra = 0;
    for (const auto& [id, n] : copies_of_id) {
      if (in.dedupe_ids->count(id) == 0) ++r.dedupe_state_missing;
    }
    for (const std::string& id : *in.dedupe_ids) {
      if (copies_of_id.count(id) == 0) ++r.dedupe_state_extra;
    }
  }

  // Stalls, per fault and per output partition: the longest wait for a record after the fault
  // started and before the next one started, each wait
  // counted from the later of the previous record and the fault's start. The worst partition
  // counts: a transaction left open by a killed or paused instance holds the last stable offset
  // of only the partitions it wrote to. Longest wait rather than first record, because records
  // the reader fetched before the fault still arrive after it (a broker crash looks like a
  // 10 ms stall otherwise).
  std::map<int32_t, std::vector<int64_t>> seen;
  for (const ReadBack& rec : in.live) seen[rec.partition].push_back(rec.seen_ms);
  for (auto& [p, times] : seen) std::sort(times.begin(), times.end());
  for (size_t f = 0; f < in.fault_ms.size(); ++f) {
    const int64_t from = in.fault_ms[f];
    const int64_t until =
        f + 1 < in.fault_ms.size() ? in.fault_ms[f + 1] : std::numeric_limits<int64_t>::max();
    int64_t stall = -1;
    for (const auto& [p, times] : seen) {
      for (auto it = std::upper_bound(times.begin(), times.end(), from); it != times.end(); ++it) {
        const int64_t waited_from = it == times.begin() ? from : std::max(from, *(it - 1));
        // Each ms of waiting counts for the latest fault before it: a wait under way when the
        // next fault starts counts up to that start here, and from it for the next fault.
        stall = std::max(stall, std::min(*it, until) - waited_from);
        if (*it >= until) break;
      }
    }
    r.stall_ms.push_back(stall);
  }
  for (int64_t s : r.stall_ms) r.max_stall_ms = std::max(r.max_stall_ms, s);
  r.p99_stall_ms = Percentile(r.stall_ms, 99);
  return r;
}

}  // namespace onceflow::audit
