// Which chunk entries no reader can see any more (pure logic, no I/O).
// An entry (index, g) is seen by reader r when g <= r and the next entry of
// the same index (if any) has generation > r.
#pragma once

#include <span>
#include <vector>

#include "blocks/catalog.h"

namespace kura::blocks {

// `entries` sorted by (index, generation); `readers` sorted ascending.
std::vector<ChunkEntry> UnreachableEntries(std::span<const ChunkEntry> entries, std::span<const int64_t> readers);

}  // namespace kura::blocks
