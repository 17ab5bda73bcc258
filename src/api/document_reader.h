// DocumentReader: typed reads of a decoded request document (codec.h
// conventions: members by model name, lists as arrays, structures as
// objects). The codec has already checked every member against the model, so
// a wrong type here means a caller built the document by hand; it is still
// refused, with the service's own error produced by `wrong_type`.
// Absent and null members read as "not given". Shared by the providers whose
// input helpers are the same (ec2_provider.cc, elb_provider.cc).
// Thread-safety: a reader is a view of a document; use it on one thread.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kura::api {

class DocumentReader {
 public:
  // The error for `member` not being `expected` ("a string", "a list", ...).
  using WrongType = std::function<base::Status(std::string_view member, std::string_view expected)>;

  DocumentReader(const nlohmann::json& doc, WrongType wrong_type);

  // A reader of a nested structure with the same error function.
  DocumentReader Nested(const nlohmann::json& doc) const { return DocumentReader(doc, wrong_type_); }
  const nlohmann::json& doc() const { return doc_; }

  // nullptr when absent or null.
  const nlohmann::json* Find(std::string_view member) const;
  bool Has(std::string_view member) const { return Find(member) != nullptr; }

  base::Result<std::optional<std::string>> OptString(std::string_view member) const;
  // "" when absent.
  base::Result<std::string> String(std::string_view member) const;
  base::Result<std::optional<int64_t>> OptInt(std::string_view member) const;
  base::Result<std::optional<int>> OptInt32(std::string_view member) const;
  base::Result<std::optional<bool>> OptBool(std::string_view member) const;
  // false when absent.
  base::Result<bool> Bool(std::string_view member) const;
  // Empty when absent.
  base::Result<std::vector<std::string>> Strings(std::string_view member) const;
  // The structures of a list member (empty when absent), each as a reader.
  base::Result<std::vector<DocumentReader>> Structures(std::string_view member) const;
  // A structure member; nullopt when absent.
  base::Result<std::optional<DocumentReader>> Structure(std::string_view member) const;

 private:
  const nlohmann::json& doc_;
  WrongType wrong_type_;
};

}  // namespace kura::api
