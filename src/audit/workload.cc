#include "audit/workload.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace onceflow::audit {
namespace {

// Reads `"name":` at `pos` and moves past it.
bool Expect(absl::string_view text, size_t& pos, absl::string_view token) {
  if (text.substr(pos, token.size()) != token) return false;
  pos += token.size();
  return true;
}

bool ReadString(absl::string_view text, size_t& pos, std::string& out) {
  if (pos >= text.size() || text[pos] != '"') return false;
  const size_t end = text.find('"', pos + 1);
  if (end == absl::string_view::npos) return false;
  out = std::string(text.substr(pos + 1, end - pos - 1));
  pos = end + 1;
  return true;
}

bool ReadInt(absl::string_view text, size_t& pos, int64_t& out) {
  size_t end = pos;
  while (end < text.size() && (text[end] == '-' || (text[end] >= '0' && text[end] <= '9'))) ++end;
  if (!absl::SimpleAtoi(text.substr(pos, end - pos), &out)) return false;
  pos = end;
  return true;
}

}  // namespace

std::string EncodeValue(const WorkloadValue& value) {
  std::string out =
      absl::StrCat("{\"k\":\"", value.key, "\",\"s\":", value.seq, ",\"id\":\"", value.id, "\"");
  if (value.copy > 0) absl::StrAppend(&out, ",\"u\":", value.copy);
  out += "}";
  return out;
}

absl::StatusOr<WorkloadValue> DecodeValue(absl::string_view text) {
  WorkloadValue v;
  size_t pos = 0;
  int64_t copy = 0;
  const bool ok = Expect(text, pos, "{\"k\":") && ReadString(text, pos, v.key) &&
                  Expect(text, pos, ",\"s\":") && ReadInt(text, pos, v.seq) &&
                  Expect(text, pos, ",\"id\":") && ReadString(text, pos, v.id) &&
                  (text.substr(pos, 1) == "}" ||
                   (Expect(text, pos, ",\"u\":") && ReadInt(text, pos, copy) && copy > 0)) &&
                  Expect(text, pos, "}") && pos == text.size();
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an audit record: '", text.substr(0, 80), "'"));
  }
  v.copy = static_cast<int>(copy);
  return v;
}

WorkloadPlan MakeWorkload(int64_t records, int keys, double dup_rate, uint64_t seed,
                          absl::string_view id_prefix) {
  // A stream of its own (seed mixed with a constant), so the fault schedule drawn from the same
  // --seed does not shift when the record count changes.
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  std::uniform_int_distribution<int> pick_key(0, keys - 1);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  WorkloadPlan plan;
  plan.sends.reserve(static_cast<size_t>(records + records * dup_rate + 16));
  std::vector<int64_t> next_seq(static_cast<size_t>(keys), 0);
  std::vector<size_t> originals;  // indexes into plan.sends
  originals.reserve(static_cast<size_t>(records));
  std::map<size_t, int> copies;
  for (int64_t n = 0; n < records; ++n) {
    const int k = pick_key(rng);
    plan.sends.push_back(
        {absl::StrCat("k", k), next_seq[static_cast<size_t>(k)]++, absl::StrCat(id_prefix, n), 0});
    originals.push_back(plan.sends.size() - 1);
    ++plan.originals;
    if (dup_rate > 0 && coin(rng) < dup_rate) {
      std::uniform_int_distribution<size_t> pick(0, originals.size() - 1);
      const size_t of = originals[pick(rng)];
      WorkloadValue dup = plan.sends[of];
      dup.copy = ++copies[of];
      plan.sends.push_back(std::move(dup));
      ++plan.duplicates;
    }
  }
  return plan;
}

}  // namespace onceflow::audit
