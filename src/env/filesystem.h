// Filesystem: the narrow file API the storage layers use, so that tests can
// swap in a fault-injecting implementation (full disk, failing fsync) without
// touching the code under test.
// Thread-safety: a Filesystem is safe from any thread; a RandomAccessFile
// supports concurrent ReadAt/WriteAt at different offsets (pread/pwrite).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace kura::env {

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to out.size() bytes at `offset`; returns how many were read
  // (fewer only at end of file). Retries EINTR and short reads.
  virtual base::Result<size_t> ReadAt(uint64_t offset, std::span<uint8_t> out) = 0;
  // Writes all of `data` at `offset` (retries short writes).
  virtual base::Status WriteAt(uint64_t offset, std::span<const uint8_t> data) = 0;
  // fdatasync: the data written so far survives power loss.
  virtual base::Status Sync() = 0;
  virtual base::Result<uint64_t> Size() = 0;
  virtual base::Status Truncate(uint64_t size) = 0;
  // Hints that [offset, offset+length) may be released (punches a hole; the
  // range then reads as zeros). Falls back to writing zeros where unsupported.
  virtual base::Status PunchHole(uint64_t offset, uint64_t length) = 0;
};

enum class OpenMode {
  kReadWrite,        // must exist
  kReadWriteCreate,  // created when absent
  kCreateExclusive,  // must not exist
  kReadOnly,
};

class Filesystem {
 public:
  virtual ~Filesystem() = default;
  virtual base::Result<std::unique_ptr<RandomAccessFile>> Open(const std::string& path, OpenMode mode,
                                                              uint32_t create_permissions = 0600) = 0;
  virtual base::Status Remove(const std::string& path) = 0;  // NotFound when absent
  virtual base::Status CreateDirs(const std::string& path, uint32_t permissions = 0700) = 0;
  // fsync of a directory: makes creations and removals in it durable.
  virtual base::Status SyncDir(const std::string& path) = 0;
  virtual base::Result<bool> Exists(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory, without "." and "..".
  virtual base::Result<std::vector<std::string>> ListDir(const std::string& path) = 0;
  // Replaces `path` with `data` durably: write to a temp file, fsync, rename, fsync dir.
  virtual base::Status WriteFileAtomic(const std::string& path, std::span<const uint8_t> data,
                                       uint32_t permissions = 0600) = 0;
  virtual base::Result<std::vector<uint8_t>> ReadFile(const std::string& path) = 0;
};

// The real filesystem (POSIX calls). A process-wide instance.
std::shared_ptr<Filesystem> PosixFilesystem();

}  // namespace kura::env
