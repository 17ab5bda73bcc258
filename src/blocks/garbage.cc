#include "blocks/garbage.h"

#include <algorithm>
#include <limits>

namespace kura::blocks {

std::vector<ChunkEntry> UnreachableEntries(std::span<const ChunkEntry> entries, std::span<const int64_t> readers) {
  std::vector<ChunkEntry> dead;
  for (size_t i = 0; i < entries.size(); ++i) {
    const ChunkEntry& e = entries[i];
    bool has_next = i + 1 < entries.size() && entries[i + 1].index == e.index;
    int64_t next_generation = has_next ? entries[i + 1].generation : std::numeric_limits<int64_t>::max();
    auto reader = std::lower_bound(readers.begin(), readers.end(), e.generation);
    bool seen = reader != readers.end() && *reader < next_generation;
    if (!seen) dead.push_back(e);
  }
  return dead;
}

}  // namespace kura::blocks
