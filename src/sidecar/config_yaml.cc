#include "sidecar/config_yaml.h"

#include <yaml.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "onceflow/status_macros.h"
#include "sidecar/config_errors.h"

namespace onceflow::sidecar::config_internal {
namespace {

// Bounds on what a YAML document may expand to: aliases share nodes, so a small file can
// describe a huge (or, through a recursive alias, endless) tree.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxNodes = 100000;

// Owners of libyaml's C structs: they are released only if they were initialized.
struct YamlParser {
  yaml_parser_t raw{};
  bool initialized = false;
  YamlParser() = default;
  YamlParser(const YamlParser&) = delete;
  YamlParser& operator=(const YamlParser&) = delete;
  ~YamlParser() {
    if (initialized) yaml_parser_delete(&raw);
  }
};
struct YamlDocument {
  yaml_document_t raw{};
  bool loaded = false;
  YamlDocument() = default;
  YamlDocument(const YamlDocument&) = delete;
  YamlDocument& operator=(const YamlDocument&) = delete;
  ~YamlDocument() {
    if (loaded) yaml_document_delete(&raw);
  }
};

absl::Status SyntaxError(const std::string& name, absl::string_view format,
                         const yaml_parser_t& parser, absl::string_view text) {
  if (parser.error == YAML_MEMORY_ERROR) {
    return absl::ResourceExhaustedError(absl::StrCat(name, ": out of memory parsing it"));
  }
  size_t line = parser.problem_mark.line;
  size_t column = parser.problem_mark.column;
  if (parser.error == YAML_READER_ERROR) {
    // Reader errors (bad encoding) carry a byte offset, not a mark.
    const absl::string_view before = text.substr(0, std::min(parser.problem_offset, text.size()));
    line = static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
    const size_t newline = before.rfind('\n');
    column = newline == absl::string_view::npos ? before.size() : before.size() - newline - 1;
  }
  std::string message = absl::StrCat(name, ":", line + 1, ":", column + 1, ": invalid ",
                                     format == "json" ? "JSON" : "YAML", ": ",
                                     parser.problem != nullptr ? parser.problem : "unknown error");
  if (parser.context != nullptr) {
    absl::StrAppend(&message, " (", parser.context, " at line ", parser.context_mark.line + 1,
                    ", column ", parser.context_mark.column + 1, ")");
  }
  return absl::InvalidArgumentError(message);
}

class TreeBuilder {
 public:
  TreeBuilder(const std::string& name, yaml_document_t& document)
      : name_(name), document_(document) {}

  absl::StatusOr<Node> Build(yaml_node_t* node, int depth) {
    const int line = static_cast<int>(node->start_mark.line) + 1;
    if (depth > kMaxDepth || ++count_ > kMaxNodes) {
      return ConfigError(name_, line, "",
                         absl::StrCat("nested or aliased too deeply (more than ", kMaxDepth,
                                      " levels or ", kMaxNodes, " nodes)"));
    }
    Node out;
    out.line = line;
    switch (node->type) {
      case YAML_SCALAR_NODE:
        out.kind = Node::Kind::kScalar;
        out.text.assign(reinterpret_cast<const char*>(node->data.scalar.value),
                        node->data.scalar.length);
        out.plain = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        return out;
      case YAML_SEQUENCE_NODE:
        out.kind = Node::Kind::kSequence;
        for (yaml_node_item_t* item = node->data.sequence.items.start;
             item < node->data.sequence.items.top; ++item) {
          ONCEFLOW_ASSIGN_OR_RETURN(Node child, Child(*item, depth));
          out.items.push_back(std::move(child));
        }
        return out;
      case YAML_MAPPING_NODE:
        out.kind = Node::Kind::kMapping;
        for (yaml_node_pair_t* pair = node->data.mapping.pairs.start;
             pair < node->data.mapping.pairs.top; ++pair) {
          ONCEFLOW_ASSIGN_OR_RETURN(Node key, Child(pair->key, depth));
          ONCEFLOW_ASSIGN_OR_RETURN(Node value, Child(pair->value, depth));
          out.entries.push_back(NodeEntry{std::move(key), std::move(value)});
        }
        return out;
      case YAML_NO_NODE:
        break;
    }
    return ConfigError(name_, line, "", "empty node");
  }

 private:
  absl::StatusOr<Node> Child(int index, int depth) {
    yaml_node_t* child = yaml_document_get_node(&document_, index);
    if (child == nullptr) return absl::InternalError("libyaml: dangling node index");
    return Build(child, depth + 1);
  }

  const std::string& name_;
  yaml_document_t& document_;
  size_t count_ = 0;
};

}  // namespace

absl::StatusOr<Node> ParseYaml(absl::string_view text, const std::string& name,
                               absl::string_view format) {
  auto parser = std::make_unique<YamlParser>();
  if (yaml_parser_initialize(&parser->raw) == 0) {
    return absl::ResourceExhaustedError("libyaml: cannot initialize a parser");
  }
  parser->initialized = true;
  yaml_parser_set_input_string(&parser->raw, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  auto document = std::make_unique<YamlDocument>();
  if (yaml_parser_load(&parser->raw, &document->raw) == 0) {
    return SyntaxError(name, format, parser->raw, text);
  }
  document->loaded = true;
  yaml_node_t* root = yaml_document_get_root_node(&document->raw);
  if (root == nullptr) return ConfigError(name, 0, "", "the file is empty");
  TreeBuilder builder(name, document->raw);
  ONCEFLOW_ASSIGN_OR_RETURN(Node tree, builder.Build(root, 0));

  auto next = std::make_unique<YamlDocument>();
  if (yaml_parser_load(&parser->raw, &next->raw) == 0) {
    return SyntaxError(name, format, parser->raw, text);
  }
  next->loaded = true;
  if (yaml_document_get_root_node(&next->raw) != nullptr) {
    return ConfigError(name, static_cast<int>(next->raw.start_mark.line) + 1, "",
                       "a second document ('---'): a config is one document");
  }
  return tree;
}

}  // namespace onceflow::sidecar::config_internal
