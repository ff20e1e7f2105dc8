#include "benchmark/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "base/child_process.h"
#include "base/file.h"
#include "onceflow/status_macros.h"
#include "base/json_string.h"

namespace onceflow::benchmark {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The index of the run with the median records/s (the lower middle for an even count).
size_t MedianRun(const std::vector<RunFigures>& runs) {
  std::vector<size_t> idx(runs.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    return runs[a].records_per_sec() < runs[b].records_per_sec();
  });
  return idx[(idx.size() - 1) / 2];
}

std::string Num(double v, int decimals = 0) {
  if (std::isnan(v)) return "-";
  std::string s = absl::StrFormat("%.*f", decimals, v);
  // Thousands separators for the integer part of large figures.
  if (decimals == 0 && std::fabs(v) >= 10000) {
    std::string out;
    int digits = 0;
    for (auto it = s.rbegin(); it != s.rend(); ++it) {
      if (digits > 0 && digits % 3 == 0 && *it != '-') out.push_back(',');
      out.push_back(*it);
      ++digits;
    }
    std::reverse(out.begin(), out.end());
    return out;
  }
  return s;
}

std::string JsonNum(double v, int decimals = 3) {
  if (std::isnan(v) || std::isinf(v)) return "null";
  return absl::StrFormat("%.*f", decimals, v);
}

std::string JsonStr(absl::string_view s) {
  std::string out;
  base::AppendJsonString(s, out);
  return out;
}

const ResultRow* Find(const std::vector<ResultRow>& rows, const BlockConfig& config,
                      absl::string_view system) {
  for (const ResultRow& r : rows) {
    if (!r.calibration && r.system == system && r.config == config) return &r;
  }
  return nullptr;
}

double Ratio(double a, const ResultRow* base) {
  if (base == nullptr) return kNaN;
  const double b = base->records_per_sec();
  return b > 0 ? a / b : kNaN;
}

// Inside a single-quoted gnuplot string, a quote is written twice.
std::string GnuplotQuote(absl::string_view s) { return absl::StrReplaceAll(s, {{"'", "''"}}); }

// The latency runs at fixed rates of one block: a row per system and rate.
void PrintLatencyAtRates(const std::vector<ResultRow>& rows, const BlockConfig& block,
                         std::ostream& out) {
  bool any = false;
  for (const ResultRow& r : rows) {
    if (r.config == block && !r.fraction_mode && !r.latencies.empty()) any = true;
  }
  if (!any) return;
  out << "\nEnd-to-end latency at fixed input rates (send -> read back under read_committed):\n";
  out << absl::StrFormat("%-26s %10s %10s %8s %8s %8s %8s %9s %10s %14s\n", "system", "rate/s",
                         "achieved", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "commits/s",
                         "commit p99", "input p50/p99");
  bool missed = false;
  for (const ResultRow& r : rows) {
    if (!(r.config == block) || r.fraction_mode) continue;
    for (const LatencyResult& l : r.latencies) {
      missed = missed || !l.rate_kept;
      out << absl::StrFormat(
          "%-26s %10s %10s %8s %8s %8s %8s %9s %10s %14s\n", r.system, Num(l.target_rate),
          absl::StrCat(Num(l.rate), l.rate_kept ? "" : " !"), Num(l.p50_ms, 1), Num(l.p99_ms, 1),
          Num(l.p999_ms, 1), Num(l.max_ms, 1), Num(l.commits_per_sec, 1),
          std::isnan(l.commit_p99_ms) ? std::string("-")
                                      : absl::StrCat("<=", Num(l.commit_p99_ms, 0), " ms"),
          absl::StrCat(Num(l.input_p50_ms, 1), " / ", Num(l.input_p99_ms, 1)));
    }
  }
  if (missed) {
    out << "  ! the paced producer could not keep the rate (acknowledged below "
        << static_cast<int>(kRateKept * 100)
        << " % of it): the broker could not take the input at that rate while serving the "
           "system, so that row's latencies include the broker's queue\n";
  }
}

}  // namespace

std::string BlockConfig::Describe() const {
  return absl::StrCat(records, " records x ", size, " B, ", partitions, " partition",
                      partitions == 1 ? "" : "s", ", ", threads, " thread", threads == 1 ? "" : "s",
                      ", commit interval ", commit_interval_ms, " ms, linger.ms ",
                      linger_ms < 0 ? "each system's default" : absl::StrCat(linger_ms));
}

int64_t ResultRow::records() const { return runs.empty() ? 0 : runs[MedianRun(runs)].records; }
double ResultRow::records_per_sec() const {
  std::vector<double> v;
  for (const RunFigures& r : runs) v.push_back(r.records_per_sec());
  return Median(v);
}
double ResultRow::records_per_sec_min() const {
  double m = kNaN;
  for (const RunFigures& r : runs)
    m = std::isnan(m) ? r.records_per_sec() : std::min(m, r.records_per_sec());
  return m;
}
double ResultRow::records_per_sec_max() const {
  double m = kNaN;
  for (const RunFigures& r : runs)
    m = std::isnan(m) ? r.records_per_sec() : std::max(m, r.records_per_sec());
  return m;
}
double ResultRow::cpu_sec_per_million() const {
  std::vector<double> v;
  for (const RunFigures& r : runs) {
    if (r.cpu_seconds >= 0 && r.records > 0) {
      v.push_back(r.cpu_seconds / (static_cast<double>(r.records) / 1e6));
    }
  }
  return Median(v);
}
double ResultRow::records_per_cpu_sec() const {
  const double c = cpu_sec_per_million();
  return std::isnan(c) || c <= 0 ? kNaN : 1e6 / c;
}
int64_t ResultRow::output_records() const {
  return runs.empty() ? -1 : runs[MedianRun(runs)].output_records;
}
int64_t ResultRow::transactions() const {
  return runs.empty() ? -1 : runs[MedianRun(runs)].transactions;
}

double ResultRow::commits_per_sec() const {
  std::vector<double> v;
  for (const RunFigures& r : runs) {
    if (r.transactions >= 0 && r.seconds > 0) {
      v.push_back(static_cast<double>(r.transactions) / r.seconds);
    }
  }
  return Median(v);
}

double ResultRow::commit_share() const {
  std::vector<double> v;
  for (const RunFigures& r : runs) v.push_back(r.commit_share);
  return Median(v);
}

double ResultRow::commit_p99_ms() const {
  std::vector<double> v;
  for (const RunFigures& r : runs) {
    if (!std::isnan(r.commit_p99_ms)) v.push_back(r.commit_p99_ms);
  }
  return Median(v);
}

void PrintTable(const std::vector<ResultRow>& rows, std::ostream& out) {
  std::vector<BlockConfig> blocks;
  for (const ResultRow& r : rows) {
    if (std::find(blocks.begin(), blocks.end(), r.config) == blocks.end()) {
      blocks.push_back(r.config);
    }
  }
  for (const BlockConfig& block : blocks) {
    out << "\n== " << block.Describe() << " ==\n";
    out << absl::StrFormat("%-26s %10s %21s %7s %8s %9s %8s %8s %8s %6s %7s %9s %10s %9s\n",
                           "system", "rec/s", "(min - max, n)", "MB/s", "CPU s/M", "rec/CPU-s",
                           "p50 ms", "p99 ms", "p99.9 ms", "x raw", "x ks-eos", "commits/s",
                           "commit p99", "in commit");
    const ResultRow* raw = Find(rows, block, "raw");
    const ResultRow* ks = Find(rows, block, "kafka-streams-eos");
    std::vector<std::string> notes;
    for (const ResultRow& r : rows) {
      if (!(r.config == block)) continue;
      const double rate = r.records_per_sec();
      const std::string spread =
          absl::StrCat("(", Num(r.records_per_sec_min()), " - ", Num(r.records_per_sec_max()), ", ",
                       r.runs.size(), ")");
      const LatencyResult* lat = r.fraction_latency();
      out << absl::StrFormat("%-26s %10s %21s %7s %8s %9s %8s %8s %8s %6s %7s %9s %10s %9s\n",
                             r.system + (r.note.empty() ? "" : " *"), Num(rate), spread,
                             Num(r.mb_per_sec(), 1), Num(r.cpu_sec_per_million(), 2),
                             Num(r.records_per_cpu_sec()), lat ? Num(lat->p50_ms, 1) : "-",
                             lat ? Num(lat->p99_ms, 1) : "-", lat ? Num(lat->p999_ms, 1) : "-",
                             r.calibration ? "" : Num(Ratio(rate, raw), 2),
                             r.calibration ? "" : Num(Ratio(rate, ks), 2),
                             Num(r.commits_per_sec(), 1),
                             // During the latency run when there was one: the target reads
                             // p99 latency against the commits of the same run.
                             lat && !std::isnan(lat->commit_p99_ms)
                                 ? absl::StrCat("<=", Num(lat->commit_p99_ms, 0), " ms")
                                 : (std::isnan(r.commit_p99_ms())
                                        ? std::string("-")
                                        : absl::StrCat("<=", Num(r.commit_p99_ms(), 0), " ms")),
                             std::isnan(r.commit_share())
                                 ? std::string("-")
                                 : absl::StrCat(Num(100 * r.commit_share(), 0), " %"));
      if (!r.note.empty()) notes.push_back(absl::StrCat("  * ", r.system, ": ", r.note));
    }
    for (const std::string& n : notes) out << n << "\n";
    PrintLatencyAtRates(rows, block, out);
  }
  out.flush();
}

absl::Status WriteJson(const std::string& config_json, const std::vector<ResultRow>& rows,
                       const std::string& path) {
  std::string s = absl::StrCat("{\"config\": ", config_json, ",\n \"results\": [");
  for (size_t i = 0; i < rows.size(); ++i) {
    const ResultRow& r = rows[i];
    const LatencyResult* lat = r.fraction_latency();
    const ResultRow* raw = Find(rows, r.config, "raw");
    const ResultRow* ks = Find(rows, r.config, "kafka-streams-eos");
    absl::StrAppend(&s, i == 0 ? "\n  " : ",\n  ", "{\"system\": ", JsonStr(r.system),
                    ", \"kind\": ", r.calibration ? "\"calibration\"" : "\"system\"",
                    ", \"records\": ", r.records(), ", \"bytes\": ", r.bytes(),
                    ", \"records_per_sec\": ", JsonNum(r.records_per_sec(), 1),
                    ", \"mb_per_sec\": ", JsonNum(r.mb_per_sec()),
                    ", \"cpu_sec_per_million\": ", JsonNum(r.cpu_sec_per_million()),
                    ", \"p50_ms\": ", lat ? JsonNum(lat->p50_ms) : "null",
                    ", \"p99_ms\": ", lat ? JsonNum(lat->p99_ms) : "null",
                    ", \"p999_ms\": ", lat ? JsonNum(lat->p999_ms) : "null");
    absl::StrAppend(
        &s, ", \"size\": ", r.config.size, ", \"partitions\": ", r.config.partitions,
        ", \"threads\": ", r.config.threads,
        ", \"commit_interval_ms\": ", r.config.commit_interval_ms,
        ", \"linger_ms\": ", r.config.linger_ms < 0 ? "null" : absl::StrCat(r.config.linger_ms),
        ", \"runs\": ", r.runs.size(),
        ", \"records_per_sec_min\": ", JsonNum(r.records_per_sec_min(), 1),
        ", \"records_per_sec_max\": ", JsonNum(r.records_per_sec_max(), 1),
        ", \"records_per_cpu_sec\": ", JsonNum(r.records_per_cpu_sec(), 1),
        ", \"ratio_to_raw\": ", r.calibration ? "null" : JsonNum(Ratio(r.records_per_sec(), raw)),
        ", \"ratio_to_kafka_streams_eos\": ",
        r.calibration ? "null" : JsonNum(Ratio(r.records_per_sec(), ks)));
    absl::StrAppend(
        &s, ", \"output_records\": ",
        r.output_records() < 0 ? "null" : absl::StrCat(r.output_records()),
        ", \"transactions\": ", r.transactions() < 0 ? "null" : absl::StrCat(r.transactions()),
        ", \"commits_per_sec\": ", JsonNum(r.commits_per_sec()),
        ", \"latency_rate\": ", lat ? JsonNum(lat->rate, 1) : "null",
        ", \"latency_samples\": ", lat ? absl::StrCat(lat->samples) : "null",
        ", \"latency_max_ms\": ", lat ? JsonNum(lat->max_ms) : "null",
        ", \"commit_p99_ms\": ", JsonNum(r.commit_p99_ms()),
        ", \"commit_share\": ", JsonNum(r.commit_share()),
        ", \"latency_commit_p99_ms\": ", lat ? JsonNum(lat->commit_p99_ms) : "null");
    absl::StrAppend(&s, ", \"run_records_per_sec\": [");
    for (size_t k = 0; k < r.runs.size(); ++k) {
      absl::StrAppend(&s, k ? ", " : "", JsonNum(r.runs[k].records_per_sec(), 1));
    }
    absl::StrAppend(&s, "], \"latency\": [");
    for (size_t k = 0; k < r.latencies.size(); ++k) {
      const LatencyResult& l = r.latencies[k];
      absl::StrAppend(&s, k ? ", " : "", "{\"target_rate\": ", JsonNum(l.target_rate, 1),
                      ", \"rate\": ", JsonNum(l.rate, 1),
                      ", \"rate_kept\": ", l.rate_kept ? "true" : "false",
                      ", \"samples\": ", l.samples, ", \"p50_ms\": ", JsonNum(l.p50_ms),
                      ", \"p99_ms\": ", JsonNum(l.p99_ms), ", \"p999_ms\": ", JsonNum(l.p999_ms),
                      ", \"max_ms\": ", JsonNum(l.max_ms),
                      ", \"commits_per_sec\": ", JsonNum(l.commits_per_sec),
                      ", \"commit_p99_ms\": ", JsonNum(l.commit_p99_ms),
                      ", \"input_p50_ms\": ", JsonNum(l.input_p50_ms),
                      ", \"input_p99_ms\": ", JsonNum(l.input_p99_ms), "}");
    }
    absl::StrAppend(&s, "], \"note\": ", JsonStr(r.note), "}");
  }
  absl::StrAppend(&s, "\n ]}\n");
  std::ofstream f(path, std::ios::trunc);
  f << s;
  f.close();
  if (!f) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::Status WriteChart(const std::vector<ResultRow>& rows, const std::string& path,
                        const std::string& title) {
  std::vector<BlockConfig> blocks;
  for (const ResultRow& r : rows) {
    if (std::find(blocks.begin(), blocks.end(), r.config) == blocks.end()) {
      blocks.push_back(r.config);
    }
  }
  const std::string data = path + ".dat";
  const std::string script = path + ".gp";
  {
    std::ofstream f(data, std::ios::trunc);
    f << "# label\trec/s median\tmin\tmax\tp50 ms\tp99 ms\tp99.9 ms\n";
    for (const ResultRow& r : rows) {
      std::string label = r.system;
      if (blocks.size() > 1) {
        label = absl::StrCat(r.system, " ", r.config.size, "B/", r.config.partitions, "p/",
                             r.config.threads, "t/", r.config.commit_interval_ms, "ms",
                             r.config.linger_ms < 0 ? "" : absl::StrCat("/l", r.config.linger_ms));
      }
      const LatencyResult* lat = r.fraction_latency();
      auto v = [](double x) { return std::isnan(x) ? std::string("NaN") : absl::StrCat(x); };
      f << "\"" << absl::StrReplaceAll(label, {{"\"", "'"}}) << "\"\t" << v(r.records_per_sec())
        << "\t" << v(r.records_per_sec_min()) << "\t" << v(r.records_per_sec_max()) << "\t"
        << (lat ? v(lat->p50_ms) : "NaN") << "\t" << (lat ? v(lat->p99_ms) : "NaN") << "\t"
        << (lat ? v(lat->p999_ms) : "NaN") << "\n";
    }
    if (!f) return absl::UnavailableError(absl::StrCat("cannot write ", data));
  }
  // Latency against rate: one data block (gnuplot index) per row with runs at --rates.
  const std::string rates_data = path + ".rates.dat";
  std::vector<std::string> rate_series;  // the label of each index
  {
    std::ofstream f(rates_data, std::ios::trunc);
    f << "# per row: target rec/s\tachieved\tp50 ms\tp99 ms\tp99.9 ms\trate kept (1/0)\n";
    for (const ResultRow& r : rows) {
      if (r.fraction_mode || r.latencies.empty()) continue;
      std::string label = r.system;
      if (blocks.size() > 1) {
        label = absl::StrCat(r.system, " ", r.config.size, "B/", r.config.partitions, "p/",
                             r.config.commit_interval_ms, "ms");
      }
      if (!rate_series.empty()) f << "\n\n";
      f << "# " << label << "\n";
      for (const LatencyResult& l : r.latencies) {
        f << l.target_rate << "\t" << l.rate << "\t" << l.p50_ms << "\t" << l.p99_ms << "\t"
          << l.p999_ms << "\t" << (l.rate_kept ? 1 : 0) << "\n";
      }
      rate_series.push_back(label);
    }
    if (!f) return absl::UnavailableError(absl::StrCat("cannot write ", rates_data));
  }
  {
    std::ofstream f(script, std::ios::trunc);
    const int width = std::max<int>(1000, 90 * static_cast<int>(rows.size()) + 200);
    f << "set terminal pngcairo size " << width << ",1000 noenhanced font ',10'\n"
      << "set output '" << path << "'\n"
      << "set datafile separator '\\t'\n"
      << "set multiplot layout 2,1 title '" << GnuplotQuote(title) << "'\n"
      << "set style data histograms\n"
      << "set style fill solid 0.7 border -1\n"
      << "set boxwidth 0.8\n"
      << "set grid ytics\n"
      << "set xtics rotate by -25 left\n"
      << "set key top right\n"
      << "set title 'Throughput: records/s, median of the measured runs (bars: min - max)'\n"
      << "set style histogram errorbars gap 1 lw 1\n"
      << "set yrange [0:*]\n"
      << "plot '" << data << "' using 2:3:4:xtic(1) title 'records/s'\n";
    if (rate_series.empty()) {
      f << "set title 'End-to-end latency at a fixed fraction of each system''s maximum (ms, "
           "log scale)'\n"
        << "set style histogram clustered gap 1\n"
        << "set logscale y\n"
        << "set yrange [*:*]\n"
        << "plot '" << data << "' using 5:xtic(1) title 'p50', '' using 6 title 'p99', "
        << "'' using 7 title 'p99.9'\n";
    } else {
      f << "set title 'End-to-end latency against input rate: p99 (solid), p50 (dashed); "
           "open points: the producer could not keep the rate (ms and rec/s, log scales)'\n"
        << "set style data linespoints\n"
        << "set logscale xy\n"
        << "set xtics norotate\n"
        << "set xrange [*:*]\n"
        << "set yrange [*:*]\n"
        << "set key outside right top\n"
        << "set xlabel 'input records/s'\n"
        << "set ylabel 'ms'\n"
        << "plot ";
      for (size_t i = 0; i < rate_series.size(); ++i) {
        const std::string q = GnuplotQuote(rate_series[i]);
        f << (i ? ", \\\n     " : "") << "'" << rates_data << "' index " << i
          << " using 1:4 lw 2 lc " << i + 1 << " pt 7 title '" << q << " p99', '' index " << i
          << " using 1:($6 > 0 ? 1/0 : $4) lc " << i + 1 << " pt 6 ps 2 notitle, '' index " << i
          << " using 1:3 dt 2 lc " << i + 1 << " pt 1 title '" << q << " p50'";
      }
      f << "\n";
    }
    f << "unset multiplot\n";
    if (!f) return absl::UnavailableError(absl::StrCat("cannot write ", script));
  }
  if (!base::FindInPath("gnuplot").has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("gnuplot is not installed (Debian: apt-get install gnuplot-nox); the data "
                     "and script are in ",
                     data, " and ", script, ": run `gnuplot ", script, "` to draw ", path));
  }
  const std::string log = path + ".log";
  ONCEFLOW_ASSIGN_OR_RETURN(
      base::Completion r,
      base::RunToCompletion({"gnuplot", script}, std::chrono::minutes(30),
                            {.spawn = {.stdout_path = log, .stderr_path = log}}));
  if (!r.exit.ok()) {
    return absl::InternalError(absl::StrCat("gnuplot failed on ", script, " (", r.exit.ToString(),
                                            "):\n", base::TailOfFile(log, 10)));
  }
  std::remove(log.c_str());
  return absl::OkStatus();
}

}  // namespace onceflow::benchmark
