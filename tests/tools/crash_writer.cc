// crash_writer: the writer and verifier of the block engine's crash test
// (tests/e2e/test_crash.py kills `run` with SIGKILL at random moments and
// then requires `verify` to pass).
//
//   crash_writer run    --data-dir DIR --seed N
//   crash_writer verify --data-dir DIR
//
// Design
// ------
// The op stream. Op k (k = 0, 1, 2, ...) is a pure function of (seed, k):
// MakeOp draws its kind and range from a PRNG seeded with (seed, k) alone, so
// any process can produce op k without replaying the ops before it. Kinds:
//   Write(offset, length)       1 B .. 300 KiB, often across a chunk boundary
//   WriteZeroes(offset, length) sometimes whole chunks
//   Flush                       every 6th op (k % 6 == 5)
//   Snapshot                    instead of ~1 flush in 20 (it flushes too)
// All ranges lie in the first 64 MiB of the 1 GiB volume, so chunks are
// rewritten often (and copied on write after snapshots). The byte a Write
// puts at volume offset p is ValueAt(tag, p), a hash of the op's tag and of
// p: it differs between ops and between positions, so misplaced, stale,
// torn or mis-decrypted data is caught.
//
// The journal DIR/journal is a text file, one record per line, each appended
// with a single write() and fsynced, and written only AFTER what it states
// is durable:
//   volume V seed N      the volume under test (created once) and the seed
//   flushed K            Flush (op K-1) returned: ops 0..K-1 are durable
//   snapshot S K         CreateSnapshot (op K-1) returned snapshot S: it holds
//                        exactly the effect of ops 0..K-1 (and they are durable)
//   deleting S           about to delete snapshot S (may or may not exist)
//   deleted S            snapshot S is gone
// A line without its '\n' (torn by the kill) is ignored, and `run` cuts it off.
// The data key (64 random bytes) is DIR/key, created once.
//
// `run` reads the journal, opens the engine (which sweeps the objects of
// unflushed writes), and continues the op stream at F = the last K journaled
// (0 at first). After every Snapshot it keeps the newest 3 journaled snapshots
// and deletes older ones (finishing an interrupted deletion on start).
//
// What a kill can leave. Every process executes the same stream in order and
// journals each flush point right after passing it, so a killed process has
// executed at most the ops from F up to the next Flush/Snapshot op in the
// stream; call those Write/WriteZeroes ops the "unflushed ops" U. Any earlier
// unflushed op of an earlier process has an index below F, and was executed
// again (same op, same bytes) and flushed by the process that journaled its
// flush point. So for each byte, the volume may hold either its value after
// ops 0..F-1 or the value some op of U puts there (sector writes are atomic
// per 4 KiB page under SIGKILL, and the engine may or may not have kept each
// unflushed write). Snapshots are taken after all ops before them were
// executed and flushed by the taking process, so each holds exactly the
// state after ops 0..K-1.
//
// `verify` rebuilds that state in memory (the first 64 MiB) by applying ops
// 0..F-1. When the replay reaches K of a journaled snapshot that is not being
// deleted, it creates a volume from the snapshot, compares it with the model
// exactly, and deletes that volume. At the end it compares the volume,
// accepting per byte the model's value or a value from U. Everything beyond
// 64 MiB must read as zeros (verify reads the chunk after the first 64 MiB
// and the last chunk of the volume, not all of it, to stay fast). It exits 0
// only if all match, else prints the differing ranges and exits 1.
//
// Every `run` on one DIR must be given the same --seed (the journal records
// it and `run` refuses another).
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "base/status.h"
#include "blocks/engine.h"
#include "blocks/layout.h"
#include "blocks/local/local_chunk_store.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"
#include "env/filesystem.h"
#include "meta/sqlite/sqlite_database.h"

namespace {

static_assert(std::endian::native == std::endian::little, "ValueAt/Fill assume a little-endian host");

using kura::base::Result;
using kura::base::Status;
namespace blocks = kura::blocks;

constexpr uint64_t kVolumeSize = blocks::kGiB;
constexpr uint64_t kModelSize = 64ull << 20;  // every op lies in [0, kModelSize)
constexpr uint64_t kChunk = blocks::kChunkSize;
constexpr uint64_t kSector = blocks::kSectorSize;
constexpr uint64_t kMaxWrite = 300 * 1024;
constexpr size_t kKeepSnapshots = 3;
constexpr uint64_t kFlushEvery = 6;

// ---- the deterministic op stream -------------------------------------------

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

struct Rng {
  uint64_t state;
  uint64_t Next() { return Mix(state += 0x9e3779b97f4a7c15ull); }
  uint64_t Below(uint64_t n) { return Next() % n; }
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }  // inclusive
};

enum class Kind { kWrite, kZero, kFlush, kSnapshot };

struct Op {
  Kind kind = Kind::kFlush;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t tag = 0;  // what a Write writes: ValueAt(tag, p)
  bool Changes() const { return kind == Kind::kWrite || kind == Kind::kZero; }
};

Op MakeOp(uint64_t seed, uint64_t k) {
  Rng rng{Mix(Mix(seed) ^ (k * 0xd6e8feb86659fd93ull))};
  Op op;
  op.tag = rng.Next();
  // Every kFlushEvery-th op flushes (so a process killed 20 ms after it
  // has finished starting still gets past the next flush point) and 1 in 20
  // of those is a snapshot; the others write, or sometimes zero.
  if (k % kFlushEvery == kFlushEvery - 1) {
    op.kind = rng.Below(20) == 0 ? Kind::kSnapshot : Kind::kFlush;
    return op;
  }
  op.kind = rng.Below(10) == 0 ? Kind::kZero : Kind::kWrite;
  if (op.kind == Kind::kZero && rng.Below(3) == 0) {  // whole chunks: the engine drops them
    op.length = rng.Range(1, 3) * kChunk;
    op.offset = rng.Below(kModelSize / kChunk - 2) * kChunk;
    return op;
  }
  uint64_t m = rng.Below(10);
  if (op.kind == Kind::kZero) {
    op.length = m < 5 ? rng.Range(1, 2 * kSector) : rng.Range(1, 1 << 20);
  } else {
    op.length = m < 5 ? rng.Range(1, kSector) : m < 8 ? rng.Range(kSector + 1, 64 * 1024)
                                                       : rng.Range(64 * 1024 + 1, kMaxWrite);
  }
  bool aligned = rng.Below(4) == 0;
  if (aligned) op.length = (op.length + kSector - 1) / kSector * kSector;
  if (rng.Below(5) < 2 && op.length > 1) {  // across a chunk boundary
    uint64_t boundary = rng.Range(1, kModelSize / kChunk - 3) * kChunk;
    op.offset = boundary - rng.Range(1, std::min(op.length - 1, boundary));
  } else {
    op.offset = rng.Below(kModelSize - op.length + 1);
  }
  if (aligned) op.offset = op.offset / kSector * kSector;
  return op;
}

uint64_t Word(uint64_t tag, uint64_t word_index) { return Mix(tag + word_index * 0x9e3779b97f4a7c15ull); }

uint8_t ValueAt(uint64_t tag, uint64_t pos) { return static_cast<uint8_t>(Word(tag, pos >> 3) >> ((pos & 7) * 8)); }

// out[i] = ValueAt(tag, offset + i)
void Fill(uint64_t tag, uint64_t offset, uint8_t* out, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint64_t pos = offset + i;
    if ((pos & 7) == 0 && n - i >= 8) {
      uint64_t word = Word(tag, pos >> 3);
      std::memcpy(out + i, &word, 8);
      i += 8;
    } else {
      out[i++] = ValueAt(tag, pos);
    }
  }
}

void Apply(const Op& op, std::span<uint8_t> model) {
  if (op.kind == Kind::kWrite) Fill(op.tag, op.offset, model.data() + op.offset, op.length);
  if (op.kind == Kind::kZero) std::memset(model.data() + op.offset, 0, op.length);
}

// ---- the journal --------------------------------------------------------------

struct Journal {
  std::optional<int64_t> volume;
  uint64_t seed = 0;
  uint64_t flushed = 0;                                // ops [0, flushed) are durable
  std::vector<std::pair<int64_t, uint64_t>> snapshots;  // (id, ops it holds), in order
  std::set<int64_t> deleting, deleted;
};

std::string JournalPath(const std::string& dir) { return dir + "/journal"; }

// Reads the journal; a missing file is an empty journal. The complete lines
// are the first `*complete_bytes` bytes.
Result<Journal> ReadJournal(const std::string& dir, size_t* complete_bytes) {
  Journal j;
  *complete_bytes = 0;
  auto fs = kura::env::PosixFilesystem();
  KURA_ASSIGN_OR_RETURN(bool exists, fs->Exists(JournalPath(dir)));
  if (!exists) return j;
  KURA_ASSIGN_OR_RETURN(auto bytes, fs->ReadFile(JournalPath(dir)));
  std::string text(bytes.begin(), bytes.end());
  size_t end = text.rfind('\n');
  if (end == std::string::npos) return j;
  *complete_bytes = end + 1;
  std::istringstream lines(text.substr(0, end + 1));
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    std::istringstream in(line);
    std::string what, word;
    int64_t id = 0;
    uint64_t n = 0;
    in >> what;
    bool ok = true;
    uint64_t new_flushed = j.flushed;
    if (what == "volume") {
      ok = static_cast<bool>(in >> id >> word >> j.seed) && word == "seed" && !j.volume;
      j.volume = id;
    } else if (what == "flushed") {
      ok = static_cast<bool>(in >> n);
      new_flushed = n;
    } else if (what == "snapshot") {
      ok = static_cast<bool>(in >> id >> n);
      j.snapshots.emplace_back(id, n);
      new_flushed = n;
    } else if (what == "deleting") {
      ok = static_cast<bool>(in >> id);
      j.deleting.insert(id);
    } else if (what == "deleted") {
      ok = static_cast<bool>(in >> id);
      j.deleted.insert(id);
    } else {
      ok = false;
    }
    if (ok && what != "volume" && !j.volume) ok = false;
    if (ok && new_flushed < j.flushed) ok = false;  // flush points only move forward
    if (!ok) {
      return kura::base::DataLossError("journal line " + std::to_string(number) + " is malformed or out of order: \"" +
                                       line + "\"");
    }
    j.flushed = new_flushed;
  }
  return j;
}

class JournalWriter {
 public:
  static Result<JournalWriter> Open(const std::string& dir, size_t complete_bytes) {
    int fd = ::open(JournalPath(dir).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return kura::base::ErrnoToStatus(errno, "open " + JournalPath(dir));
    JournalWriter w(fd);
    // Cut off a line torn by a kill so the next record starts on its own line.
    if (::ftruncate(fd, static_cast<off_t>(complete_bytes)) != 0 || ::fsync(fd) != 0) {
      return kura::base::ErrnoToStatus(errno, "truncate " + JournalPath(dir));
    }
    KURA_RETURN_IF_ERROR(kura::env::PosixFilesystem()->SyncDir(dir));
    return w;
  }
  JournalWriter(JournalWriter&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ~JournalWriter() {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(const std::string& record) {
    std::string line = record + "\n";
    ssize_t n = ::write(fd_, line.data(), line.size());
    if (n != static_cast<ssize_t>(line.size())) return kura::base::ErrnoToStatus(errno, "append to the journal");
    if (::fdatasync(fd_) != 0) return kura::base::ErrnoToStatus(errno, "fdatasync the journal");
    return Status::Ok();
  }

 private:
  explicit JournalWriter(int fd) : fd_(fd) {}
  int fd_;
};

// ---- engine plumbing -------------------------------------------------------------

Result<std::unique_ptr<blocks::Engine>> OpenEngine(const std::string& dir) {
  auto fs = kura::env::PosixFilesystem();
  KURA_ASSIGN_OR_RETURN(auto db, kura::meta::OpenSqliteDatabase(dir + "/metadata.db"));
  KURA_ASSIGN_OR_RETURN(auto store, blocks::LocalChunkStore::Open(fs, dir + "/chunks"));
  return blocks::Engine::Open(std::shared_ptr<kura::meta::Database>(std::move(db)),
                              std::shared_ptr<blocks::ChunkStore>(std::move(store)));
}

Result<kura::crypto::SecretBytes> LoadKey(const std::string& dir, bool create) {
  auto fs = kura::env::PosixFilesystem();
  std::string path = dir + "/key";
  KURA_ASSIGN_OR_RETURN(bool exists, fs->Exists(path));
  if (!exists) {
    if (!create) return kura::base::NotFoundError(path + " does not exist");
    KURA_ASSIGN_OR_RETURN(auto key, kura::crypto::RandomSecret(64));
    KURA_RETURN_IF_ERROR(fs->WriteFileAtomic(path, key.span()));
    return key;
  }
  KURA_ASSIGN_OR_RETURN(auto bytes, fs->ReadFile(path));
  kura::crypto::SecretBytes key(bytes);
  std::fill(bytes.begin(), bytes.end(), 0);
  if (key.size() != 64) return kura::base::DataLossError(path + " does not hold 64 bytes");
  return key;
}

// ---- run ---------------------------------------------------------------------------

Status Run(const std::string& dir, uint64_t seed) {
  auto fs = kura::env::PosixFilesystem();
  KURA_RETURN_IF_ERROR(fs->CreateDirs(dir));
  KURA_ASSIGN_OR_RETURN(auto key, LoadKey(dir, /*create=*/true));
  size_t complete_bytes = 0;
  KURA_ASSIGN_OR_RETURN(Journal j, ReadJournal(dir, &complete_bytes));
  KURA_ASSIGN_OR_RETURN(auto journal, JournalWriter::Open(dir, complete_bytes));
  KURA_ASSIGN_OR_RETURN(auto engine, OpenEngine(dir));

  if (!j.volume) {
    KURA_ASSIGN_OR_RETURN(j.volume, engine->CreateVolume(kVolumeSize, &key));
    j.seed = seed;
    KURA_RETURN_IF_ERROR(journal.Append("volume " + std::to_string(*j.volume) + " seed " + std::to_string(seed)));
  } else if (j.seed != seed) {
    return kura::base::InvalidArgumentError("the journal in " + dir + " was started with seed " +
                                            std::to_string(j.seed) + ", not " + std::to_string(seed));
  }
  const int64_t volume_id = *j.volume;

  std::vector<int64_t> kept;  // journaled snapshots not being deleted, oldest first
  for (const auto& [id, ops] : j.snapshots) {
    if (!j.deleting.count(id)) kept.push_back(id);
  }
  auto delete_snapshot = [&](int64_t id) -> Status {
    KURA_RETURN_IF_ERROR(journal.Append("deleting " + std::to_string(id)));
    Status status = engine->DeleteSnapshot(id);
    if (!status.ok() && status.code() != kura::base::StatusCode::kNotFound) return status;
    return journal.Append("deleted " + std::to_string(id));
  };
  for (int64_t id : j.deleting) {
    if (!j.deleted.count(id)) KURA_RETURN_IF_ERROR(delete_snapshot(id));
  }

  KURA_ASSIGN_OR_RETURN(auto volume, engine->OpenVolume(volume_id, &key));
  std::vector<uint8_t> buffer(kMaxWrite + kSector);
  for (uint64_t k = j.flushed;; ++k) {
    Op op = MakeOp(seed, k);
    std::string where = "op " + std::to_string(k);
    switch (op.kind) {
      case Kind::kWrite:
        Fill(op.tag, op.offset, buffer.data(), op.length);
        KURA_RETURN_IF_ERROR(
            volume->Write(op.offset, kura::base::ByteSpan(buffer.data(), op.length)).WithContext(where));
        break;
      case Kind::kZero:
        KURA_RETURN_IF_ERROR(volume->WriteZeroes(op.offset, op.length).WithContext(where));
        break;
      case Kind::kFlush:
        KURA_RETURN_IF_ERROR(volume->Flush().WithContext(where));
        KURA_RETURN_IF_ERROR(journal.Append("flushed " + std::to_string(k + 1)));
        break;
      case Kind::kSnapshot: {
        auto snapshot = engine->CreateSnapshot(volume_id);
        if (!snapshot.ok()) return snapshot.status().WithContext(where);
        KURA_RETURN_IF_ERROR(
            journal.Append("snapshot " + std::to_string(*snapshot) + " " + std::to_string(k + 1)));
        kept.push_back(*snapshot);
        while (kept.size() > kKeepSnapshots) {
          KURA_RETURN_IF_ERROR(delete_snapshot(kept.front()).WithContext(where));
          kept.erase(kept.begin());
        }
        break;
      }
    }
  }
}

// ---- verify ------------------------------------------------------------------------

// Zeroed memory for the process's lifetime, in huge pages where the kernel
// allows: faulting in 64 MiB of small pages costs more than the checks.
Result<std::span<uint8_t>> ZeroedMemory(size_t size) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return kura::base::ErrnoToStatus(errno, "mmap");
  (void)::madvise(p, size, MADV_HUGEPAGE);
  return std::span<uint8_t>(static_cast<uint8_t*>(p), size);
}

// Compares what `name` reads at volume offset `offset` with the model;
// `unflushed` lists the ops whose values are also acceptable. Returns the
// number of bad bytes and prints the first bad ranges.
uint64_t Compare(const std::string& name, uint64_t offset, kura::base::ByteSpan actual,
                 std::span<const uint8_t> model, const std::vector<Op>& unflushed, int* reports_left) {
  uint64_t bad = 0;
  std::optional<uint64_t> run_start;
  auto report = [&](uint64_t end) {
    if ((*reports_left)-- <= 0) return;
    uint64_t s = *run_start;
    uint8_t expected = s < kModelSize ? model[s] : 0;
    std::fprintf(stderr,
                 "MISMATCH %s: bytes [%llu, %llu) (%llu bytes; chunk %llu, sector %llu of the chunk): "
                 "expected 0x%02x, read 0x%02x at the first byte\n",
                 name.c_str(), static_cast<unsigned long long>(s), static_cast<unsigned long long>(end),
                 static_cast<unsigned long long>(end - s), static_cast<unsigned long long>(s / kChunk),
                 static_cast<unsigned long long>(s % kChunk / kSector), expected, actual[s - offset]);
  };
  const size_t block = 4096;
  for (size_t b = 0; b < actual.size(); b += block) {
    size_t n = std::min(block, actual.size() - b);
    uint64_t pos0 = offset + b;
    bool quick_ok;
    if (pos0 + n <= kModelSize) {
      quick_ok = std::memcmp(actual.data() + b, model.data() + pos0, n) == 0;
    } else {
      static const std::vector<uint8_t> kZeros(block, 0);
      quick_ok = std::memcmp(actual.data() + b, kZeros.data(), n) == 0;
    }
    if (quick_ok && !run_start) continue;
    for (size_t i = b; i < b + n; ++i) {
      uint64_t pos = offset + i;
      uint8_t got = actual[i];
      bool ok = got == (pos < kModelSize ? model[pos] : 0);
      for (size_t u = 0; !ok && u < unflushed.size(); ++u) {
        const Op& op = unflushed[u];
        if (pos < op.offset || pos >= op.offset + op.length) continue;
        ok = got == (op.kind == Kind::kWrite ? ValueAt(op.tag, pos) : 0);
      }
      if (!ok) {
        ++bad;
        if (!run_start) run_start = pos;
      } else if (run_start) {
        report(pos);
        run_start.reset();
      }
    }
  }
  if (run_start) report(offset + actual.size());
  return bad;
}

// Reads the volume and compares it; returns the number of bad bytes.
Result<uint64_t> CheckVolume(blocks::Volume& volume, const std::string& name, std::span<const uint8_t> model,
                             const std::vector<Op>& unflushed, int* reports_left) {
  if (volume.size() != kVolumeSize) {
    return kura::base::DataLossError(name + " has " + std::to_string(volume.size()) + " bytes");
  }
  static std::span<uint8_t> buffer;
  if (buffer.empty()) {
    KURA_ASSIGN_OR_RETURN(buffer, ZeroedMemory(8ull << 20));
  }
  uint64_t bad = 0;
  auto check = [&](uint64_t offset, uint64_t length) -> Status {
    for (uint64_t done = 0; done < length;) {
      uint64_t n = std::min<uint64_t>(buffer.size(), length - done);
      kura::base::MutableByteSpan piece(buffer.data(), n);
      KURA_RETURN_IF_ERROR(volume.Read(offset + done, piece).WithContext("read of " + name));
      bad += Compare(name, offset + done, piece, model, unflushed, reports_left);
      done += n;
    }
    return Status::Ok();
  };
  // The ops' range, the chunk after it and the volume's last chunk.
  KURA_RETURN_IF_ERROR(check(0, kModelSize + kChunk));
  KURA_RETURN_IF_ERROR(check(kVolumeSize - kChunk, kChunk));
  return bad;
}

Status Verify(const std::string& dir) {
  size_t complete_bytes = 0;
  KURA_ASSIGN_OR_RETURN(Journal j, ReadJournal(dir, &complete_bytes));
  if (!j.volume) {
    std::printf("ok: no volume journaled yet\n");
    return Status::Ok();
  }
  KURA_ASSIGN_OR_RETURN(auto key, LoadKey(dir, /*create=*/false));
  KURA_ASSIGN_OR_RETURN(auto engine, OpenEngine(dir));

  std::map<uint64_t, std::vector<int64_t>> to_check;  // ops -> snapshots holding ops [0, ops)
  for (const auto& [id, ops] : j.snapshots) {
    if (!j.deleting.count(id)) to_check[ops].push_back(id);
  }
  KURA_ASSIGN_OR_RETURN(std::span<uint8_t> model, ZeroedMemory(kModelSize));
  uint64_t bad = 0;
  int reports_left = 20;
  size_t snapshots_checked = 0;

  // Checks the snapshots that hold exactly ops [0, ops): the model's current state.
  auto check_snapshots_at = [&](uint64_t ops) -> Status {
    auto it = to_check.find(ops);
    if (it == to_check.end()) return Status::Ok();
    for (int64_t snapshot : it->second) {
      std::string name = "snapshot " + std::to_string(snapshot) + " (holds ops 0.." + std::to_string(ops - 1) + ")";
      auto id = engine->CreateVolumeFromSnapshot(snapshot, 0, &key);
      if (!id.ok()) return id.status().WithContext("volume from " + name);
      {
        auto volume = engine->OpenVolume(*id, &key);
        if (!volume.ok()) return volume.status().WithContext("open the volume from " + name);
        KURA_ASSIGN_OR_RETURN(uint64_t n, CheckVolume(**volume, name, model, {}, &reports_left));
        bad += n;
      }
      KURA_RETURN_IF_ERROR(engine->DeleteVolume(*id).WithContext("delete the volume from " + name));
      ++snapshots_checked;
    }
    to_check.erase(it);
    return Status::Ok();
  };

  for (uint64_t k = 0; k < j.flushed; ++k) {
    KURA_RETURN_IF_ERROR(check_snapshots_at(k));
    Apply(MakeOp(j.seed, k), model);
  }
  KURA_RETURN_IF_ERROR(check_snapshots_at(j.flushed));
  if (!to_check.empty()) {
    return kura::base::DataLossError("the journal lists a snapshot beyond its last flush point " +
                                     std::to_string(j.flushed));
  }

  // The ops a killed process may have executed after the last journaled flush point.
  std::vector<Op> unflushed;
  for (uint64_t k = j.flushed;; ++k) {
    Op op = MakeOp(j.seed, k);
    if (!op.Changes()) break;
    unflushed.push_back(op);
  }
  {
    std::string name = "volume " + std::to_string(*j.volume);
    auto volume = engine->OpenVolume(*j.volume, &key);
    if (!volume.ok()) return volume.status().WithContext("open " + name);
    KURA_ASSIGN_OR_RETURN(uint64_t n, CheckVolume(**volume, name, model, unflushed, &reports_left));
    bad += n;
  }
  if (bad > 0) {
    std::fprintf(stderr, "FAILED: %llu bytes differ (ops 0..%llu flushed, %zu unflushed ops accepted, seed %llu)\n",
                 static_cast<unsigned long long>(bad), static_cast<unsigned long long>(j.flushed), unflushed.size(),
                 static_cast<unsigned long long>(j.seed));
    return kura::base::DataLossError("the volume or a snapshot does not hold what was written");
  }
  std::printf("ok: flushed_ops=%llu snapshots_checked=%zu unflushed_ops=%zu\n",
              static_cast<unsigned long long>(j.flushed), snapshots_checked, unflushed.size());
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"crash_writer: writer and verifier of the block engine crash test"};
  app.require_subcommand(1);
  std::string dir;
  uint64_t seed = 1;
  auto* run = app.add_subcommand("run", "perform the endless op stream, journaling what is durable");
  run->add_option("--data-dir", dir)->required();
  run->add_option("--seed", seed, "seed of the op stream (fixed by the first run)")->required();
  auto* verify = app.add_subcommand("verify", "check the volume and the journaled snapshots against the model");
  verify->add_option("--data-dir", dir)->required();
  CLI11_PARSE(app, argc, argv);

  Status status = run->parsed() ? Run(dir, seed) : Verify(dir);
  if (!status.ok()) {
    std::fprintf(stderr, "crash_writer %s: %s\n", run->parsed() ? "run" : "verify", status.ToString().c_str());
    return 1;
  }
  return 0;
}
