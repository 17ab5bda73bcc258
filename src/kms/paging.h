// Pagination helpers shared by the List* operations: Limit validation and
// turning "limit + 1" rows into a Page with an opaque NextMarker.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "kms/identifiers.h"
#include "kms/kms_error.h"
#include "kms/types.h"

namespace kura::kms {

// The effective limit: `fallback` when absent; ValidationException outside 1..max.
inline base::Result<int> PageLimit(const PageRequest& page, int fallback, int max) {
  if (!page.limit) return fallback;
  const int v = *page.limit;
  if (v < 1) {
    return ValidationError("1 validation error detected: Value '" + std::to_string(v) +
                           "' at 'limit' failed to satisfy constraint: Member must have value greater than or "
                           "equal to 1");
  }
  if (v > max) {
    return ValidationError("1 validation error detected: Value '" + std::to_string(v) +
                           "' at 'limit' failed to satisfy constraint: Member must have value less than or equal to " +
                           std::to_string(max));
  }
  return v;
}

// The position after which a listing resumes ("" from the start).
inline base::Result<std::string> PageStart(const PageRequest& page, std::string_view kind) {
  if (page.marker.empty()) return std::string();
  return DecodeMarker(kind, page.marker);
}

// `rows` holds up to limit + 1 items in listing order; `position` gives an item's sort key.
template <typename T, typename Position>
Page<T> MakePage(std::vector<T> rows, int limit, std::string_view kind, Position position) {
  Page<T> page;
  if (rows.size() > static_cast<size_t>(limit)) {
    rows.resize(static_cast<size_t>(limit));
    page.truncated = true;
    page.next_marker = EncodeMarker(kind, position(rows.back()));
  }
  page.items = std::move(rows);
  return page;
}

}  // namespace kura::kms
