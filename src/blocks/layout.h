// The geometry of a volume, shared by the engine, the chunk stores and the
// on-disk format (docs/formats/block-volume.md).
#pragma once

#include <cstdint>

namespace kura::blocks {

// A volume is a sparse array of chunks (the EBS snapshot block size).
inline constexpr uint64_t kChunkSize = 512 * 1024;
// Encryption sector: the unit of AES-XTS; tweak = logical sector index.
inline constexpr uint64_t kSectorSize = 4096;
inline constexpr uint64_t kSectorsPerChunk = kChunkSize / kSectorSize;

inline constexpr uint64_t kGiB = 1024ull * 1024 * 1024;
// The EBS limits: 1 GiB to 16 TiB, in whole GiB.
inline constexpr uint64_t kMinVolumeSize = kGiB;
inline constexpr uint64_t kMaxVolumeSize = 16 * 1024 * kGiB;

// Engine-level identifiers; the EC2 layer maps vol-/snap- ids onto them.
using VolumeId = int64_t;
using SnapshotId = int64_t;
using CopyJobId = int64_t;
// A chunk object in a ChunkStore. 0 is never an object: it marks a chunk
// that reads as zeros.
using ObjectId = uint64_t;
inline constexpr ObjectId kZeroObject = 0;

}  // namespace kura::blocks
