// The `onceflow` subcommands defined outside main.cc. Each takes the subcommand's own argv
// (argv[0] is its name, e.g. "validate"; main passes argc - 1, argv + 1) and returns the
// process exit code.
//
//   if (command == "validate") return onceflow::sidecar::RunValidate(argc - 1, argv + 1);
#ifndef ONCEFLOW_SIDECAR_COMMANDS_H_
#define ONCEFLOW_SIDECAR_COMMANDS_H_

namespace onceflow::sidecar {

// `onceflow validate --config FILE`: loads and validates a pipeline config without connecting
// anywhere. Prints "FILE: OK (application X, N input(s) -> OUTPUT, mode M, K transform(s))" to
// stdout and returns 0, or prints the first error ("FILE:LINE: KEY: WHY") to stderr and returns
// 2 for an invalid config or a usage error, 1 if the file cannot be read. Values that came from
// ${...} substitutions are never printed.
int RunValidate(int argc, char** argv);

}  // namespace onceflow::sidecar

namespace onceflow::audit {

// `onceflow audit ...`: the delivery audit (src/audit/). See `onceflow audit --help`.
int RunAudit(int argc, char** argv);

}  // namespace onceflow::audit

namespace onceflow::benchmark {

// `onceflow bench ...`: throughput and latency side by side (src/benchmark/). See
// `onceflow bench --help`.
int RunBench(int argc, char** argv);

}  // namespace onceflow::benchmark

#endif  // ONCEFLOW_SIDECAR_COMMANDS_H_
