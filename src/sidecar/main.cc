// The `onceflow` command: one command-line parser (CLI11) for every subcommand, so flags behave
// alike everywhere (--flag VALUE and --flag=VALUE, -h/--help, `onceflow help COMMAND`, errors
// that end with "Run 'onceflow COMMAND --help' for usage."), and the dispatch to each command's
// Run* function, which never sees argv.
//
// Exit codes, for every command (sidecar/exit_codes.h): 0 ok, 1 runtime failure, 2 usage
// error; run adds 3 (fenced) and 4 (fatal Kafka error); 5 access refused (authentication, TLS,
// an ACL) for every command that talks to Kafka.
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "audit/audit_command.h"
#include "benchmark/bench_command.h"
#include "benchmark/systems.h"
#include "sidecar/build_info.h"
#include "sidecar/client_properties.h"
#include "sidecar/command_output.h"
#include "sidecar/exit_codes.h"
#include "sidecar/kafka_commands.h"
#include "sidecar/progress.h"
#include "sidecar/run_command.h"
#include "sidecar/schema_command.h"
#include "sidecar/validate_command.h"

namespace onceflow::sidecar {
namespace {

constexpr char kDescription[] = "onceflow: exactly-once consume-transform-produce for Apache Kafka";

constexpr char kFooter[] =
    R"text(Run 'onceflow help COMMAND' or 'onceflow COMMAND --help' for a command's options.

Commands that talk to Kafka (ping, topic, offsets, bench, audit) take the cluster the same way:
  -b, --bootstrap, --bootstrap-server HOST:PORT
                       bootstrap servers (default $ONCEFLOW_BOOTSTRAP, else 127.0.0.1:19092)
  -X KEY=VALUE         a librdkafka client property, e.g. -X security.protocol=SASL_SSL
  --command-config FILE
                       librdkafka client properties, one KEY=VALUE a line (passwords belong
                       here, not on the command line)

Exit codes: 0 ok, 1 runtime failure, 2 usage error; run also 3 (fenced), 4 (fatal Kafka
error), 130 (second signal); 5 access refused (authentication, TLS, ACL).)text";

// The options every Kafka-talking command shares, bound to `flags`.
void AddClientOptions(CLI::App& cmd, ClientFlags& flags) {
  cmd.add_option("-b,--bootstrap,--bootstrap-server", flags.bootstrap,
                 "Kafka bootstrap servers (default $ONCEFLOW_BOOTSTRAP, else 127.0.0.1:19092)")
      ->type_name("HOST:PORT")
      ->check([](const std::string& v) { return v.empty() ? std::string("is empty") : ""; });
  cmd.add_option("-X", flags.properties,
                 "a librdkafka client property, e.g. -X security.protocol=SASL_SSL; repeatable")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd.add_option("--command-config", flags.command_configs,
                 "librdkafka client properties, one KEY=VALUE a line; repeatable")
      ->type_name("FILE")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(CLI::ExistingFile);
}

// --progress auto|always|never, bound to `mode`.
void AddProgressOption(CLI::App& cmd, ProgressMode& mode) {
  cmd.add_option_function<std::string>(
         "--progress",
         [&mode](const std::string& v) {
           absl::StatusOr<ProgressMode> parsed = ParseProgressMode(v);
           if (parsed.ok()) mode = *parsed;
         },
         "progress with a count and the time left: auto (on a terminal), always (also in logs), "
         "never (default auto)")
      ->type_name("WHEN")
      ->check(CLI::IsMember({"auto", "always", "never"}));
}

// "onceflow topic create": the names of `app` and the subcommands selected under it.
std::string CommandPath(const CLI::App& app) {
  std::string path;
  const CLI::App* at = &app;
  while (true) {
    const std::vector<CLI::App*> selected = at->get_subcommands();
    if (selected.empty()) break;
    at = selected.front();
    path += (path.empty() ? "" : " ") + at->get_name();
  }
  return path;
}

// Every `onceflow` subcommand; `action` is set to the chosen one's Run*.
class Cli {
 public:
  Cli() : app_(kDescription, "onceflow") {
    // A flag given twice: the last one wins, as with most commands (and kcat, Kafka's tools).
    // Repeatable flags (-X, --command-config, topic --config, lists) take them all.
    app_.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app_.footer(kFooter);
    app_.set_help_flag("-h,--help", "print this help and exit");
    app_.get_formatter()->column_width(34);
    app_.add_flag("--version", version_flag_, "print the version (as `onceflow version`)");
    AddRun();
    AddValidate();
    AddAudit();
    AddBench();
    AddPing();
    AddTopic();
    AddOffsets();
    AddSchema();
    AddVersion();
    AddHelp();
  }

  int Main(int argc, char** argv) {
    if (argc >= 2 && std::string(argv[1]) == "help") {
      return Help(std::vector<std::string>(argv + 2, argv + argc));
    }
    try {
      app_.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
      std::cout << app_.help();
      return kExitOk;
    } catch (const CLI::CallForAllHelp&) {
      std::cout << app_.help("", CLI::AppFormatMode::All);
      return kExitOk;
    } catch (const CLI::ParseError& e) {
      const std::string path = CommandPath(app_);
      if (path.empty()) {
        std::cerr << "onceflow: " << e.what() << "\nRun 'onceflow --help' for usage.\n";
        return kExitUsage;
      }
      return UsageError(path, e.what());
    }
    if (version_flag_) return PrintVersion();
    if (!action_) {
      std::cerr << app_.help();
      return kExitUsage;
    }
    return action_();
  }

 private:
  static int PrintVersion() {
    std::cout << VersionText(GetBuildInfo());
    return kExitOk;
  }

  // `summary` is the line `onceflow --help` lists; `details` (prose, exit codes) ends the
  // command's own help.
  CLI::App* Command(const std::string& name, const std::string& summary,
                    const std::string& details = "") {
    CLI::App* cmd = app_.add_subcommand(name, summary);
    if (!details.empty()) cmd->footer(details);
    return cmd;
  }

  void AddRun() {
    CLI::App* cmd = Command("run", "Runs a pipeline (the sidecar) until SIGTERM or SIGINT.",
                            std::string(kRunDescription) + "\n\n" + kRunFooter);
    cmd->add_option("-c,--config", run_.config,
                    "the pipeline: YAML (.yaml, .yml, any other), JSON (.json) or protobuf text "
                    "(.textproto, .txtpb, .pbtxt)")
        ->type_name("FILE")
        ->required();
    cmd->add_option("--metrics-address", run_.metrics_address,
                    "overrides metrics.address: IPv4:PORT, [IPv6]:PORT, or off; port 0 takes "
                    "any free port")
        ->type_name("HOST:PORT");
    cmd->add_flag("--until-drained", run_.until_drained,
                  "stop (exit 0) once every assigned input partition is processed to its end "
                  "and committed: a batch run for one instance");
    cmd->add_option("--log-format", run_.log_format, "overrides log.format: text or json")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"text", "json"}));
    cmd->callback([this] { action_ = [this] { return RunRun(run_); }; });
  }

  void AddValidate() {
    CLI::App* cmd = Command("validate", "Checks a pipeline config without connecting anywhere.",
                            kValidateDescription);
    cmd->add_option("-c,--config", validate_.config,
                    "the config: YAML (.yaml, .yml, any other), JSON (.json) or protobuf text "
                    "(.textproto, .txtpb, .pbtxt)")
        ->type_name("FILE")
        ->required();
    cmd->callback([this] { action_ = [this] { return RunValidate(validate_); }; });
  }

  void AddAudit() {
    CLI::App* cmd = Command("audit",
                            "Proves each mode's delivery guarantee under kills, pauses and broker "
                            "faults.",
                            std::string(audit::kAuditDescription) + "\n\n" + audit::kAuditFooter);
    audit::AuditFlags& f = audit_;
    cmd->add_option("--mode", f.mode,
                    "guarantee to audit: eos, alos, or both (the same seed and schedule for "
                    "each); default eos")
        ->type_name("MODE")
        ->check(CLI::IsMember({"eos", "alos", "both"}));
    cmd->add_option("--target", f.targets,
                    "what runs as each instance: onceflow (default), kafka-streams (the Kafka "
                    "Streams peer, bench/peers/kafka-streams, built on first use), or a command "
                    "template with {bootstrap} {app} {input} {output} {instance} {state_dir} "
                    "{mode} {guarantee} {commit_interval_ms} {session_timeout_ms} "
                    "{transaction_timeout_ms} {dedupe_field} {config} {run_dir}, run with "
                    "/bin/sh; repeat it, or list names with commas, to audit several side by "
                    "side under the same seed and schedule")
        ->type_name("TARGET")
        ->take_all();
    cmd->add_option("--records", f.run.records, "original records to generate (default 20000)")
        ->type_name("N")
        ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}));
    cmd->add_option("--keys", f.run.keys, "distinct keys (default 100)")
        ->type_name("N")
        ->check(CLI::Range(1, 10'000'000));
    cmd->add_option("--partitions", f.run.partitions,
                    "partitions of the input and the output (default 3)")
        ->type_name("N")
        ->check(CLI::Range(1, 1000));
    cmd->add_option("--instances", f.run.instances, "`onceflow run` children (default 2)")
        ->type_name("N")
        ->check(CLI::Range(1, 64));
    cmd->add_option("--kills", f.run.kills, "SIGKILL + restart faults (default 0)")
        ->type_name("N")
        ->check(CLI::Range(0, 100000));
    cmd->add_option("--pauses", f.run.pauses, "SIGSTOP past the timeouts, then SIGCONT (default 0)")
        ->type_name("N")
        ->check(CLI::Range(0, 10000));
    cmd->add_option("--broker-restarts", f.run.broker_restarts,
                    "`scripts/kafka restart --hard` faults (default 0)")
        ->type_name("N")
        ->check(CLI::Range(0, 10000));
    cmd->add_option("--cluster", f.cluster,
                    "run against scripts/kafka's N-broker cluster (scripts/kafka --cluster N; "
                    "started if it is not running, left running), topics with replication "
                    "factor 3 and min.insync.replicas 2; 0 = the single broker (default 0)")
        ->type_name("N")
        ->check(CLI::Range(0, 9));
    cmd->add_option("--broker-kills", f.run.broker_kills,
                    "cluster: SIGKILL a broker, keep it down --broker-down-ms while its "
                    "partitions fail over, start it (default 0)")
        ->type_name("N")
        ->check(CLI::Range(0, 10000));
    cmd->add_option("--rolling-restarts", f.run.rolling_restarts,
                    "cluster: restart every broker in turn, waiting for no under-replicated "
                    "partition between (default 0)")
        ->type_name("N")
        ->check(CLI::Range(0, 10000));
    cmd->add_option("--coordinator-kills", f.run.coordinator_kills,
                    "cluster: like --broker-kills, against the run's group coordinator or an "
                    "instance's transaction coordinator (default 0)")
        ->type_name("N")
        ->check(CLI::Range(0, 10000));
    cmd->add_option("--broker-pauses", f.run.broker_pauses,
                    "cluster: SIGSTOP a broker for --broker-pause-ms, then SIGCONT (default 0)")
        ->type_name("N")
        ->check(CLI::Range(0, 10000));
    cmd->add_option("--scales", f.run.scales,
                    "scale out and in, in turn: start one more instance (the group rebalances), "
                    "later stop it with SIGTERM (it commits and leaves) (default 0)")
        ->type_name("N")
        ->check(CLI::Range(0, 10000));
    cmd->add_option("--net-delays", f.run.net_delays,
                    "cluster only: add --net-delay-ms of latency each way to one instance's "
                    "connections to every broker for --net-delay-for-ms (default 0)")
        ->type_name("N")
        ->check(CLI::Range(0, 10000));
    cmd->add_option("--net-cuts", f.run.net_cuts,
                    "cluster only: reset every connection of one instance at once (default 0)")
        ->type_name("N")
        ->check(CLI::Range(0, 10000));
    cmd->add_option("--isolations", f.run.isolations,
                    "cluster only: cut one instance off from every broker (nothing gets through "
                    "either way) past its session and transaction timeouts, then heal "
                    "(default 0)")
        ->type_name("N")
        ->check(CLI::Range(0, 10000));
    cmd->add_option("--net-delay-ms", f.run.net_delay_ms,
                    "the latency a --net-delays fault adds each way (default 500)")
        ->type_name("MS")
        ->check(CLI::Range(1, 60000));
    cmd->add_option("--net-delay-for-ms", f.run.net_delay_for_ms,
                    "how long a --net-delays fault lasts (default 10000)")
        ->type_name("MS")
        ->check(CLI::Range(1, 600000));
    cmd->add_option("--broker-down-ms", f.run.broker_down_ms,
                    "how long a killed broker stays down (default 8000)")
        ->type_name("N")
        ->check(CLI::Range(int64_t{0}, int64_t{3'600'000}));
    cmd->add_option("--broker-pause-ms", f.run.broker_pause_ms,
                    "how long a paused broker stays stopped (default 35000: past librdkafka's "
                    "30 s request.timeout.ms)")
        ->type_name("N")
        ->check(CLI::Range(int64_t{1}, int64_t{3'600'000}));
    cmd->add_option("--upstream-dup-rate", f.run.upstream_dup_rate,
                    "chance, per record, of an upstream duplicate of an earlier record (same id, "
                    "new offset); > 0 turns on dedupe on the field \"id\" (default 0)")
        ->type_name("R")
        ->check(CLI::Range(0.0, 0.99));
    cmd->add_flag("!--no-state-count", f.run.state_count,
                  "children without the count stage: no running count per key in a state "
                  "store, so no count checks (default: counted and checked)");
    cmd->add_option("--transform-fault-rate", f.run.transform_fault_rate,
                    "share of records whose first two transform attempts fail transiently "
                    "(the chaos built-in, after count); they must be retried and delivered "
                    "once (default 0)")
        ->type_name("R")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--poison-rate", f.run.poison_rate,
                    "chance, per record, of a poison record: larger than the output topic's "
                    "max.message.bytes, so its output can never be produced; it must end in the "
                    "dead-letter topic, once under eos (default 0)")
        ->type_name("R")
        ->check(CLI::Range(0.0, 0.5));
    cmd->add_option("--seed", f.run.seed, "seeds the workload and the fault schedule (default 1)")
        ->type_name("N");
    cmd->add_option("--rate", f.run.rate,
                    "records per second (default: so the run lasts about 1.5 times as long as "
                    "its faults with 3 s gaps between them, at least 20 s)")
        ->type_name("N")
        ->check(CLI::Range(1.0, 1e7));
    cmd->add_option("--commit-interval-ms", f.run.commit_interval_ms,
                    "the children's commit_interval_ms (default 1000)")
        ->type_name("N")
        ->check(CLI::Range(1, 600000));
    cmd->add_option("--pause-ms", f.run.pause_ms,
                    "how long a paused instance stays stopped (default: the longer of the "
                    "session and transaction timeouts + 2000)")
        ->type_name("N")
        ->check(CLI::Range(1, 3'600'000));
    cmd->add_option("--drain-timeout-s", f.drain_timeout_s,
                    "after the last fault, how long the group may take to commit the input's "
                    "end (default 180)")
        ->type_name("N")
        ->check(CLI::Range(int64_t{1}, int64_t{86400}));
    cmd->add_option("--inject-generator-fatal-at", f.run.inject_generator_fatal_at,
                    "for testing the audit: the generator's producer fails fatally (as "
                    "librdkafka 2.0.2's idempotent producer can on a broker failover) before "
                    "record N; the generator must recover (default: never)")
        ->type_name("N")
        ->check(CLI::Range(int64_t{0}, int64_t{1'000'000'000}));
    cmd->add_option("--kafka-script", f.kafka_script,
                    "scripts/kafka, for broker faults (default $ONCEFLOW_KAFKA_SCRIPT, else "
                    "scripts/kafka under the current directory or above the onceflow binary); "
                    "it must manage the --bootstrap broker")
        ->type_name("PATH");
    cmd->add_option("--run-dir", f.run_dir,
                    "configs, child logs and faults.log (default a new folder in $TMPDIR or "
                    "/tmp); each mode gets DIR/<mode>")
        ->type_name("DIR");
    cmd->add_option("--json", f.json, "write the results as JSON")->type_name("FILE");
    AddProgressOption(*cmd, f.run.progress);
    AddClientOptions(*cmd, f.client);
    cmd->callback([this] { action_ = [this] { return audit::RunAudit(audit_); }; });
  }

  void AddBench() {
    CLI::App* cmd =
        Command("bench", "Throughput and latency of raw, onceflow and Kafka Streams side by side.",
                std::string(benchmark::kBenchDescription) + "\n\n" + benchmark::kBenchFooter);
    benchmark::BenchFlags& f = bench_;
    benchmark::BenchOptions& o = f.options;
    std::string known;
    for (const std::string& s : benchmark::KnownSystems()) known += (known.empty() ? "" : ", ") + s;
    CLI::Option* systems =
        cmd->add_option("--systems", o.systems,
                        "comma-separated, of: " + known +
                            " (default: the first six; Streams ones are dropped with a warning "
                            "when java or the peer cannot be had)")
            ->type_name("A,B,...")
            ->delimiter(',')
            ->allow_extra_args(false)
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--records", o.records, "input records per configuration (default 50000)")
        ->type_name("N")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--size", o.sizes, "value bytes, comma-separated (default 1024)")
        ->type_name("B[,B...]")
        ->delimiter(',')
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->check(CLI::Range(16, 100'000'000));
    cmd->add_option("--partitions", o.partitions,
                    "input (and output) partitions, comma-separated (default 6)")
        ->type_name("P[,P...]")
        ->delimiter(',')
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->check(CLI::Range(1, 10000));
    cmd->add_option("--threads", o.threads,
                    "processing threads per system, comma-separated (default 1)")
        ->type_name("T[,T...]")
        ->delimiter(',')
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->check(CLI::Range(1, 1024));
    cmd->add_option("--commit-interval", o.commit_intervals_ms,
                    "commit interval in ms, every system, comma-separated (default 100)")
        ->type_name("MS[,MS...]")
        ->delimiter(',')
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->check(CLI::Range(1, 600000));
    cmd->add_option("--linger-ms", f.linger,
                    "producer linger.ms of raw and onceflow, comma-separated; \"default\" = "
                    "their own (5 ms); Kafka Streams always uses 100 (default: default)")
        ->type_name("L[,L...]")
        ->delimiter(',')
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--repeat", o.repeat, "measured runs per system and configuration (default 3)")
        ->type_name("R")
        ->check(CLI::Range(1, 1000));
    cmd->add_option("--dup-share", o.dup_share,
                    "share of input records that repeat an earlier record's key (same "
                    "partition), for the dedupe systems to drop (default 0: every key new)")
        ->type_name("F")
        ->check(CLI::Range(0.0, 0.99));
    CLI::Option* rates =
        cmd->add_option("--rates", o.rates,
                        "latency runs at these input rates, records/s, every system at each "
                        "(default 1000,10000,30000)")
            ->type_name("R[,R...]")
            ->delimiter(',')
            ->allow_extra_args(false)
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
            ->check(CLI::Range(1.0, 10'000'000.0));
    cmd->add_option("--rate-fraction", o.rate_fraction,
                    "instead of --rates: one latency run per system at this fraction of its own "
                    "measured max")
        ->type_name("F")
        ->check(CLI::Range(1e-6, 1.0))
        ->excludes(rates)
        ->each([&o](const std::string&) { o.rates.clear(); });
    cmd->add_option("--latency-seconds", o.latency_seconds,
                    "paced production time of each latency run (default 10)")
        ->type_name("S")
        ->check(CLI::PositiveNumber);
    cmd->add_flag("!--no-latency", o.latency, "skip the latency runs");
    CLI::Option* calibrate = cmd->add_flag(
        "--calibrate,!--no-calibrate", o.calibrate,
        "measure the broker alone with Kafka's ProducerPerformance (plain, transactional) and "
        "ConsumerPerformance (default: on)");
    cmd->add_flag("--verify", o.verify,
                  "read every output back under read_committed and report the count");
    cmd->add_option("--input-topic", o.input_topic,
                    "run on this existing topic (its partitions and records; not preloaded, "
                    "not deleted) instead of a preloaded one: to check a figure against a "
                    "system run on its own; --size then only labels the rows")
        ->type_name("TOPIC");
    cmd->add_option("--json", f.json, "write {\"config\": {...}, \"results\": [...]}")
        ->type_name("FILE");
    cmd->add_option("--chart", f.chart, "draw throughput and latency with gnuplot")
        ->type_name("FILE.png");
    cmd->add_option("--repo", f.repo,
                    "the onceflow checkout (bench/peers, scripts/kafka); default: the working "
                    "directory if it holds scripts/kafka, else the checkout this binary was "
                    "built in")
        ->type_name("DIR");
    AddProgressOption(*cmd, o.progress);
    AddClientOptions(*cmd, f.client);
    cmd->callback([this, systems, calibrate] {
      bench_.systems_given = systems->count() > 0;
      bench_.calibrate_given = calibrate->count() > 0;
      action_ = [this] { return benchmark::RunBench(bench_); };
    });
  }

  void AddPing() {
    CLI::App* cmd =
        Command("ping", "Checks that a Kafka cluster answers (and lets this client in).",
                "Checks that the Kafka cluster answers a metadata request within 10 s. "
                "A refused login or an untrusted broker certificate fails at once "
                "(exit 5).");
    AddClientOptions(*cmd, ping_.client);
    cmd->callback([this] { action_ = [this] { return RunPing(ping_); }; });
  }

  void AddTopic() {
    CLI::App* topic = Command("topic", "Creates and deletes topics: topic create|delete.");
    topic->require_subcommand(1);

    CLI::App* create = topic->add_subcommand(
        "create",
        "Creates topic NAME and returns once every partition has a leader, so producers can "
        "write to it at once.");
    create->add_option("name", create_.name, "the topic")->type_name("NAME")->required();
    create->add_option("--partitions", create_.partitions, "number of partitions (default 1)")
        ->type_name("N")
        ->check(CLI::Range(1, 1'000'000));
    create
        ->add_option("--replication-factor", create_.replication_factor,
                     "replicas per partition (default 1)")
        ->type_name("N")
        ->check(CLI::Range(1, 1000));
    create
        ->add_option("--config", create_.configs,
                     "a topic config, e.g. cleanup.policy=compact; repeatable")
        ->type_name("KEY=VALUE")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    create->add_flag("--if-not-exists", create_.if_not_exists,
                     "succeed if the topic already exists (its settings are not checked)");
    AddClientOptions(*create, create_.client);
    create->callback([this] { action_ = [this] { return RunTopicCreate(create_); }; });

    CLI::App* remove = topic->add_subcommand(
        "delete",
        "Deletes the topics and returns once the cluster's metadata no longer lists them, so "
        "they can be created again at once.");
    remove->add_option("names", delete_.names, "the topics")->type_name("NAME...")->required();
    remove->add_flag("--if-exists", delete_.if_exists,
                     "succeed for topics that do not exist (default: fail, deleting nothing)");
    AddClientOptions(*remove, delete_.client);
    remove->callback([this] { action_ = [this] { return RunTopicDelete(delete_); }; });
  }

  void AddOffsets() {
    CLI::App* cmd = Command(
        "offsets", "A group's committed offsets, the end offsets and the lag on a topic.",
        "Prints, for every partition of topic T, the offset consumer group G has committed (the "
        "position it resumes from), the log end offset (high watermark) and the lag between "
        "them. \"-\" means the group has committed nothing for that partition. Only reads: it "
        "never joins the group.");
    cmd->add_option("--group", offsets_.group,
                    "consumer group id (for an onceflow app, its application id)")
        ->type_name("G")
        ->required();
    cmd->add_option("--topic", offsets_.topic, "topic to report on")->type_name("T")->required();
    AddClientOptions(*cmd, offsets_.client);
    cmd->callback([this] { action_ = [this] { return RunOffsets(offsets_); }; });
  }

  void AddSchema() {
    CLI::App* cmd = Command("schema", "Prints a JSON Schema of the config file, for editors.",
                            kSchemaDescription);
    cmd->add_option("-o,--output", schema_output_, "write it to FILE instead of stdout")
        ->type_name("FILE");
    cmd->callback([this] { action_ = [this] { return RunSchema(schema_output_); }; });
  }

  void AddVersion() {
    CLI::App* cmd =
        Command("version", "Prints the version, the git commit and the library versions.");
    cmd->callback([this] { action_ = [] { return PrintVersion(); }; });
  }

  // Lists `help` among the commands; Main answers it before parsing (CLI11 would take the
  // command names after it for subcommands).
  void AddHelp() {
    Command("help", "Prints a command's help: onceflow help run.",
            "onceflow help COMMAND [SUBCOMMAND] prints the same text as onceflow COMMAND "
            "[SUBCOMMAND] --help.");
  }

  // `onceflow help [COMMAND [SUBCOMMAND]]`: the same text as `onceflow COMMAND --help`.
  int Help(const std::vector<std::string>& path) {
    const CLI::App* at = &app_;
    std::string parents = "onceflow";
    for (size_t i = 0; i < path.size(); ++i) {
      try {
        at = at->get_subcommand(path[i]);
      } catch (const CLI::OptionNotFound&) {
        return UsageError("help", "unknown command '" + path[i] + "'");
      }
      if (i + 1 < path.size()) parents += " " + path[i];
    }
    // help(prefix) puts the command's own name after `prefix`.
    std::cout << (at == &app_ ? app_.help() : at->help(parents));
    return kExitOk;
  }

  CLI::App app_;
  std::function<int()> action_;
  bool version_flag_ = false;
  RunFlags run_;
  ValidateFlags validate_;
  audit::AuditFlags audit_;
  benchmark::BenchFlags bench_;
  PingFlags ping_;
  TopicCreateFlags create_;
  TopicDeleteFlags delete_;
  OffsetsFlags offsets_;
  std::string schema_output_;
};

}  // namespace
}  // namespace onceflow::sidecar

int main(int argc, char** argv) {
  onceflow::sidecar::Cli cli;
  return cli.Main(argc, argv);
}
