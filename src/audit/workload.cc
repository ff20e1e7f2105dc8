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
  if (value.pad > 0) {
    out += ",\"p\":\"";
    out.append(static_cast<size_t>(value.pad), 'x');
    out += "\"";
  }
  out += "}";
  return out;
}

absl::StatusOr<WorkloadValue> DecodeValue(absl::string_view text) {
  WorkloadValue v;
  size_t pos = 0;
  int64_t copy = 0;
  std::string pad;
  const auto optional_copy = [&] {
    return text.substr(pos, 5) != ",\"u\":" ||
           (Expect(text, pos, ",\"u\":") && ReadInt(text, pos, copy) && copy > 0);
  };
  const auto optional_pad = [&] {
    return text.substr(pos, 5) != ",\"p\":" ||
           (Expect(text, pos, ",\"p\":") && ReadString(text, pos, pad) && !pad.empty() &&
            pad.find_first_not_of('x') == std::string::npos);
  };
  const bool ok = Expect(text, pos, "{\"k\":") && ReadString(text, pos, v.key) &&
                  Expect(text, pos, ",\"s\":") && ReadInt(text, pos, v.seq) &&
                  Expect(text, pos, ",\"id\":") && ReadString(text, pos, v.id) && optional_copy() &&
                  optional_pad() && Expect(text, pos, "}") && pos == text.size();
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an audit record: '", text.substr(0, 80), "'"));
  }
  v.copy = static_cast<int>(copy);
  v.pad = static_cast<int64_t>(pad.size());
  return v;
}

WorkloadPlan MakeWorkload(const WorkloadOptions& o) {
  // A stream of its own (seed mixed with a constant), so the fault schedule drawn from the same
  // --seed does not shift when the record count changes; poison has another, so turning it on
  // changes no key, seq or duplicate.
  std::mt19937_64 rng(o.seed ^ 0x9e3779b97f4a7c15ULL);
  std::mt19937_64 poison_rng(o.seed ^ 0x5851f42d4c957f2dULL);
  std::uniform_int_distribution<int> pick_key(0, o.keys - 1);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  WorkloadPlan plan;
  plan.sends.reserve(static_cast<size_t>(o.records + o.records * o.dup_rate + 16));
  std::vector<int64_t> next_seq(static_cast<size_t>(o.keys), 0);
  std::vector<size_t> originals;  // indexes into plan.sends
  originals.reserve(static_cast<size_t>(o.records));
  std::map<size_t, int> copies;
  for (int64_t n = 0; n < o.records; ++n) {
    const int k = pick_key(rng);
    const bool poison = o.poison_rate > 0 && coin(poison_rng) < o.poison_rate;
    plan.sends.push_back({absl::StrCat("k", k), next_seq[static_cast<size_t>(k)]++,
                          absl::StrCat(o.id_prefix, n), 0, poison ? o.poison_bytes : 0});
    originals.push_back(plan.sends.size() - 1);
    ++plan.originals;
    if (poison) ++plan.poison;
    if (o.dup_rate > 0 && coin(rng) < o.dup_rate) {
      std::uniform_int_distribution<size_t> pick(0, originals.size() - 1);
      const size_t of = originals[pick(rng)];
      WorkloadValue dup = plan.sends[of];
      dup.copy = ++copies[of];
      if (dup.poison()) ++plan.poison_duplicates;
      plan.sends.push_back(std::move(dup));
      ++plan.duplicates;
    }
  }
  return plan;
}

}  // namespace onceflow::audit
