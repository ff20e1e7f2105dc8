#include "audit/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace onceflow::audit {
namespace {

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string FormatTable(const std::vector<RunResult>& runs) {
  std::string out =
      absl::StrFormat("%-13s %-5s %9s %9s %6s %6s %6s %8s %8s %8s %6s %6s %7s %8s %8s %8s %-4s\n",
                      "target", "mode",
                      "records", "delivered", "lost", "dups", "order", "aborted", "aborted",
                      "upstream", "kills", "pauses", "broker", "max", "p99", "seconds", "ok");
  absl::StrAppendFormat(&out,
                        "%-13s %-5s %9s %9s %6s %6s %6s %8s %8s %8s %6s %6s %7s %8s %8s %8s %-4s\n",
                        "", "", "", "", "", "", "", "reads", "in log", "dropped", "", "", "faults",
                        "stall ms", "stall ms", "", "");
  for (const RunResult& r : runs) {
    const CheckResult& c = r.check;
    absl::StrAppendFormat(
        &out, "%-13s %-5s %9d %9d %6d %6d %6d %8d %8d %8d %6d %6d %7d %8d %8d %8.1f %-4s\n",
        r.target.substr(0, 13), r.mode,
        r.records, c.delivered, c.lost, c.duplicates, c.order_violations, c.aborted_reads,
        c.aborted_in_log, c.upstream_duplicates_dropped, r.processor_kills, r.pauses,
        r.broker_faults(), c.max_stall_ms, c.p99_stall_ms, r.seconds, r.ok ? "yes" : "NO");
  }
  for (const RunResult& r : runs) {
    absl::StrAppendFormat(
        &out,
        "\n%s%s: seed %d, %.0f records/s, %d upstream duplicates injected, "
        "%d instance exit(s) on their own%s, %d scale-out(s) and %d scale-in(s), %s, committed "
        "offsets %s%s\n",
        r.target == "onceflow" ? "" : absl::StrCat(r.target, " "), r.mode, r.seed, r.rate,
        r.check.upstream_duplicates_injected, r.instance_exits,
        r.exit_reasons.empty()
            ? ""
            : absl::StrCat(" (", absl::StrJoin(r.exit_reasons, ", ", absl::PairFormatter(" x")),
                           ")"),
        r.scale_outs, r.scale_ins,
        r.net_faults() == 0 ? std::string("no network faults")
                            : absl::StrFormat("network faults: %d delay(s), %d cut(s), %d "
                                              "isolation(s)",
                                              r.net_delays, r.net_cuts, r.isolations),
        r.committed_offsets_ok ? "at the input's end" : "NOT at the end",
        r.ok ? "" : absl::StrCat("; broken: ", r.why));
    const CheckResult& c = r.check;
    if (r.generator_recoveries > 0 || c.input_duplicates > 0) {
      absl::StrAppendFormat(&out,
                            "  generator: recovered from %d fatal producer error(s), sent %d "
                            "record(s) again; %d input record(s) twice\n",
                            r.generator_recoveries, r.generator_resent, c.input_duplicates);
    }
    if (r.counts) {
      absl::StrAppendFormat(&out,
                            "  counts: %d first occurrences checked, %d high (doubled), %d low "
                            "(lost), %d without a count; store: %d keys, %d ahead of the "
                            "output, %d behind\n",
                            c.counts_checked, c.counts_high, c.counts_low, c.counts_missing,
                            c.count_state_keys, c.count_state_ahead, c.count_state_behind);
    }
    if (r.transform_fault_rate > 0) {
      absl::StrAppendFormat(&out,
                            "  transform faults: rate %g, %d records failed transiently, "
                            "retried and delivered\n",
                            r.transform_fault_rate, c.transient_retried);
    }
    if (r.dead_letter_topic) {
      absl::StrAppendFormat(
          &out,
          "  poison (rate %g): %d input records, %d dead-lettered, %d lost, %d in the output; "
          "dead letters: %d, %d duplicate, %d unexpected%s\n",
          r.poison_rate, c.poison_expected, c.poison_dead_lettered, c.poison_lost,
          c.poison_in_output, c.dead_letters, c.dead_letter_duplicates, c.dead_letters_unexpected,
          c.dead_letter_reason.empty()
              ? ""
              : absl::StrCat("; reason: ", c.dead_letter_reason.substr(0, 160)));
    }
    for (const FaultEvent& f : r.faults) {
      absl::StrAppendFormat(&out, "  %8.1fs  %-14s %-40s stall %s\n", f.started_ms / 1000.0,
                            FaultKindName(f.planned.kind), f.detail,
                            f.stall_ms < 0 ? std::string("-") : absl::StrCat(f.stall_ms, " ms"));
    }
    absl::StrAppendFormat(&out, "  logs: %s\n", r.run_dir);
  }
  return out;
}

std::string FormatJson(const std::vector<RunResult>& runs) {
  std::vector<std::string> items;
  for (const RunResult& r : runs) {
    const CheckResult& c = r.check;
    std::vector<std::string> faults;
    for (const FaultEvent& f : r.faults) {
      faults.push_back(absl::StrCat(
          "{\"at_ms\": ", f.started_ms, ", \"kind\": ", JsonString(FaultKindName(f.planned.kind)),
          ", \"instance\": ", f.planned.instance, ", \"broker\": ", f.broker,
          ", \"ended_ms\": ", f.ended_ms,
          ", \"stall_ms\": ", f.stall_ms, ", \"detail\": ", JsonString(f.detail), "}"));
    }
    std::vector<std::string> exits;
    for (const auto& [why, n] : r.exit_reasons)
      exits.push_back(absl::StrCat(JsonString(why), ": ", n));
    items.push_back(absl::StrCat(
        "{\"mode\": ", JsonString(r.mode), ", \"records\": ", r.records,
        ", \"delivered\": ", c.delivered, ", \"lost\": ", c.lost,
        ", \"duplicates\": ", c.duplicates, ", \"order_violations\": ", c.order_violations,
        ", \"aborted_reads\": ", c.aborted_reads, ", \"aborted_in_log\": ", c.aborted_in_log,
        ", \"upstream_duplicates_dropped\": ", c.upstream_duplicates_dropped,
        ", \"processor_kills\": ", r.processor_kills, ", \"pauses\": ", r.pauses,
        ", \"broker_restarts\": ", r.broker_restarts, ", \"max_stall_ms\": ", c.max_stall_ms,
        ", \"seconds\": ", absl::StrFormat("%.1f", r.seconds),
        ", \"ok\": ", r.ok ? "true" : "false",
        // Additions.
        ", \"target\": ", JsonString(r.target), ", \"seed\": ", r.seed, ", \"expected\": ", c.expected,
        ", \"input_records\": ", c.input_records, ", \"output_records\": ", c.output_records,
        ", \"unexpected\": ", c.unexpected, ", \"upstream_duplicates_injected\": ",
        c.upstream_duplicates_injected, ", \"dedupe\": ", r.dedupe ? "true" : "false",
        ", \"dedupe_state_missing\": ", c.dedupe_state_missing,
        ", \"dedupe_state_extra\": ", c.dedupe_state_extra,
        ", \"committed_offsets_ok\": ", r.committed_offsets_ok ? "true" : "false",
        ", \"drained\": ", r.drained ? "true" : "false", ", \"p99_stall_ms\": ", c.p99_stall_ms,
        ", \"rate\": ", absl::StrFormat("%.1f", r.rate), ", \"instance_exits\": ", r.instance_exits,
        ", \"exit_reasons\": {", absl::StrJoin(exits, ", "), "}", ", \"brokers\": ", r.brokers,
        ", \"broker_kills\": ", r.broker_kills, ", \"rolling_restarts\": ", r.rolling_restarts,
        ", \"coordinator_kills\": ", r.coordinator_kills, ", \"broker_pauses\": ", r.broker_pauses,
        ", \"scale_outs\": ", r.scale_outs, ", \"scale_ins\": ", r.scale_ins,
        ", \"net_delays\": ", r.net_delays, ", \"net_cuts\": ", r.net_cuts,
        ", \"isolations\": ", r.isolations,
        ", \"counts\": ", r.counts ? "true" : "false", ", \"counts_checked\": ", c.counts_checked,
        ", \"counts_high\": ", c.counts_high, ", \"counts_low\": ", c.counts_low,
        ", \"counts_missing\": ", c.counts_missing, ", \"count_state_keys\": ", c.count_state_keys,
        ", \"count_state_ahead\": ", c.count_state_ahead,
        ", \"count_state_behind\": ", c.count_state_behind,
        ", \"transform_fault_rate\": ", absl::StrFormat("%g", r.transform_fault_rate),
        ", \"transient_retried\": ", c.transient_retried, ", \"poison_rate\": ",
        absl::StrFormat("%g", r.poison_rate), ", \"poison_expected\": ", c.poison_expected,
        ", \"poison_dead_lettered\": ", c.poison_dead_lettered,
        ", \"poison_lost\": ", c.poison_lost, ", \"poison_in_output\": ", c.poison_in_output,
        ", \"dead_letters\": ", c.dead_letters, ", \"dead_letter_duplicates\": ",
        c.dead_letter_duplicates, ", \"dead_letters_unexpected\": ", c.dead_letters_unexpected,
        ", \"dead_letter_reason\": ", JsonString(c.dead_letter_reason),
        ", \"input_duplicates\": ", c.input_duplicates,
        ", \"generator_recoveries\": ", r.generator_recoveries,
        ", \"generator_resent\": ", r.generator_resent,
        ", \"broken\": ", JsonString(r.why), ", \"run_dir\": ", JsonString(r.run_dir),
        ", \"faults\": [", absl::StrJoin(faults, ", "), "]}"));
  }
  return absl::StrCat("{\"runs\": [", absl::StrJoin(items, ",\n  "), "]}\n");
}

}  // namespace onceflow::audit
