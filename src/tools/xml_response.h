// XmlResponse: a successful Query/EC2 answer, parsed (pugixml), with typed
// reads of its elements for the API helpers. `result` is the element holding
// the operation's output: <XResult> inside <XResponse> for the Query protocol,
// the root element itself for EC2.
// Thread-safety: immutable once built; the document is shared, not copied.
#pragma once

#include <pugixml.hpp>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

namespace kura::tools {

struct XmlResponse {
  std::shared_ptr<pugi::xml_document> doc;
  pugi::xml_node result;
  std::string request_id;
};

// The text of `node`'s child `name`, "" when absent.
inline std::string ChildText(const pugi::xml_node& node, const char* name) { return node.child_value(name); }
// "true"/"false" children; nullopt when absent.
inline std::optional<bool> ChildBool(const pugi::xml_node& node, const char* name) {
  pugi::xml_node child = node.child(name);
  if (!child) return std::nullopt;
  return std::string_view(child.child_value()) == "true";
}
// Integer children; nullopt when absent or empty.
inline std::optional<int64_t> ChildInt(const pugi::xml_node& node, const char* name) {
  const char* text = node.child_value(name);
  if (*text == '\0') return std::nullopt;
  return std::strtoll(text, nullptr, 10);
}

}  // namespace kura::tools
