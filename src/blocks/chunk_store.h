// ChunkStore: where chunk objects live. Every object is kChunkSize bytes and
// named by an ObjectId that is never reused. The operations are those an
// object store offers (RADOS: create, write at offset, read at offset, remove,
// list; no rename), so a RADOS or S3-style implementation can sit behind the
// same interface. Objects hold ciphertext for encrypted volumes: the store
// never sees a key.
// Thread-safety: all methods are safe from any thread; concurrent writes to
// the same byte range of one object are the caller's to serialize.
#pragma once

#include <functional>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/status.h"
#include "blocks/layout.h"

namespace kura::blocks {

class ChunkStore {
 public:
  virtual ~ChunkStore() = default;

  // Creates an object that reads as kChunkSize zero bytes; AlreadyExists if present.
  virtual base::Status Create(ObjectId id) = 0;
  // Writes at `offset` (offset + size <= kChunkSize) into an existing object.
  virtual base::Status Write(ObjectId id, uint64_t offset, base::ByteSpan data) = 0;
  // Makes [offset, offset+length) read as zeros again and release its space.
  virtual base::Status Zero(ObjectId id, uint64_t offset, uint64_t length) = 0;
  // Reads at `offset`; DataLoss when the object is missing or corrupt.
  virtual base::Status Read(ObjectId id, uint64_t offset, base::MutableByteSpan out) = 0;
  // Makes the data written to these objects, and their existence, durable.
  virtual base::Status Sync(std::span<const ObjectId> ids) = 0;
  // Removes an object; removing a missing object is OK (idempotent GC).
  virtual base::Status Remove(ObjectId id) = 0;
  // Calls `fn` for every object present.
  virtual base::Status ForEach(const std::function<void(ObjectId)>& fn) = 0;
  // The object's name as the store shows it ("chunk-000000000000002a").
  virtual std::string NameOf(ObjectId id) const = 0;
};

// Writes the sectors of `data` (at sector-aligned `offset`) that are not all
// zero, one call per run, so that zero sectors stay holes in the object.
base::Status WriteSkippingHoles(ChunkStore& store, ObjectId id, uint64_t offset, base::ByteSpan data);

}  // namespace kura::blocks
