#include "sidecar/plugin_loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/excerpt.h"
#include "onceflow/plugin_abi.h"
#include "onceflow/record.h"
#include "onceflow/transform.h"
#include "sidecar/topic_name.h"
#include "base/json_string.h"

// The host side of the ABI's opaque emitter: what the emit callback needs for one
// onceflow_plugin_process call. Lives on the stack of PluginTransform::Process.
struct onceflow_emitter {
  const onceflow::Record* input;
  onceflow::Emitter* out;
  // Reused for outputs whose headers are all views into the input.
  onceflow::Record* shape;
  // Why the first refused output was refused; empty if none was.
  std::string refused;
};

namespace onceflow::sidecar {
namespace {

struct DlCloser {
  void operator()(void* handle) const {
    if (handle != nullptr) dlclose(handle);
  }
};
using LibraryHandle = std::unique_ptr<void, DlCloser>;

// Messages plugins write to `err`; longer ones are truncated.
constexpr size_t kErrorBufferSize = 1024;

std::string DlError() {
  const char* e = dlerror();
  return e != nullptr ? std::string(e) : std::string("unknown dlerror");
}

// True if `v` lies entirely inside one of the input's buffers (key, value, a header name or
// value): such bytes live as long as the input and may be kept as views.
bool InInput(const Record& in, const void* data, size_t len) {
  const uintptr_t lo = reinterpret_cast<uintptr_t>(data);
  auto within = [lo, len](absl::string_view range) {
    if (range.data() == nullptr) return false;
    // Compared as integers: pointers into unrelated objects have no ordering in C++.
    const uintptr_t begin = reinterpret_cast<uintptr_t>(range.data());
    return lo >= begin && lo + len <= begin + range.size();
  };
  if (within(in.key()) || within(in.value())) return true;
  for (const HeaderView& h : in.headers()) {
    if (within(h.first) || within(h.second)) return true;
  }
  return false;
}

absl::string_view AsView(const void* data, size_t len) {
  return absl::string_view(static_cast<const char*>(data), len);
}

// Checks that a (pointer, length) pair the plugin passed is usable.
bool CheckBytes(const void* data, size_t len, absl::string_view what, std::string& refused) {
  if (data == nullptr && len != 0) {
    refused = absl::StrCat(what, " is NULL with a length of ", len);
    return false;
  }
  return true;
}

// Builds the OutputRecord for `o`; false (with `e.refused` set) if the output is invalid.
bool Convert(onceflow_emitter& e, const onceflow_output& o, OutputRecord& r) {
  const Record& in = *e.input;
  if (o.header_count != 0 && o.headers == nullptr) {
    e.refused = absl::StrCat("headers is NULL with header_count ", o.header_count);
    return false;
  }
  bool headers_in_input = true;
  for (size_t i = 0; i < o.header_count; ++i) {
    const onceflow_header& h = o.headers[i];
    if (!CheckBytes(h.name, h.name_len, absl::StrCat("header ", i, " name"), e.refused) ||
        !CheckBytes(h.value, h.value_len, absl::StrCat("header ", i, " value"), e.refused)) {
      return false;
    }
    if ((h.name_len != 0 && !InInput(in, h.name, h.name_len)) ||
        (h.value_len != 0 && !InInput(in, h.value, h.value_len))) {
      headers_in_input = false;
    }
  }
  if (headers_in_input && o.header_count != 0) {
    // OutputRecord takes header views only through Forward: shape a Record with them.
    e.shape->mutable_headers().clear();
    for (size_t i = 0; i < o.header_count; ++i) {
      const onceflow_header& h = o.headers[i];
      e.shape->add_header(AsView(h.name, h.name_len), AsView(h.value, h.value_len));
    }
    r = OutputRecord::Forward(*e.shape);
  } else {
    for (size_t i = 0; i < o.header_count; ++i) {
      const onceflow_header& h = o.headers[i];
      r.AddHeader(std::string(AsView(h.name, h.name_len)),
                  std::string(AsView(h.value, h.value_len)));
    }
  }
  if (o.has_key != 0) {
    if (!CheckBytes(o.key, o.key_len, "key", e.refused)) return false;
    if (o.key_len != 0 && InInput(in, o.key, o.key_len)) {
      r.SetKeyView(AsView(o.key, o.key_len));
    } else {
      r.SetKey(std::string(AsView(o.key, o.key_len)));
    }
  }
  if (o.has_value != 0) {
    if (!CheckBytes(o.value, o.value_len, "value", e.refused)) return false;
    if (o.value_len != 0 && InInput(in, o.value, o.value_len)) {
      r.SetValueView(AsView(o.value, o.value_len));
    } else {
      r.SetValue(std::string(AsView(o.value, o.value_len)));
    }
  }
  if (o.topic != nullptr && o.topic_len != 0) {
    const absl::string_view topic = AsView(o.topic, o.topic_len);
    if (!IsValidTopicName(topic)) {
      e.refused =
          absl::StrCat("topic \"", base::Excerpt(topic), "\" is not a valid Kafka topic name");
      return false;
    }
    r.SetTopic(std::string(topic));
  }
  if ((o.flags & ONCEFLOW_OUTPUT_SET_PARTITION) != 0) {
    if (o.partition < ONCEFLOW_PARTITION_ANY) {
      e.refused = absl::StrCat("partition ", o.partition, " is negative");
      return false;
    }
    r.SetPartition(Partition(o.partition));
  }
  if ((o.flags & ONCEFLOW_OUTPUT_SET_TIMESTAMP) != 0) {
    if (o.timestamp_ms < 0) {
      e.refused = absl::StrCat("timestamp_ms ", o.timestamp_ms, " is negative");
      return false;
    }
    r.SetTimestampMs(o.timestamp_ms);
  } else {
    r.SetTimestampMs(in.timestamp_ms() < 0 ? 0 : in.timestamp_ms());
  }
  return true;
}

// onceflow_emit_fn. No exception may unwind into the plugin's C frames.
int EmitToHost(onceflow_emitter* e, const onceflow_output* o) noexcept {
  if (e == nullptr) return ONCEFLOW_PERMANENT;
  if (!e->refused.empty()) return ONCEFLOW_PERMANENT;  // the input fails anyway
  try {
    if (o == nullptr) {
      e->refused = "emit was called with a NULL output";
      return ONCEFLOW_PERMANENT;
    }
    OutputRecord r;
    if (!Convert(*e, *o, r)) return ONCEFLOW_PERMANENT;
    e->out->Emit(std::move(r));
    return ONCEFLOW_OK;
  } catch (const std::bad_alloc&) {
    e->refused = "out of memory copying an output";
  } catch (const std::exception& ex) {
    e->refused = absl::StrCat("exception while emitting: ", ex.what());
  } catch (...) {
    e->refused = "unknown exception while emitting";
  }
  return ONCEFLOW_PERMANENT;
}

struct PluginSymbols {
  onceflow_plugin_abi_version_fn abi_version = nullptr;
  onceflow_plugin_name_fn name = nullptr;
  onceflow_plugin_create_fn create = nullptr;
  onceflow_plugin_process_fn process = nullptr;
  onceflow_plugin_destroy_fn destroy = nullptr;
};

class PluginTransform : public Transform {
 public:
  PluginTransform(LibraryHandle library, PluginSymbols symbols, void* self, std::string name)
      : library_(std::move(library)), symbols_(symbols), self_(self), name_(std::move(name)) {}

  ~PluginTransform() override {
    // Destroy the instance while its code is still mapped; library_ (declared first) is
    // dlclose'd after this body, when the members go.
    symbols_.destroy(self_);
  }

  PluginTransform(const PluginTransform&) = delete;
  PluginTransform& operator=(const PluginTransform&) = delete;

  absl::Status Process(const Record& in, Emitter& out) override {
    // The topic is handed out NUL-terminated; it changes only between input partitions.
    if (in.topic() != topic_) topic_.assign(in.topic().data(), in.topic().size());
    headers_.clear();
    for (const HeaderView& h : in.headers()) {
      headers_.push_back({h.first.data(), h.first.size(), h.second.data(), h.second.size()});
    }
    onceflow_record record{};
    record.topic = topic_.c_str();
    record.topic_len = topic_.size();
    record.partition = in.partition().value();
    record.offset = in.offset().value();
    record.timestamp_ms = in.timestamp_ms();
    record.has_key = in.has_key() ? 1 : 0;
    record.key = in.has_key() ? in.key().data() : nullptr;
    record.key_len = in.key().size();
    record.has_value = in.has_value() ? 1 : 0;
    record.value = in.has_value() ? in.value().data() : nullptr;
    record.value_len = in.value().size();
    record.headers = headers_.empty() ? nullptr : headers_.data();
    record.header_count = headers_.size();

    onceflow_emitter emitter{&in, &out, &shape_, {}};
    err_[0] = '\0';
    const int rc =
        symbols_.process(self_, &record, &emitter, &EmitToHost, err_.data(), err_.size());
    err_.back() = '\0';
    if (!emitter.refused.empty()) {
      return PermanentError(absl::StrCat(name_, ": output refused: ", emitter.refused));
    }
    switch (rc) {
      case ONCEFLOW_OK:
        return absl::OkStatus();
      case ONCEFLOW_TRANSIENT:
        return TransientError(absl::StrCat(name_, ": ", Reason("transient error")));
      case ONCEFLOW_PERMANENT:
        return PermanentError(absl::StrCat(name_, ": ", Reason("permanent error")));
      default:
        return PermanentError(absl::StrCat(name_, ": returned unknown status ", rc,
                                           " (treated as permanent): ", Reason("no reason")));
    }
  }

  std::string name() const override { return name_; }

 private:
  std::string Reason(absl::string_view fallback) const {
    return err_[0] != '\0' ? std::string(err_.data()) : std::string(fallback);
  }

  LibraryHandle library_;
  PluginSymbols symbols_;
  void* self_;
  std::string name_;
  // Per-call scratch, kept to reuse its capacity.
  std::string topic_;
  std::vector<onceflow_header> headers_;
  Record shape_;
  std::array<char, kErrorBufferSize> err_{};
};

// Looks `symbol` up in `library`; an error names it.
template <typename Fn>
absl::Status Resolve(void* library, const char* symbol, const std::string& path, Fn& fn) {
  dlerror();  // clear
  void* address = dlsym(library, symbol);
  if (address == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("plugin ", path, ": missing symbol ", symbol, " (", DlError(),
                     "); is it a onceflow plugin, exported with C linkage?"));
  }
  fn = reinterpret_cast<Fn>(address);
  return absl::OkStatus();
}

std::string FileStem(const std::string& path) {
  absl::string_view base = path;
  if (size_t slash = base.rfind('/'); slash != absl::string_view::npos) {
    base.remove_prefix(slash + 1);
  }
  if (size_t dot = base.find('.'); dot != absl::string_view::npos && dot != 0) {
    base = base.substr(0, dot);
  }
  return std::string(base);
}

}  // namespace

std::string PluginConfigJson(const std::map<std::string, std::string>& config) {
  std::string json = "{";
  for (const auto& [key, value] : config) {
    if (json.size() > 1) json.push_back(',');
    base::AppendJsonString(key, json);
    json.push_back(':');
    base::AppendJsonString(value, json);
  }
  json.push_back('}');
  return json;
}

absl::StatusOr<std::unique_ptr<Transform>> LoadPlugin(
    const std::string& path, const std::map<std::string, std::string>& config) {
  if (path.empty()) return absl::InvalidArgumentError("plugin: path is empty");
  dlerror();  // clear
  LibraryHandle library(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (library == nullptr) {
    std::string message = absl::StrCat("plugin ", path, ": cannot load: ", DlError());
    // kNotFound when there is no such file; a file that is there but not a loadable library
    // (or one whose dependencies are missing) is a configuration error.
    const bool exists = path.find('/') != std::string::npos && access(path.c_str(), F_OK) == 0;
    return exists ? absl::InvalidArgumentError(message) : absl::NotFoundError(message);
  }
  PluginSymbols symbols;
  // The version first: a library built for another ABI may lack or misdeclare the others.
  if (absl::Status st =
          Resolve(library.get(), "onceflow_plugin_abi_version", path, symbols.abi_version);
      !st.ok()) {
    return st;
  }
  const uint32_t version = symbols.abi_version();
  if (version != ONCEFLOW_PLUGIN_ABI_VERSION) {
    return absl::InvalidArgumentError(absl::StrCat("plugin ", path, ": built for ABI ", version,
                                                   ", this onceflow speaks ",
                                                   ONCEFLOW_PLUGIN_ABI_VERSION));
  }
  for (absl::Status st : {
           Resolve(library.get(), "onceflow_plugin_name", path, symbols.name),
           Resolve(library.get(), "onceflow_plugin_create", path, symbols.create),
           Resolve(library.get(), "onceflow_plugin_process", path, symbols.process),
           Resolve(library.get(), "onceflow_plugin_destroy", path, symbols.destroy),
       }) {
    if (!st.ok()) return st;
  }

  const char* plugin_name = symbols.name();
  std::string name = absl::StrCat(
      "plugin:", plugin_name != nullptr && *plugin_name != '\0' ? plugin_name : FileStem(path));

  const std::string config_json = PluginConfigJson(config);
  std::array<char, kErrorBufferSize> err{};
  void* self = symbols.create(config_json.c_str(), err.data(), err.size());
  err.back() = '\0';
  if (self == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "plugin ", path, ": onceflow_plugin_create failed: ",
        err[0] != '\0' ? absl::string_view(err.data()) : absl::string_view("(no reason given)")));
  }
  return std::make_unique<PluginTransform>(std::move(library), symbols, self, std::move(name));
}

}  // namespace onceflow::sidecar
