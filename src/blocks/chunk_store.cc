#include "blocks/chunk_store.h"

#include "blocks/sector_runs.h"

namespace kura::blocks {

base::Status WriteSkippingHoles(ChunkStore& store, ObjectId id, uint64_t offset, base::ByteSpan data) {
  return ForEachDataRun(data, [&](size_t at, size_t length) {
    return store.Write(id, offset + at, data.subspan(at, length));
  });
}

}  // namespace kura::blocks
