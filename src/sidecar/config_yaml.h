// YAML (and JSON, which libyaml reads as YAML) text to a tree of nodes that remember their
// lines, detached from libyaml: the first half of loading a YAML or JSON config. The second
// half, mapping the tree onto the config proto, is config_mapper.h. Internal: only the config_*
// files include it.
//
//   ONCEFLOW_ASSIGN_OR_RETURN(Node tree, ParseYaml(text, "pipeline.yaml", "yaml"));
//   if (tree.kind == Node::Kind::kMapping) Use(tree.entries[0].key.line);
//
// Thread-safety: ParseYaml shares nothing between calls; a Node is a plain value.
#ifndef ONCEFLOW_SIDECAR_CONFIG_YAML_H_
#define ONCEFLOW_SIDECAR_CONFIG_YAML_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onceflow::sidecar::config_internal {

struct NodeEntry;

// A YAML node with its position, detached from libyaml's document.
struct Node {
  enum class Kind { kScalar, kSequence, kMapping };
  Kind kind = Kind::kScalar;
  int line = 0;             // 1-based
  std::string text;         // kScalar
  bool plain = false;       // kScalar: unquoted, so "null" and "~" mean nothing
  std::vector<Node> items;  // kSequence
  // kMapping. (Not std::pair<Node, Node>: a pair of an incomplete type is undefined, and
  // clang's libstdc++ checks refuse it; a vector of one is fine.)
  std::vector<NodeEntry> entries;

  bool IsNull() const {
    return kind == Kind::kScalar && plain &&
           (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL");
  }
  absl::string_view KindName() const {
    switch (kind) {
      case Kind::kScalar:
        return "a scalar";
      case Kind::kSequence:
        return "a sequence";
      case Kind::kMapping:
        return "a mapping";
    }
    return "?";
  }
};

// One key: value pair of a mapping.
struct NodeEntry {
  Node key;
  Node value;
};

// Parses exactly one YAML (or JSON) document into a Node tree. `name` stands for the file in
// messages; `format` ("yaml" or "json") names the syntax in them. Errors: kInvalidArgument
// "<name>:<line>:<column>: invalid YAML|JSON: ..." for a syntax error, "<name>:<line>: ..." for
// an empty file, a second document ('---') or a tree nested or aliased beyond 64 levels or
// 100,000 nodes (aliases share nodes, so a small file can describe a huge tree);
// kResourceExhausted if libyaml runs out of memory.
absl::StatusOr<Node> ParseYaml(absl::string_view text, const std::string& name,
                               absl::string_view format);

}  // namespace onceflow::sidecar::config_internal

#endif  // ONCEFLOW_SIDECAR_CONFIG_YAML_H_
