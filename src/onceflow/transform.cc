#include "onceflow/transform.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "onceflow/record.h"

namespace onceflow {

absl::Status TransientError(absl::string_view message) { return absl::UnavailableError(message); }

absl::Status PermanentError(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

const char* ErrorClass(const absl::Status& status) {
  return IsTransient(status) ? "transient" : "permanent";
}

namespace {

class PassthroughTransform : public Transform {
 public:
  absl::Status Process(const Record& in, Emitter& out) override {
    out.Emit(OutputRecord::Forward(in));
    return absl::OkStatus();
  }
  std::string name() const override { return "passthrough"; }
};

class VectorEmitter : public Emitter {
 public:
  explicit VectorEmitter(std::vector<OutputRecord>& records) : records_(records) {}
  void Emit(OutputRecord record) override { records_.push_back(std::move(record)); }

 private:
  std::vector<OutputRecord>& records_;
};

// The memory `in` hands out views of: its key, value and header names and values. Holds a
// reference to `in`; checks on the fly rather than collecting ranges, so it never allocates.
class InputRanges {
 public:
  explicit InputRanges(const Record& in) : in_(in) {}

  // True if `v` lies entirely inside memory of the input (so it lives as long as the input).
  bool Contains(absl::string_view v) const {
    if (Within(v, in_.key()) || Within(v, in_.value())) return true;
    for (const HeaderView& h : in_.headers()) {
      if (Within(v, h.first) || Within(v, h.second)) return true;
    }
    return false;
  }

 private:
  static bool Within(absl::string_view v, absl::string_view range) {
    if (range.data() == nullptr) return false;
    // Compared as integers: pointers into unrelated objects have no ordering in C++.
    const uintptr_t lo = reinterpret_cast<uintptr_t>(v.data());
    const uintptr_t begin = reinterpret_cast<uintptr_t>(range.data());
    return lo >= begin && lo + v.size() <= begin + range.size();
  }

  const Record& in_;
};

// Copies every view of `record` that does not point into the chain's input: such a view points
// into an intermediate stage's output, which dies when ChainTransform::Process returns (or
// into memory the chain cannot vouch for). Views into the input stay views (zero copy).
void OwnUnlessIntoInput(const InputRanges& input, OutputRecord& record) {
  auto lives_with_input = [&input](const Bytes& b) {
    return b.is_null() || b.is_owned() || input.Contains(b.view());
  };
  if (!lives_with_input(record.key())) record.SetKey(std::string(record.key().view()));
  if (!lives_with_input(record.value())) record.SetValue(std::string(record.value().view()));
  for (const auto& [name, value] : record.headers()) {
    if (!lives_with_input(name) || !lives_with_input(value)) {
      // OutputRecord has no per-header setter; owning them all is correct, merely a copy more.
      record.Own();
      break;
    }
  }
}

// Runs the stages breadth first: all outputs of stage i are collected (so their storage no
// longer moves) before stage i+1 sees views of them. Emission order is the same as depth
// first. Nothing reaches the caller's Emitter until the last stage succeeded for every record.
class ChainTransform : public Transform {
 public:
  explicit ChainTransform(std::vector<std::unique_ptr<Transform>> stages)
      : stages_(std::move(stages)), buffers_(stages_.size()) {}

  absl::Status Init(TransformContext& context) override {
    for (const std::unique_ptr<Transform>& stage : stages_) {
      if (absl::Status st = stage->Init(context); !st.ok()) return st;
    }
    return absl::OkStatus();
  }

  absl::Status Process(const Record& in, Emitter& out) override {
    for (std::vector<OutputRecord>& b : buffers_) b.clear();  // in case a stage threw
    if (stages_.empty()) {
      out.Emit(OutputRecord::Forward(in));
      return absl::OkStatus();
    }
    absl::Status status = Run(in);
    if (status.ok()) {
      std::vector<OutputRecord>& last = buffers_.back();
      if (stages_.size() > 1) {
        const InputRanges input(in);
        for (OutputRecord& r : last) OwnUnlessIntoInput(input, r);
      }
      for (OutputRecord& r : last) out.Emit(std::move(r));
    }
    // Buffers keep their capacity across inputs; their records (and views) go now.
    for (std::vector<OutputRecord>& b : buffers_) b.clear();
    return status;
  }

  std::string name() const override {
    return absl::StrJoin(stages_, ">", [](std::string* s, const std::unique_ptr<Transform>& t) {
      s->append(t->name());
    });
  }

 private:
  absl::Status Run(const Record& in) {
    {
      VectorEmitter emitter(buffers_[0]);
      absl::Status st = stages_[0]->Process(in, emitter);
      if (!st.ok()) return st;
    }
    for (size_t i = 1; i < stages_.size(); ++i) {
      VectorEmitter emitter(buffers_[i]);
      for (const OutputRecord& prev : buffers_[i - 1]) {
        const Record next_in = prev.AsRecord(in);
        absl::Status st = stages_[i]->Process(next_in, emitter);
        if (!st.ok()) return st;
      }
    }
    return absl::OkStatus();
  }

  std::vector<std::unique_ptr<Transform>> stages_;
  // buffers_[i]: the outputs of stage i for the current input. Members only to reuse their
  // capacity; they are empty between calls.
  std::vector<std::vector<OutputRecord>> buffers_;
};

}  // namespace

std::unique_ptr<Transform> Passthrough() { return std::make_unique<PassthroughTransform>(); }

std::unique_ptr<Transform> Chain(std::vector<std::unique_ptr<Transform>> stages) {
  return std::make_unique<ChainTransform>(std::move(stages));
}

}  // namespace onceflow
