// Checkpoint files: which changelog offset a partition's local RocksDB files reflect.
//
//   onceflow::v1::Checkpoint cp;
//   cp.set_changelog_topic("app-dedupe-changelog");
//   cp.set_next_offset(1234);
//   ONCEFLOW_RETURN_IF_ERROR(state::WriteCheckpoint("/var/lib/onceflow/0.checkpoint", cp));
//   absl::StatusOr<onceflow::v1::Checkpoint> read = state::ReadCheckpoint(path);
//
// Crash semantics: WriteCheckpoint replaces the file atomically (write to a temporary file,
// fsync it, rename over the old one, fsync the folder), so a reader sees the old or the new
// checkpoint, never a torn one. A file that does not parse is reported as kDataLoss, never
// treated as "no checkpoint": the caller decides to rebuild from the changelog.
#ifndef ONCEFLOW_STATE_CHECKPOINT_H_
#define ONCEFLOW_STATE_CHECKPOINT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "onceflow/v1/state.pb.h"

namespace onceflow::state {

// Atomically replaces the checkpoint at `path` with `checkpoint`.
absl::Status WriteCheckpoint(const std::string& path, const v1::Checkpoint& checkpoint);

// The checkpoint at `path`. kNotFound if there is none; kDataLoss if it is unreadable.
absl::StatusOr<v1::Checkpoint> ReadCheckpoint(const std::string& path);

}  // namespace onceflow::state

#endif  // ONCEFLOW_STATE_CHECKPOINT_H_
