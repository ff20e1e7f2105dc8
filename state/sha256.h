// SHA-256 (FIPS 180-4), for content-hash idempotency keys.
//
//   std::string digest = state::Sha256("abc");  // 32 raw bytes
//   state::Sha256Hasher h;
//   h.Update("ab");
//   h.Update("c");
//   std::array<uint8_t, 32> same = h.Finish();
//
// Written here rather than taken from a crypto library: state/ depends only on RocksDB,
// protobuf and Abseil, and dedupe needs nothing more than the digest. Not constant-time and
// not meant for secrets. Thread-safety: a Sha256Hasher is used by one thread at a time; the free
// functions are thread-safe.
#ifndef ONCEFLOW_STATE_SHA256_H_
#define ONCEFLOW_STATE_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace onceflow::state {

class Sha256Hasher {
 public:
  static constexpr size_t kDigestBytes = 32;
  using Digest = std::array<uint8_t, kDigestBytes>;

  Sha256Hasher();
  // Appends `data` to the message.
  void Update(absl::string_view data);
  // The digest of everything appended. REQUIRES: called once; the hasher is spent afterwards.
  Digest Finish();

 private:
  void Compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_;
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// The 32-byte SHA-256 digest of `data`, as raw bytes.
std::string Sha256(absl::string_view data);
// Lower-case hex of `bytes` (for tests and messages).
std::string ToHex(absl::string_view bytes);

}  // namespace onceflow::state

#endif  // ONCEFLOW_STATE_SHA256_H_
