// Metadata URLs: where kura keeps its tables.
//   sqlite:///ABSOLUTE/PATH                   the embedded store, one file
//   postgresql://USER:PASSWORD@HOST:PORT/DB?…  (or postgres://) a PostgreSQL
//                                              database; libpq parses the rest
// RedactUrl hides the password of a URL (user-info or a password=
// parameter) for messages and logs: a URL is never shown unredacted;
// RedactPasswordsIn does the same for a message that may quote the URL.
// Thread-safety: functions only.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "meta/database.h"

namespace kura::meta {

struct MetadataUrl {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  std::string sqlite_path;   // kSqlite
  std::string postgres_url;  // kPostgres: the URL as given
};

// InvalidArgument for any other scheme or an empty path.
base::Result<MetadataUrl> ParseMetadataUrl(std::string_view url);

std::string RedactUrl(std::string_view url);
// `text` (a library's message about `url`) without `url`'s passwords, or any
// quoted piece of one.
std::string RedactPasswordsIn(std::string_view text, std::string_view url);

struct MetadataOptions {
  size_t postgres_pool_size = 4;  // connections per process
};

// Opens the store a URL names; errors name the (redacted) URL and what to fix.
base::Result<std::unique_ptr<Database>> OpenMetadataDatabase(std::string_view url, const MetadataOptions& options = {});

}  // namespace kura::meta
