#include "meta/metadata_url.h"

#include <utility>
#include <vector>

#include "meta/postgres/postgres_database.h"
#include "meta/sqlite/sqlite_database.h"

namespace kura::meta {
namespace {

constexpr std::string_view kSqliteScheme = "sqlite://";
constexpr std::string_view kRedacted = "***";

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Where the passwords of `url` are: [begin, end) of the user-info password
// (scheme://user:PASSWORD@host) and of every `password=` value (a URL query
// parameter or a conninfo keyword, up to the next '&', space or end), in order.
std::vector<std::pair<size_t, size_t>> PasswordSpans(std::string_view url) {
  std::vector<std::pair<size_t, size_t>> spans;
  const size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    const size_t authority = scheme + 3;
    const size_t end = url.find_first_of("/?#", authority);
    const size_t at = url.rfind('@', end == std::string_view::npos ? url.size() : end);
    if (at != std::string_view::npos && at > authority) {
      const size_t colon = url.find(':', authority);
      if (colon != std::string_view::npos && colon < at) spans.emplace_back(colon + 1, at);
    }
  }
  constexpr std::string_view kKey = "password=";
  for (size_t pos = url.find(kKey); pos != std::string_view::npos; pos = url.find(kKey, pos)) {
    const bool at_start = pos == 0 || url[pos - 1] == '?' || url[pos - 1] == '&' || url[pos - 1] == ' ';
    pos += kKey.size();
    if (!at_start) continue;
    size_t end = url.find_first_of("& ", pos);
    if (end == std::string_view::npos) end = url.size();
    spans.emplace_back(pos, end);
  }
  return spans;
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
  auto spans = PasswordSpans(url);
  // From the back, so the earlier offsets stay valid.
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) out.replace(it->first, it->second - it->first, kRedacted);
  return out;
}

std::string RedactPasswordsIn(std::string_view text, std::string_view url) {
  std::string out(text);
  for (const auto& [begin, end] : PasswordSpans(url)) {
    const std::string_view password = url.substr(begin, end - begin);
    if (password.empty()) continue;
    for (size_t pos = out.find(password); pos != std::string::npos; pos = out.find(password, pos + kRedacted.size())) {
      out.replace(pos, password.size(), kRedacted);
    }
    // libpq quotes the part of a URL it could not parse: that may be a piece of the password.
    for (size_t open = out.find('"'); open != std::string::npos;) {
      const size_t close = out.find('"', open + 1);
      if (close == std::string::npos) break;
      const std::string_view quoted = std::string_view(out).substr(open + 1, close - open - 1);
      if (!quoted.empty() && password.find(quoted) != std::string_view::npos) {
        out.replace(open + 1, quoted.size(), kRedacted);
        open += kRedacted.size() + 2;
      } else {
        open = close + 1;
      }
      open = out.find('"', open);
    }
  }
  return out;
}

base::Result<std::unique_ptr<Database>> OpenMetadataDatabase(std::string_view url, const MetadataOptions& options) {
  KURA_ASSIGN_OR_RETURN(MetadataUrl parsed, ParseMetadataUrl(url));
  if (parsed.kind == MetadataUrl::Kind::kSqlite) return OpenSqliteDatabase(parsed.sqlite_path);
  PostgresOptions postgres;
  postgres.pool_size = options.postgres_pool_size;
  return OpenPostgresDatabase(parsed.postgres_url, postgres);
}

}  // namespace kura::meta
