// TranslateToPostgres: the portable SQL of meta/database.h, as PostgreSQL
// reads it. The one place where the two dialects differ in the text itself:
//   - `?` placeholders become $1, $2, ... (not inside '...' literals, "..."
//     identifiers or comments);
//   - the portable column types become PostgreSQL's: INTEGER (64-bit in the
//     portable subset, as in SQLite) -> BIGINT, BLOB -> BYTEA. Only whole
//     words outside literals, identifiers and comments, and not after a '.'
//     (a qualified column name).
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace kura::meta {

struct PostgresSql {
  std::string text;
  int placeholders = 0;            // how many `?` were rewritten
  bool several_statements = false;  // a ';' outside literals is followed by more SQL
};

PostgresSql TranslateToPostgres(std::string_view sql);

}  // namespace kura::meta
