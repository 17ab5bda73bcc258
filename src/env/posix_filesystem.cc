#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "env/filesystem.h"

namespace kura::env {
namespace {

constexpr size_t kZeroChunk = 64 * 1024;

base::Status Errno(std::string_view op, const std::string& path) {
  int err = errno;
  std::string context(op);
  context += ' ';
  context += path;
  return base::ErrnoToStatus(err, context);
}

int OpenRetry(const char* path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path, flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Closes without retrying EINTR: on Linux the descriptor is released even then.
void CloseFd(int fd) { ::close(fd); }

base::Result<size_t> PreadFull(int fd, const std::string& path, uint64_t offset, std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("pread", path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

base::Status PwriteFull(int fd, const std::string& path, uint64_t offset, std::span<const uint8_t> data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("pwrite", path);
    }
    done += static_cast<size_t>(n);
  }
  return base::Status::Ok();
}

base::Status FsyncFd(int fd, const std::string& path) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return Errno("fsync", path);
  }
  return base::Status::Ok();
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

class PosixFile : public RandomAccessFile {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { CloseFd(fd_); }
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;

  base::Result<size_t> ReadAt(uint64_t offset, std::span<uint8_t> out) override {
    return PreadFull(fd_, path_, offset, out);
  }

  base::Status WriteAt(uint64_t offset, std::span<const uint8_t> data) override {
    return PwriteFull(fd_, path_, offset, data);
  }

  base::Status Sync() override {
    while (::fdatasync(fd_) != 0) {
      if (errno != EINTR) return Errno("fdatasync", path_);
    }
    return base::Status::Ok();
  }

  base::Result<uint64_t> Size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return Errno("fstat", path_);
    return static_cast<uint64_t>(st.st_size);
  }

  base::Status Truncate(uint64_t size) override {
    while (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      if (errno != EINTR) return Errno("ftruncate", path_);
    }
    return base::Status::Ok();
  }

  base::Status PunchHole(uint64_t offset, uint64_t length) override {
    if (length == 0) return base::Status::Ok();
    int rc;
    do {
      rc = ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                       static_cast<off_t>(length));
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) return base::Status::Ok();
    if (errno != EOPNOTSUPP && errno != ENOSYS) return Errno("fallocate", path_);
    return WriteZeros(offset, length);
  }

 private:
  // The fallback keeps the file size, as FALLOC_FL_KEEP_SIZE does.
  base::Status WriteZeros(uint64_t offset, uint64_t length) {
    KURA_ASSIGN_OR_RETURN(uint64_t size, Size());
    if (offset >= size) return base::Status::Ok();
    uint64_t end = std::min(size, offset + length);
    std::vector<uint8_t> zeros(static_cast<size_t>(std::min<uint64_t>(kZeroChunk, end - offset)), 0);
    for (uint64_t pos = offset; pos < end;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(zeros.size(), end - pos));
      KURA_RETURN_IF_ERROR(PwriteFull(fd_, path_, pos, std::span<const uint8_t>(zeros.data(), n)));
      pos += n;
    }
    return base::Status::Ok();
  }

  int fd_;
  std::string path_;
};

class PosixFilesystemImpl : public Filesystem {
 public:
  base::Result<std::unique_ptr<RandomAccessFile>> Open(const std::string& path, OpenMode mode,
                                                      uint32_t create_permissions) override {
    int flags = 0;
    switch (mode) {
      case OpenMode::kReadWrite: flags = O_RDWR; break;
      case OpenMode::kReadWriteCreate: flags = O_RDWR | O_CREAT; break;
      case OpenMode::kCreateExclusive: flags = O_RDWR | O_CREAT | O_EXCL; break;
      case OpenMode::kReadOnly: flags = O_RDONLY; break;
    }
    int fd = OpenRetry(path.c_str(), flags, static_cast<mode_t>(create_permissions));
    if (fd < 0) return Errno("open", path);
    return std::unique_ptr<RandomAccessFile>(std::make_unique<PosixFile>(fd, path));
  }

  base::Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) == 0) return base::Status::Ok();
    if (errno == EISDIR) {
      if (::rmdir(path.c_str()) == 0) return base::Status::Ok();
      return Errno("rmdir", path);
    }
    return Errno("unlink", path);
  }

  base::Status CreateDirs(const std::string& path, uint32_t permissions) override {
    if (path.empty()) return base::InvalidArgumentError("mkdir: empty path");
    for (size_t pos = 1; pos <= path.size(); ++pos) {
      if (pos != path.size() && path[pos] != '/') continue;
      std::string prefix = path.substr(0, pos);
      if (prefix.back() == '/') continue;  // "a//b"
      if (::mkdir(prefix.c_str(), static_cast<mode_t>(permissions)) == 0) continue;
      if (errno != EEXIST) return Errno("mkdir", prefix);
      struct stat st;
      if (::stat(prefix.c_str(), &st) != 0) return Errno("stat", prefix);
      if (!S_ISDIR(st.st_mode)) return base::ErrnoToStatus(ENOTDIR, "mkdir " + prefix);
    }
    return base::Status::Ok();
  }

  base::Status SyncDir(const std::string& path) override {
    int fd = OpenRetry(path.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return Errno("open", path);
    base::Status status = FsyncFd(fd, path);
    CloseFd(fd);
    return status;
  }

  base::Result<bool> Exists(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return Errno("stat", path);
  }

  base::Result<std::vector<std::string>> ListDir(const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return Errno("opendir", path);
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      struct dirent* entry = ::readdir(dir);
      if (entry == nullptr) {
        if (errno != 0) {
          base::Status status = Errno("readdir", path);
          ::closedir(dir);
          return status;
        }
        break;
      }
      std::string_view name(entry->d_name);
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
  }

  base::Status WriteFileAtomic(const std::string& path, std::span<const uint8_t> data,
                               uint32_t permissions) override {
    uint8_t random[8];
    if (::getrandom(random, sizeof(random), 0) != static_cast<ssize_t>(sizeof(random))) {
      return Errno("getrandom for temp file of", path);
    }
    std::string tmp = path + ".tmp." + base::HexEncode(random);
    int fd = OpenRetry(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, static_cast<mode_t>(permissions));
    if (fd < 0) return Errno("open", tmp);
    base::Status status = WriteAndSync(fd, tmp, data, permissions);
    CloseFd(fd);
    if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      status = base::ErrnoToStatus(err, "rename " + tmp + " to " + path);
    }
    if (!status.ok()) {
      ::unlink(tmp.c_str());
      return status;
    }
    return SyncDir(ParentDir(path));
  }

  base::Result<std::vector<uint8_t>> ReadFile(const std::string& path) override {
    int fd = OpenRetry(path.c_str(), O_RDONLY);
    if (fd < 0) return Errno("open", path);
    std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* p) { CloseFd(*p); });
    struct stat st;
    if (::fstat(fd, &st) != 0) return Errno("fstat", path);
    // Read to end of file rather than trusting st_size, which may change under us.
    std::vector<uint8_t> out(static_cast<size_t>(st.st_size) + 1);
    size_t total = 0;
    for (;;) {
      if (total == out.size()) out.resize(out.size() * 2);
      KURA_ASSIGN_OR_RETURN(size_t n, PreadFull(fd, path, total, std::span<uint8_t>(out).subspan(total)));
      total += n;
      if (total < out.size()) break;
    }
    out.resize(total);
    return out;
  }

 private:
  static base::Status WriteAndSync(int fd, const std::string& path, std::span<const uint8_t> data,
                                   uint32_t permissions) {
    // The umask may have narrowed the mode given to open(); the caller asked for exactly this one.
    if (::fchmod(fd, static_cast<mode_t>(permissions)) != 0) return Errno("fchmod", path);
    KURA_RETURN_IF_ERROR(PwriteFull(fd, path, 0, data));
    return FsyncFd(fd, path);
  }
};

}  // namespace

std::shared_ptr<Filesystem> PosixFilesystem() {
  static const std::shared_ptr<Filesystem> kInstance = std::make_shared<PosixFilesystemImpl>();
  return kInstance;
}

}  // namespace kura::env
