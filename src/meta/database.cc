#include "meta/database.h"

#include <cassert>

namespace kura::meta {

int64_t Row::Int(size_t i) const {
  const Value& v = values_.at(i);
  if (std::holds_alternative<Null>(v)) return 0;
  const int64_t* p = std::get_if<int64_t>(&v);
  assert(p != nullptr && "Row::Int on a non-integer column");
  return p != nullptr ? *p : 0;
}

const std::string& Row::Text(size_t i) const {
  static const std::string kEmpty;
  const Value& v = values_.at(i);
  if (std::holds_alternative<Null>(v)) return kEmpty;
  const std::string* p = std::get_if<std::string>(&v);
  assert(p != nullptr && "Row::Text on a non-text column");
  return p != nullptr ? *p : kEmpty;
}

const Blob& Row::BlobAt(size_t i) const {
  static const Blob kEmpty;
  const Value& v = values_.at(i);
  if (std::holds_alternative<Null>(v)) return kEmpty;
  const Blob* p = std::get_if<Blob>(&v);
  assert(p != nullptr && "Row::BlobAt on a non-blob column");
  return p != nullptr ? *p : kEmpty;
}

std::string SqlExcerpt(std::string_view sql) {
  constexpr size_t kSqlExcerptChars = 80;
  if (sql.size() <= kSqlExcerptChars) return std::string(sql);
  return std::string(sql.substr(0, kSqlExcerptChars)) + "...";
}

base::Status Database::Exec(std::string_view sql, const Params& params) {
  KURA_ASSIGN_OR_RETURN(auto tx, Begin());
  KURA_RETURN_IF_ERROR(tx->Exec(sql, params));
  return tx->Commit();
}

base::Result<Rows> Database::Query(std::string_view sql, const Params& params) {
  KURA_ASSIGN_OR_RETURN(auto tx, Begin());
  KURA_ASSIGN_OR_RETURN(Rows rows, tx->Query(sql, params));
  KURA_RETURN_IF_ERROR(tx->Commit());
  return rows;
}

}  // namespace kura::meta
