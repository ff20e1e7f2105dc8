#ifndef ONCEFLOW_TESTS_TESTING_STORED_CHECKPOINT_H_
#define ONCEFLOW_TESTS_TESTING_STORED_CHECKPOINT_H_

#include <optional>
#include <string>

namespace onceflow::testing {

// Opens the closed partition store database at `db_path` (a store folder's "db") with RocksDB
// itself and replaces its stored checkpoint with `bytes` (nullopt: deletes it), or, with
// `drop_family`, drops the checkpoint's column family (the layout of a folder written before
// the checkpoint moved into the database). Fails the test if RocksDB refuses.
void TamperWithStoredCheckpoint(const std::string& db_path, std::optional<std::string> bytes,
                                bool drop_family = false);

}  // namespace onceflow::testing

#endif  // ONCEFLOW_TESTS_TESTING_STORED_CHECKPOINT_H_
