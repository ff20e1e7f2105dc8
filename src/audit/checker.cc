#include "audit/checker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "audit/workload.h"
#include "runtime/record_processor.h"

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

// What the input says: which ids and records are expected where.
struct InputFacts {
  absl::flat_hash_set<std::string> expected;  // ids of non-poison originals
  absl::flat_hash_set<std::string> all_ids;
  absl::flat_hash_set<std::string> poison_ids;
  std::set<std::pair<std::string, int>> injected_copies;  // of non-poison originals
  // Poison input records by position, with their values.
  std::map<PartitionOffset, const std::string*> poison_at;
  // Per key and seq of a non-poison original, the key's running count when the processor
  // handles its first occurrence: the records of the key that count up to it, in input order
  // (the originals; without dedupe also the generator's repeats).
  absl::flat_hash_map<std::string, absl::flat_hash_map<int64_t, int64_t>> want_count;
  // Per id, input records that repeat an earlier one byte for byte (the generator's).
  absl::flat_hash_map<std::string, int64_t> repeats_of_id;
  int64_t input_duplicates = 0;
};

InputFacts ReadInput(const std::vector<const ReadBack*>& input, bool dedupe) {
  InputFacts f;
  absl::flat_hash_set<absl::string_view> values;
  absl::flat_hash_map<std::string, int64_t> running;  // per key
  for (const ReadBack* rec : input) {
    absl::StatusOr<WorkloadValue> v = DecodeValue(rec->value);
    if (!v.ok()) continue;
    f.all_ids.insert(v->id);
    if (!values.insert(rec->value).second) {
      // The generator's own duplicate (checker.h): with dedupe it must be dropped like an
      // upstream duplicate; without, it is one more record to pass and count.
      ++f.input_duplicates;
      ++f.repeats_of_id[v->id];
      if (v->poison()) {
        f.poison_at[{rec->partition, rec->offset}] = &rec->value;
      } else if (!dedupe && v->copy == 0) {
        ++running[v->key];
      }
      continue;
    }
    if (v->poison()) {
      f.poison_ids.insert(v->id);
      f.poison_at[{rec->partition, rec->offset}] = &rec->value;
    } else if (v->copy == 0) {
      f.expected.insert(v->id);
      f.want_count[v->key].emplace(v->seq, ++running[v->key]);
    } else {
      f.injected_copies.insert({v->id, v->copy});
    }
  }
  return f;
}

std::optional<int64_t> IntHeader(const ReadBack& r, const std::string& name) {
  std::optional<std::string> text = r.Header(name);
  int64_t n = 0;
  if (!text.has_value() || !absl::SimpleAtoi(*text, &n)) return std::nullopt;
  return n;
}

// The count checks (checker.h) over the output in (partition, offset) order.
void CheckCounts(const std::vector<const ReadBack*>& output, const InputFacts& facts,
                 const CheckInput& in, CheckResult& r) {
  r.counts_checked = r.counts_high = r.counts_low = r.counts_missing = 0;
  absl::flat_hash_map<std::string, absl::flat_hash_set<int64_t>> seen;
  // Per key, the count on its last output record (in (partition, offset) order: a key's
  // records all go to one output partition). Under eos it is also the highest; under alos a
  // rolled-back unit's outputs stay, and the replay after them counts from the store again.
  std::map<std::string, int64_t> last;
  for (const ReadBack* rec : output) {
    absl::StatusOr<WorkloadValue> v = DecodeValue(rec->value);
    if (!v.ok() || facts.all_ids.count(v->id) == 0 || v->poison()) continue;
    const std::optional<int64_t> count = IntHeader(*rec, kCountHeader);
    if (!count.has_value()) {
      ++r.counts_missing;
      continue;
    }
    last[v->key] = *count;
    if (!seen[v->key].insert(v->seq).second) continue;  // not a first occurrence
    auto seqs = facts.want_count.find(v->key);
    if (seqs == facts.want_count.end()) continue;
    auto at = seqs->second.find(v->seq);
    if (at == seqs->second.end()) continue;  // not an original's seq
    const int64_t want = at->second;
    ++r.counts_checked;
    if (*count > want) ++r.counts_high;
    if (*count < want) ++r.counts_low;
  }
  if (!in.count_state.has_value()) return;
  r.count_state_keys = static_cast<int64_t>(in.count_state->size());
  r.count_state_ahead = r.count_state_behind = 0;
  for (const auto& [key, shown] : last) {
    auto stored = in.count_state->find(key);
    const int64_t n = stored == in.count_state->end() ? 0 : stored->second;
    if (n > shown) ++r.count_state_ahead;
    if (n < shown) ++r.count_state_behind;
  }
  for (const auto& [key, n] : *in.count_state) {
    if (last.count(key) == 0 && n > 0) ++r.count_state_ahead;
  }
}

// The dead-letter checks (checker.h).
void CheckDeadLetters(const std::vector<ReadBack>& dead_letters, const InputFacts& facts,
                      const std::string& input_topic, CheckResult& r) {
  r.dead_letters = static_cast<int64_t>(dead_letters.size());
  r.dead_letter_duplicates = r.dead_letters_unexpected = 0;
  std::set<PartitionOffset> found;
  for (const ReadBack& d : dead_letters) {
    const std::optional<std::string> topic = d.Header(runtime::kHeaderOriginalTopic);
    const std::optional<int64_t> partition = IntHeader(d, runtime::kHeaderOriginalPartition);
    const std::optional<int64_t> offset = IntHeader(d, runtime::kHeaderOriginalOffset);
    const std::optional<std::string> error_class = d.Header(runtime::kHeaderErrorClass);
    const std::optional<std::string> message = d.Header(runtime::kHeaderErrorMessage);
    if (r.dead_letter_reason.empty() && error_class.has_value() && message.has_value()) {
      r.dead_letter_reason = absl::StrCat(*error_class, ": ", *message);
    }
    const bool named = topic.has_value() && (input_topic.empty() || *topic == input_topic) &&
                       partition.has_value() && offset.has_value();
    auto poison = named ? facts.poison_at.find({static_cast<int32_t>(*partition), *offset})
                        : facts.poison_at.end();
    if (poison == facts.poison_at.end() || *poison->second != d.value ||
        error_class != std::optional<std::string>("permanent") || !message.has_value() ||
        message->empty()) {
      ++r.dead_letters_unexpected;
      continue;
    }
    if (!found.insert(poison->first).second) ++r.dead_letter_duplicates;
  }
  r.poison_dead_lettered = static_cast<int64_t>(found.size());
  r.poison_lost = r.poison_expected - r.poison_dead_lettered;
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

std::optional<std::string> ReadBack::Header(const std::string& name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return std::nullopt;
}

CheckResult Check(const CheckInput& in) {
  CheckResult r;

  // The input: which ids are expected, and how many upstream duplicates were injected.
  const std::vector<const ReadBack*> input = SortedByPosition(in.input);
  r.input_records = static_cast<int64_t>(input.size());
  const InputFacts facts = ReadInput(input, in.dedupe);
  r.input_duplicates = facts.input_duplicates;
  r.expected = static_cast<int64_t>(facts.expected.size());
  r.upstream_duplicates_injected = static_cast<int64_t>(facts.injected_copies.size());
  r.poison_expected = static_cast<int64_t>(facts.poison_at.size());
  r.input_order_violations = OrderViolations(input);

  // The final committed output.
  const std::vector<const ReadBack*> output = SortedByPosition(in.output);
  r.output_records = static_cast<int64_t>(output.size());
  absl::flat_hash_map<std::string, int64_t> copies_of_id;
  std::set<std::pair<std::string, int>> passed_copies;
  std::map<PartitionOffset, const std::string*> committed_at;
  absl::flat_hash_set<std::string> retried;
  for (const ReadBack* rec : output) {
    committed_at[{rec->partition, rec->offset}] = &rec->value;
    absl::StatusOr<WorkloadValue> v = DecodeValue(rec->value);
    if (!v.ok() || facts.all_ids.count(v->id) == 0) {
      ++r.unexpected;
      continue;
    }
    if (v->poison()) ++r.poison_in_output;
    if (rec->Header(kChaosHeader).has_value() && v->copy == 0) retried.insert(v->id);
    ++copies_of_id[v->id];
    if (v->copy > 0) passed_copies.insert({v->id, v->copy});
  }
  for (const auto& [id, n] : copies_of_id) {
    if (facts.expected.count(id) > 0) ++r.delivered;
    // One output per id; without dedupe, one more per repeat of the generator's.
    int64_t allowed = 1;
    if (!in.dedupe) {
      auto repeats = facts.repeats_of_id.find(id);
      if (repeats != facts.repeats_of_id.end()) allowed += repeats->second;
    }
    r.duplicates += std::max<int64_t>(0, n - allowed);
  }
  r.lost = r.expected - r.delivered;
  r.transient_retried = static_cast<int64_t>(retried.size());
  r.order_violations = OrderViolations(output);
  int64_t passed = 0;
  for (const auto& copy : passed_copies) passed += facts.injected_copies.count(copy);
  r.upstream_duplicates_dropped = r.upstream_duplicates_injected - passed;
  if (in.counts) CheckCounts(output, facts, in, r);
  if (in.dead_letters.has_value()) {
    CheckDeadLetters(*in.dead_letters, facts, in.input_topic, r);
  }

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
