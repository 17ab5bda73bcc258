#include "api/document_reader.h"

#include <climits>
#include <utility>

namespace kura::api {

using nlohmann::json;

DocumentReader::DocumentReader(const json& doc, WrongType wrong_type)
    : doc_(doc), wrong_type_(std::move(wrong_type)) {}

const json* DocumentReader::Find(std::string_view member) const {
  if (!doc_.is_object()) return nullptr;
  auto it = doc_.find(member);
  if (it == doc_.end() || it->is_null()) return nullptr;
  return &*it;
}

base::Result<std::optional<std::string>> DocumentReader::OptString(std::string_view member) const {
  const json* v = Find(member);
  if (!v) return std::optional<std::string>();
  if (!v->is_string()) return wrong_type_(member, "a string");
  return std::optional<std::string>(v->get<std::string>());
}

base::Result<std::string> DocumentReader::String(std::string_view member) const {
  KURA_ASSIGN_OR_RETURN(auto v, OptString(member));
  return v.value_or("");
}

base::Result<std::optional<int64_t>> DocumentReader::OptInt(std::string_view member) const {
  const json* v = Find(member);
  if (!v) return std::optional<int64_t>();
  if (!v->is_number_integer()) return wrong_type_(member, "an integer");
  return std::optional<int64_t>(v->get<int64_t>());
}

base::Result<std::optional<int>> DocumentReader::OptInt32(std::string_view member) const {
  KURA_ASSIGN_OR_RETURN(auto v, OptInt(member));
  if (!v) return std::optional<int>();
  if (*v < INT_MIN || *v > INT_MAX) return wrong_type_(member, "a 32-bit integer");
  return std::optional<int>(static_cast<int>(*v));
}

base::Result<std::optional<bool>> DocumentReader::OptBool(std::string_view member) const {
  const json* v = Find(member);
  if (!v) return std::optional<bool>();
  if (!v->is_boolean()) return wrong_type_(member, "a boolean");
  return std::optional<bool>(v->get<bool>());
}

base::Result<bool> DocumentReader::Bool(std::string_view member) const {
  KURA_ASSIGN_OR_RETURN(auto v, OptBool(member));
  return v.value_or(false);
}

base::Result<std::vector<std::string>> DocumentReader::Strings(std::string_view member) const {
  const json* v = Find(member);
  if (!v) return std::vector<std::string>{};
  if (!v->is_array()) return wrong_type_(member, "a list");
  std::vector<std::string> out;
  out.reserve(v->size());
  for (const auto& item : *v) {
    if (!item.is_string()) return wrong_type_(member, "a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

base::Result<std::vector<DocumentReader>> DocumentReader::Structures(std::string_view member) const {
  const json* v = Find(member);
  if (!v) return std::vector<DocumentReader>{};
  if (!v->is_array()) return wrong_type_(member, "a list");
  std::vector<DocumentReader> out;
  out.reserve(v->size());
  for (const auto& item : *v) {
    if (!item.is_object()) return wrong_type_(member, "a list of structures");
    out.push_back(Nested(item));
  }
  return out;
}

base::Result<std::optional<DocumentReader>> DocumentReader::Structure(std::string_view member) const {
  const json* v = Find(member);
  if (!v) return std::optional<DocumentReader>();
  if (!v->is_object()) return wrong_type_(member, "a structure");
  return std::optional<DocumentReader>(Nested(*v));
}

}  // namespace kura::api
