// FaultInjectingFilesystem wraps another Filesystem and makes chosen
// operations fail as a real disk would: writes fail with ENOSPC once a byte
// budget is spent, Sync fails with EIO when asked. Used by tests of every
// storage layer to prove that failures come back as clear Statuses and that
// nothing already flushed is lost.
// Thread-safety: safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "env/filesystem.h"

namespace kura::env {

class FaultInjectingFilesystem : public Filesystem {
 public:
  explicit FaultInjectingFilesystem(std::shared_ptr<Filesystem> base);

  // After `bytes` more bytes are written (WriteAt, WriteFileAtomic), writes
  // fail with ResourceExhausted (ENOSPC). Negative: no limit (the default).
  void SetWriteBudget(int64_t bytes);
  // While true, Sync and SyncDir fail with DataLoss (EIO).
  void SetFailSync(bool fail);
  // While true, Open with a create mode fails with ResourceExhausted.
  void SetFailCreate(bool fail);

  base::Result<std::unique_ptr<RandomAccessFile>> Open(const std::string& path, OpenMode mode,
                                                      uint32_t create_permissions) override;
  base::Status Remove(const std::string& path) override;
  base::Status CreateDirs(const std::string& path, uint32_t permissions) override;
  base::Status SyncDir(const std::string& path) override;
  base::Result<bool> Exists(const std::string& path) override;
  base::Result<std::vector<std::string>> ListDir(const std::string& path) override;
  base::Status WriteFileAtomic(const std::string& path, std::span<const uint8_t> data,
                               uint32_t permissions) override;
  base::Result<std::vector<uint8_t>> ReadFile(const std::string& path) override;

  // Used by the wrapped files.
  base::Status ChargeWrite(size_t bytes);
  bool fail_sync() const { return fail_sync_.load(); }

 private:
  std::shared_ptr<Filesystem> base_;
  std::atomic<int64_t> write_budget_{-1};
  std::atomic<bool> fail_sync_{false};
  std::atomic<bool> fail_create_{false};
};

}  // namespace kura::env
