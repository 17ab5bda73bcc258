#include "meta/postgres/sql_translation.h"

#include <array>
#include <cctype>
#include <utility>

namespace kura::meta {
namespace {

// The portable column types and their PostgreSQL spelling (see the header).
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kTypes = {{
    {"INTEGER", "BIGINT"},
    {"BLOB", "BYTEA"},
}};

bool IsWordStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

// The end of a quoted run starting at `begin` (a ' or "), past its closing
// quote; a doubled quote is an escaped one. Unterminated: the end of `sql`.
size_t QuotedEnd(std::string_view sql, size_t begin) {
  const char quote = sql[begin];
  size_t i = begin + 1;
  while (i < sql.size()) {
    if (sql[i] == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return sql.size();
}

size_t CommentEnd(std::string_view sql, size_t begin) {
  if (sql[begin] == '-') {
    size_t newline = sql.find('\n', begin);
    return newline == std::string_view::npos ? sql.size() : newline + 1;
  }
  size_t close = sql.find("*/", begin + 2);
  return close == std::string_view::npos ? sql.size() : close + 2;
}

}  // namespace

PostgresSql TranslateToPostgres(std::string_view sql) {
  PostgresSql out;
  out.text.reserve(sql.size() + 16);
  bool after_semicolon = false;  // a ';' was seen and no SQL since
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    const bool comment = (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') ||
                         (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*');
    if (comment) {
      size_t end = CommentEnd(sql, i);
      out.text.append(sql.substr(i, end - i));
      i = end;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      out.text.push_back(c);
      ++i;
      continue;
    }
    if (c == ';') {
      after_semicolon = true;
      out.text.push_back(c);
      ++i;
      continue;
    }
    if (after_semicolon) out.several_statements = true;
    if (c == '\'' || c == '"') {
      size_t end = QuotedEnd(sql, i);
      out.text.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '?') {
      out.text += "$" + std::to_string(++out.placeholders);
      ++i;
    } else if (IsWordStart(c)) {
      size_t end = i + 1;
      while (end < sql.size() && IsWordChar(sql[end])) ++end;
      std::string_view word = sql.substr(i, end - i);
      std::string_view replacement = word;
      const bool qualified = i > 0 && sql[i - 1] == '.';
      for (const auto& [portable, native] : kTypes) {
        if (!qualified && EqualsIgnoreCase(word, portable)) replacement = native;
      }
      out.text.append(replacement);
      i = end;
    } else {
      out.text.push_back(c);
      ++i;
    }
  }
  return out;
}

}  // namespace kura::meta
