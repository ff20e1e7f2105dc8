#include "tests/testing/stored_checkpoint.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "state/partition_store.h"

namespace onceflow::testing {

void TamperWithStoredCheckpoint(const std::string& db_path, std::optional<std::string> bytes,
                                bool drop_family) {
  const std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {state::kCheckpointColumnFamily, rocksdb::ColumnFamilyOptions()}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status opened = rocksdb::DB::Open(rocksdb::Options(), db_path, families,
                                                   &handles, &raw);
  ASSERT_TRUE(opened.ok()) << opened.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  std::unique_ptr<rocksdb::ColumnFamilyHandle> keys(handles[0]);
  std::unique_ptr<rocksdb::ColumnFamilyHandle> meta(handles[1]);
  rocksdb::Status s;
  if (drop_family) {
    s = db->DropColumnFamily(meta.get());
  } else if (bytes.has_value()) {
    s = db->Put(rocksdb::WriteOptions(), meta.get(), state::kCheckpointKey, *bytes);
  } else {
    s = db->Delete(rocksdb::WriteOptions(), meta.get(), state::kCheckpointKey);
  }
  EXPECT_TRUE(s.ok()) << s.ToString();
  meta.reset();
  keys.reset();
  EXPECT_TRUE(db->Close().ok());
}

}  // namespace onceflow::testing
