#include "onceflow/typed_transform.h"

#include <climits>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"

namespace onceflow {
namespace {

const char* CodecName(Codec codec) { return codec == Codec::kJson ? "json" : "binary"; }

absl::Status CannotParse(absl::string_view bytes, Codec codec,
                         const google::protobuf::Message& message, absl::string_view reason) {
  return PermanentError(absl::StrCat("cannot parse ", bytes.size(), " bytes as ",
                                     message.GetDescriptor()->full_name(), " (", CodecName(codec),
                                     "): ", reason));
}

}  // namespace

absl::Status ParseAs(absl::string_view bytes, Codec codec, google::protobuf::Message& message) {
  switch (codec) {
    case Codec::kBinary: {
      if (bytes.size() > static_cast<size_t>(INT_MAX)) {
        return CannotParse(bytes, codec, message, "larger than protobuf's 2 GiB limit");
      }
      // Partial parse first, so a proto2 message missing required fields says which.
      if (!message.ParsePartialFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return CannotParse(bytes, codec, message, "invalid protobuf wire format");
      }
      if (!message.IsInitialized()) {
        return CannotParse(
            bytes, codec, message,
            absl::StrCat("missing required fields: ", message.InitializationErrorString()));
      }
      return absl::OkStatus();
    }
    case Codec::kJson: {
      google::protobuf::util::JsonParseOptions options;
      options.ignore_unknown_fields = false;
      const auto status = google::protobuf::util::JsonStringToMessage(
          google::protobuf::StringPiece(bytes.data(), bytes.size()), &message, options);
      if (!status.ok()) return CannotParse(bytes, codec, message, status.message().ToString());
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError("unknown codec");
}

absl::StatusOr<std::string> SerializeAs(const google::protobuf::Message& message, Codec codec) {
  std::string out;
  switch (codec) {
    case Codec::kBinary:
      if (!message.IsInitialized()) {
        return PermanentError(absl::StrCat(
            "cannot serialize ", message.GetDescriptor()->full_name(),
            " (binary): missing required fields: ", message.InitializationErrorString()));
      }
      if (!message.SerializeToString(&out)) {
        return PermanentError(absl::StrCat("cannot serialize ",
                                           message.GetDescriptor()->full_name(),
                                           " (binary): larger than protobuf's 2 GiB limit"));
      }
      return out;
    case Codec::kJson: {
      const auto status = google::protobuf::util::MessageToJsonString(message, &out);
      if (!status.ok()) {
        return PermanentError(absl::StrCat("cannot serialize ",
                                           message.GetDescriptor()->full_name(),
                                           " (json): ", status.message().ToString()));
      }
      return out;
    }
  }
  return absl::InvalidArgumentError("unknown codec");
}

}  // namespace onceflow
