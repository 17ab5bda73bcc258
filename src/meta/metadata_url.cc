#include "meta/metadata_url.h"

#include "meta/postgres/postgres_database.h"
#include "meta/sqlite/sqlite_database.h"

namespace kura::meta {
namespace {

constexpr std::string_view kSqliteScheme = "sqlite://";
constexpr std::string_view kRedacted = "***";

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Replaces the value of every `password=` parameter (a URL query or a
// conninfo keyword) up to the next '&', space or end.
std::string RedactPasswordParameters(std::string text) {
  constexpr std::string_view kKey = "password=";
  size_t pos = 0;
  while ((pos = text.find(kKey, pos)) != std::string::npos) {
    const bool at_start = pos == 0 || text[pos - 1] == '?' || text[pos - 1] == '&' || text[pos - 1] == ' ';
    pos += kKey.size();
    if (!at_start) continue;
    size_t end = text.find_first_of("& ", pos);
    if (end == std::string::npos) end = text.size();
    text.replace(pos, end - pos, kRedacted);
    pos += kRedacted.size();
  }
  return text;
}

}  // namespace

base::Result<MetadataUrl> ParseMetadataUrl(std::string_view url) {
  MetadataUrl out;
  if (StartsWith(url, kSqliteScheme)) {
    out.kind = MetadataUrl::Kind::kSqlite;
    out.sqlite_path = std::string(url.substr(kSqliteScheme.size()));
    if (out.sqlite_path.empty() || out.sqlite_path.front() != '/') {
      return base::InvalidArgumentError("metadata URL " + RedactUrl(url) +
                                        ": a SQLite URL names an absolute path, sqlite:///PATH");
    }
    return out;
  }
  if (StartsWith(url, "postgresql://") || StartsWith(url, "postgres://")) {
    out.kind = MetadataUrl::Kind::kPostgres;
    out.postgres_url = std::string(url);
    return out;
  }
  return base::InvalidArgumentError("metadata URL " + RedactUrl(url) +
                                    ": expected sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE");
}

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t authority = scheme + 3;
    const size_t end = out.find_first_of("/?#", authority);
    const size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at > authority) {
      const size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, kRedacted);
    }
  }
  return RedactPasswordParameters(std::move(out));
}

base::Result<std::unique_ptr<Database>> OpenMetadataDatabase(std::string_view url, const MetadataOptions& options) {
  KURA_ASSIGN_OR_RETURN(MetadataUrl parsed, ParseMetadataUrl(url));
  if (parsed.kind == MetadataUrl::Kind::kSqlite) return OpenSqliteDatabase(parsed.sqlite_path);
  PostgresOptions postgres;
  postgres.pool_size = options.postgres_pool_size;
  return OpenPostgresDatabase(parsed.postgres_url, postgres);
}

}  // namespace kura::meta
