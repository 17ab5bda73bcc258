// engine_bench: the block engine's benchmark. One run prints one table:
//   1. the limit: AES-256-XTS through crypto::XtsCipher (1 MiB buffers of
//      4096-byte sectors), 1 and 2 threads;
//   2. the engine on a volume on tmpfs: sequential write/read (1 MiB
//      requests, one thread) and 4 KiB random read/write IOPS (2 threads),
//      encrypted and unencrypted, with the ratios enc/unenc and enc/limit;
//   3. snapshot creation time for a 1 GiB and a 4 TiB thin volume;
//   4. copy with re-encryption throughput against its crypto limit.
// Targets are printed as PASS/MISS; timings never fail a run (exit 1 only
// when an operation errors). Machines are shared and noisy: compare ratios
// within one run, not figures across runs.
//
// Usage: engine_bench [--quick] [--size-mib N] [--dir DIR] [--disk-dir DIR] [--only io,snapshot,copy]
//   --dir: parent directory for the data (a fresh subdirectory is made and
//          removed); default /dev/shm, else /tmp. --only: run some parts (profiling).
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "blocks/engine.h"
#include "blocks/layout.h"
#include "blocks/local/local_chunk_store.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"
#include "crypto/xts.h"
#include "env/filesystem.h"
#include "meta/sqlite/sqlite_database.h"

namespace {

using kura::base::Result;
using kura::base::Status;
using kura::blocks::Engine;
using kura::blocks::kChunkSize;
using kura::blocks::kGiB;
using kura::blocks::kSectorSize;
using kura::blocks::Volume;
using kura::blocks::VolumeId;
using kura::crypto::SecretBytes;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kMiB = 1024 * 1024;

// ---------------------------------------------------------------- helpers

void Check(const Status& status, const std::string& what) {
  if (!status.ok()) throw std::runtime_error(what + ": " + status.ToString());
}

template <typename T>
T Take(Result<T> result, const std::string& what) {
  if (!result.ok()) throw std::runtime_error(what + ": " + result.status().ToString());
  return std::move(result).value();
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Runs `fn` (which returns a figure) once to warm up when asked, then `reps`
// times; returns the median figure.
double MedianOf(int reps, bool warm_up, const std::function<double()>& fn) {
  if (warm_up) (void)fn();
  std::vector<double> figures;
  for (int i = 0; i < reps; ++i) figures.push_back(fn());
  return Median(figures);
}

// Fast non-cryptographic fill: the data only has to be non-zero and not compressible.
void FillPattern(std::vector<uint8_t>& buffer, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i + 8 <= buffer.size(); i += 8) {
    uint64_t v = rng() | 1;
    std::memcpy(buffer.data() + i, &v, 8);
  }
}

SecretBytes NewKey() { return Take(kura::crypto::RandomSecret(kura::crypto::kXtsKeySize), "random key"); }

// ---------------------------------------------------------------- the table

struct Row {
  std::string section;
  std::string name;
  double value = 0;
  std::string unit;
  std::string ratio;   // "" when none
  std::string target;  // "" when none
  std::string verdict;
};

std::vector<Row> g_rows;

std::string Pct(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%", r * 100);
  return buf;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

void AddRow(std::string section, std::string name, double value, std::string unit, std::string ratio = "",
            std::string target = "", std::optional<bool> pass = std::nullopt) {
  g_rows.push_back(Row{std::move(section), std::move(name), value, std::move(unit), std::move(ratio), std::move(target),
                       pass ? (*pass ? "PASS" : "MISS") : ""});
  const Row& r = g_rows.back();
  // Progress on stderr so a long run shows life; the table goes to stdout at the end.
  std::fprintf(stderr, "  %-52s %10s %-6s %s %s %s\n", r.name.c_str(), Fixed(r.value, r.value >= 100 ? 0 : 3).c_str(),
               r.unit.c_str(), r.ratio.c_str(), r.target.c_str(), r.verdict.c_str());
}

void PrintTable() {
  std::printf("\n%-54s %12s %-6s %-44s %-12s %s\n", "measure", "value", "unit", "ratio", "target", "result");
  std::printf("%s\n", std::string(140, '-').c_str());
  std::string section;
  for (const Row& r : g_rows) {
    if (r.section != section) {
      section = r.section;
      std::printf("[%s]\n", section.c_str());
    }
    std::string value = Fixed(r.value, r.value >= 100 ? 0 : 3);
    std::printf("  %-52s %12s %-6s %-44s %-12s %s\n", r.name.c_str(), value.c_str(), r.unit.c_str(), r.ratio.c_str(),
                r.target.c_str(), r.verdict.c_str());
  }
}

// ---------------------------------------------------------------- options

struct Options {
  bool quick = false;
  uint64_t size_mib = 1024;      // sequential size
  uint64_t region_mib = 256;     // random I/O region
  uint64_t random_ops = 100000;  // per measured run, over both threads
  uint64_t copy_mib = 512;
  int snapshot_reps = 21;
  double xts_seconds = 0.4;
  int reps = 3;
  std::string dir;
  std::string disk_dir = "/var/tmp";  // a real disk, for the sequential figures users see
  std::string only;  // comma list of xts,io,snapshot,copy (for profiling one part); empty: all
  bool Runs(const std::string& part) const {
    return only.empty() || ("," + only + ",").find("," + part + ",") != std::string::npos;
  }
};

[[noreturn]] void Usage(const char* argv0, int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: %s [--quick] [--size-mib N] [--dir DIR] [--disk-dir DIR] [--only PARTS]\n"
               "  --quick       short run (smoke test): small sizes, single repetitions\n"
               "  --size-mib N  sequential read/write size in MiB (default 1024)\n"
               "  --dir DIR     parent directory for the data (default /dev/shm, else /tmp)\n"
               "  --disk-dir D  parent directory on a real disk for the second I/O run (default /var/tmp)\n"
               "  --only PARTS  run only some of io,snapshot,copy (e.g. to profile one);\n"
               "                the XTS limit is always measured\n",
               argv0);
  std::exit(code);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  std::optional<uint64_t> size;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      auto eq = arg.find('=');
      if (eq != std::string::npos) return arg.substr(eq + 1);
      if (i + 1 >= argc) Usage(argv[0], 2);
      return argv[++i];
    };
    if (arg == "--quick") {
      o.quick = true;
    } else if (arg == "--size-mib" || arg.rfind("--size-mib=", 0) == 0) {
      try {
        size = std::stoull(value());
      } catch (const std::exception&) {
        Usage(argv[0], 2);
      }
      if (*size == 0) Usage(argv[0], 2);
    } else if (arg == "--dir" || arg.rfind("--dir=", 0) == 0) {
      o.dir = value();
    } else if (arg == "--disk-dir" || arg.rfind("--disk-dir=", 0) == 0) {
      o.disk_dir = value();
    } else if (arg == "--only" || arg.rfind("--only=", 0) == 0) {
      o.only = value();
    } else if (arg == "-h" || arg == "--help") {
      Usage(argv[0], 0);
    } else {
      std::fprintf(stderr, "unknown argument: %s\n", arg.c_str());
      Usage(argv[0], 2);
    }
  }
  if (o.quick) {
    o.size_mib = 32;
    o.region_mib = 16;
    o.random_ops = 4000;
    o.copy_mib = 16;
    o.snapshot_reps = 3;
    o.xts_seconds = 0.05;
    o.reps = 1;
  }
  if (size) o.size_mib = *size;
  if (o.dir.empty()) o.dir = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  return o;
}

// ---------------------------------------------------------------- engine setup

// One engine with its own metadata database and chunk store under `path`.
struct Bed {
  std::string path;
  std::shared_ptr<kura::meta::Database> db;
  std::shared_ptr<kura::blocks::ChunkStore> store;
  std::unique_ptr<Engine> engine;

  explicit Bed(std::string p) : path(std::move(p)) {
    std::filesystem::create_directories(path);
    db = Take(kura::meta::OpenSqliteDatabase(path + "/meta.db"), "open database");
    store =
        Take(kura::blocks::LocalChunkStore::Open(kura::env::PosixFilesystem(), path + "/chunks"), "open chunk store");
    engine = Take(Engine::Open(db, store), "open engine");
  }
  ~Bed() {
    engine.reset();
    store.reset();
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

uint64_t RoundUpGiB(uint64_t bytes) { return std::max<uint64_t>(kGiB, (bytes + kGiB - 1) / kGiB * kGiB); }

// ---------------------------------------------------------------- 1. XTS limit

struct XtsLimit {
  double enc1 = 0, enc2 = 0, dec1 = 0, dec2 = 0;
};

// GB/s of XtsCipher over `buffer_bytes` buffers of 4096-byte sectors, `threads` threads, for ~`seconds`.
double XtsThroughput(const SecretBytes& key, unsigned threads, bool encrypt, size_t buffer_bytes, double seconds) {
  std::vector<uint64_t> bytes(threads, 0);
  std::vector<Clock::time_point> ends(threads);
  std::vector<std::string> errors(threads);
  std::barrier start(threads + 1);
  std::atomic<bool> go{false};
  Clock::time_point begin;
  auto worker = [&](unsigned t) {
    bool arrived = false;
    try {
      auto cipher = Take(kura::crypto::XtsCipher::Create(key), "XtsCipher::Create");
      std::vector<uint8_t> buffer(buffer_bytes);
      FillPattern(buffer, t + 1);
      std::span<uint8_t> span(buffer);
      // Warm up: touch the buffer and the code path.
      for (int i = 0; i < 4; ++i) Check(cipher->Encrypt(0, kSectorSize, span, span), "xts warm-up");
      arrived = true;
      start.arrive_and_wait();
      while (!go.load(std::memory_order_acquire)) {
      }
      auto deadline = begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
      uint64_t sector = 0, done = 0;
      do {
        Status s = encrypt ? cipher->Encrypt(sector, kSectorSize, span, span)
                           : cipher->Decrypt(sector, kSectorSize, span, span);
        Check(s, "xts");
        sector += buffer_bytes / kSectorSize;
        done += buffer_bytes;
      } while (Clock::now() < deadline);
      bytes[t] = done;
      ends[t] = Clock::now();
    } catch (const std::exception& e) {
      errors[t] = e.what();
      bytes[t] = 0;
      ends[t] = Clock::now();
      if (!arrived) start.arrive_and_drop();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  start.arrive_and_wait();
  begin = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  for (const auto& e : errors) {
    if (!e.empty()) throw std::runtime_error(e);
  }
  uint64_t total = 0;
  Clock::time_point end = begin;
  for (unsigned t = 0; t < threads; ++t) {
    total += bytes[t];
    end = std::max(end, ends[t]);
  }
  return total / Seconds(end - begin) / 1e9;
}

XtsLimit MeasureXts(const Options& o) {
  const char* S = "1. limit: AES-256-XTS via crypto::XtsCipher, 1 MiB buffers, 4 KiB sectors";
  std::fprintf(stderr, "[%s]\n", S);
  SecretBytes key = NewKey();
  XtsLimit l;
  auto m = [&](unsigned threads, bool enc) {
    return MedianOf(o.reps, true, [&] { return XtsThroughput(key, threads, enc, kMiB, o.xts_seconds); });
  };
  l.enc1 = m(1, true);
  AddRow(S, "xts encrypt, 1 thread", l.enc1, "GB/s");
  l.enc2 = m(2, true);
  AddRow(S, "xts encrypt, 2 threads", l.enc2, "GB/s", "x" + Fixed(l.enc2 / l.enc1, 2) + " of 1 thread");
  l.dec1 = m(1, false);
  AddRow(S, "xts decrypt, 1 thread", l.dec1, "GB/s");
  l.dec2 = m(2, false);
  AddRow(S, "xts decrypt, 2 threads", l.dec2, "GB/s", "x" + Fixed(l.dec2 / l.dec1, 2) + " of 1 thread");
  // For reference: one 4 KiB sector per call, as a 4 KiB random I/O does.
  double small = MedianOf(o.reps, true, [&] { return XtsThroughput(key, 1, true, kSectorSize, o.xts_seconds); });
  AddRow(S, "xts encrypt, 1 thread, one 4 KiB sector per call", small, "GB/s", Pct(small / l.enc1) + " of 1 MiB calls");
  return l;
}

// ---------------------------------------------------------------- 2. volume I/O

struct IoFigures {
  double write_new = 0;   // GB/s, first write (allocates chunks), incl. Flush
  double write_over = 0;  // GB/s, overwrite, incl. Flush
  double read = 0;        // GB/s
  double rand_read = 0;   // IOPS
  double rand_write = 0;  // IOPS, incl. Flush
};

// Sequential pass over [0, bytes) in 1 MiB requests from one thread; returns GB/s.
double SeqWrite(Volume& v, uint64_t bytes, const std::vector<uint8_t>& data) {
  auto t0 = Clock::now();
  for (uint64_t off = 0; off < bytes; off += data.size()) {
    uint64_t n = std::min<uint64_t>(data.size(), bytes - off);
    Check(v.Write(off, kura::base::ByteSpan(data.data(), n)), "sequential write");
  }
  Check(v.Flush(), "flush after sequential write");
  return bytes / Seconds(Clock::now() - t0) / 1e9;
}

double SeqRead(Volume& v, uint64_t bytes, std::vector<uint8_t>& buffer) {
  auto t0 = Clock::now();
  for (uint64_t off = 0; off < bytes; off += buffer.size()) {
    uint64_t n = std::min<uint64_t>(buffer.size(), bytes - off);
    Check(v.Read(off, kura::base::MutableByteSpan(buffer.data(), n)), "sequential read");
  }
  return bytes / Seconds(Clock::now() - t0) / 1e9;
}

// `ops` random 4 KiB requests over [0, region) split over 2 threads; returns IOPS.
double RandomIo(Volume& v, uint64_t region, uint64_t ops, bool write, uint64_t seed) {
  constexpr unsigned kThreads = 2;
  const uint64_t sectors = region / kSectorSize;
  std::vector<std::string> errors(kThreads);
  std::barrier start(kThreads + 1);
  auto worker = [&](unsigned t) {
    std::vector<uint8_t> buffer(kSectorSize);
    FillPattern(buffer, seed * 7 + t);
    std::mt19937_64 rng(seed * 131 + t);
    std::uniform_int_distribution<uint64_t> pick(0, sectors - 1);
    start.arrive_and_wait();
    try {
      for (uint64_t i = t; i < ops; i += kThreads) {
        uint64_t off = pick(rng) * kSectorSize;
        Status s = write ? v.Write(off, kura::base::ByteSpan(buffer.data(), buffer.size()))
                         : v.Read(off, kura::base::MutableByteSpan(buffer.data(), buffer.size()));
        Check(s, write ? "random write" : "random read");
      }
    } catch (const std::exception& e) {
      errors[t] = e.what();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < kThreads; ++t) pool.emplace_back(worker, t);
  start.arrive_and_wait();
  auto t0 = Clock::now();
  for (auto& th : pool) th.join();
  for (const auto& e : errors) {
    if (!e.empty()) throw std::runtime_error(e);
  }
  if (write) Check(v.Flush(), "flush after random writes");
  return ops / Seconds(Clock::now() - t0);
}

// One engine and one open volume, encrypted or not.
struct IoBed {
  Bed bed;
  std::optional<SecretBytes> key;
  uint64_t volume_size;
  VolumeId id = 0;
  std::shared_ptr<Volume> volume;
  std::vector<uint8_t> data = std::vector<uint8_t>(kMiB);
  std::vector<double> write_new, write_over, read, rand_read, rand_write;

  IoBed(const std::string& root, bool encrypted, uint64_t size)
      : bed(root + (encrypted ? "/io-enc" : "/io-plain")), volume_size(size) {
    if (encrypted) key = NewKey();
    FillPattern(data, encrypted ? 11 : 12);
  }
  ~IoBed() { volume.reset(); }
  const SecretBytes* k() const { return key ? &*key : nullptr; }

  // A fresh volume (the previous one is deleted, freeing its tmpfs pages).
  void Recreate() {
    if (volume) {
      volume.reset();
      Check(bed.engine->DeleteVolume(id), "delete volume");
    }
    id = Take(bed.engine->CreateVolume(volume_size, k()), "create volume");
    volume = Take(bed.engine->OpenVolume(id, k()), "open volume");
  }
};

// Runs step(bed) for the unencrypted and the encrypted bed in turn, `reps`
// times (plus a warm-up round when asked), alternating which goes first, so
// that load from other processes falls on both alike and the ratios hold.
void Interleave(IoBed& a, IoBed& b, int reps, bool warm_up, const std::function<void(IoBed&, bool keep)>& step) {
  for (int i = warm_up ? -1 : 0; i < reps; ++i) {
    bool keep = i >= 0;
    if (i % 2 == 0) {
      step(a, keep);
      step(b, keep);
    } else {
      step(b, keep);
      step(a, keep);
    }
  }
}

// Evicts the files under `dir` from the page cache, so the next reads come from
// the device (the data was flushed, so nothing dirty is dropped).
void DropPageCache(const std::string& dir) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

std::pair<IoFigures, IoFigures> MeasureVolumes(const Options& o, const std::string& root, uint64_t seq,
                                               uint64_t region, bool cold_reads) {
  const uint64_t volume_size = RoundUpGiB(std::max(seq, region));
  IoBed plain(root, false, volume_size), enc(root, true, volume_size);
  const bool warm = !o.quick;
  // A first write allocates every chunk (create + truncate a file each, tmpfs
  // pages, metadata at Flush): each run on a fresh volume; the last one stays.
  Interleave(plain, enc, o.reps, warm, [&](IoBed& b, bool keep) {
    b.Recreate();
    double gbs = SeqWrite(*b.volume, seq, b.data);
    if (keep) b.write_new.push_back(gbs);
  });
  Interleave(plain, enc, o.reps, warm, [&](IoBed& b, bool keep) {
    double gbs = SeqWrite(*b.volume, seq, b.data);
    if (keep) b.write_over.push_back(gbs);
  });
  std::vector<uint8_t> buffer(kMiB);
  Interleave(plain, enc, o.reps, true, [&](IoBed& b, bool keep) {
    if (cold_reads) DropPageCache(root);
    double gbs = SeqRead(*b.volume, seq, buffer);
    if (keep) b.read.push_back(gbs);
  });
  for (IoBed* b : {&plain, &enc}) {
    // Check the data once, outside the timing: the bench must measure a working engine.
    uint64_t n = std::min<uint64_t>(kMiB, seq);
    Check(b->volume->Read(0, kura::base::MutableByteSpan(buffer.data(), n)), "verify read");
    if (std::memcmp(buffer.data(), b->data.data(), n) != 0) {
      throw std::runtime_error("verify: data read back differs from data written");
    }
    // The random region: whatever the sequential pass did not fill.
    if (region > seq) SeqWrite(*b->volume, region, b->data);
  }
  const uint64_t warm_ops = std::max<uint64_t>(o.random_ops / 5, 1000);
  uint64_t seed = 100;
  Interleave(plain, enc, o.reps, warm, [&](IoBed& b, bool keep) {
    double iops = RandomIo(*b.volume, region, keep ? o.random_ops : warm_ops, false, seed++);
    if (keep) b.rand_read.push_back(iops);
  });
  Interleave(plain, enc, o.reps, warm, [&](IoBed& b, bool keep) {
    double iops = RandomIo(*b.volume, region, keep ? o.random_ops : warm_ops, true, seed++);
    if (keep) b.rand_write.push_back(iops);
  });
  auto figures = [](const IoBed& b) {
    return IoFigures{Median(b.write_new), Median(b.write_over), Median(b.read), Median(b.rand_read),
                     Median(b.rand_write)};
  };
  return {figures(plain), figures(enc)};
}

void MeasureIo(const Options& o, const std::string& root, const XtsLimit& limit, const std::string& medium,
               bool cold_reads) {
  const std::string S = "2. engine on " + medium + ": seq " + std::to_string(o.size_mib) +
                        " MiB in 1 MiB requests (1 thread); 4 KiB random over " +
                        std::to_string(std::min(o.region_mib, std::max<uint64_t>(o.size_mib, 1))) +
                        " MiB, 2 threads, " + std::to_string(o.random_ops) + " ops; enc/unenc runs interleaved";
  std::fprintf(stderr, "[%s]\n", S.c_str());
  const uint64_t seq = o.size_mib * kMiB;
  const uint64_t region =
      std::min(o.region_mib * kMiB, std::max<uint64_t>(seq, kChunkSize)) / kSectorSize * kSectorSize;
  auto [plain, enc] = MeasureVolumes(o, root, seq, region, cold_reads);
  AddRow(S, "unencrypted: seq write, new chunks (+Flush)", plain.write_new, "GB/s");
  AddRow(S, "unencrypted: seq write, overwrite (+Flush)", plain.write_over, "GB/s");
  AddRow(S, "unencrypted: seq read", plain.read, "GB/s");
  AddRow(S, "unencrypted: 4 KiB random read", plain.rand_read, "IOPS");
  AddRow(S, "unencrypted: 4 KiB random write (+Flush)", plain.rand_write, "IOPS");

  auto vs = [](double e, double p) { return Pct(e / p) + " of unenc"; };
  auto lim = [](double e, double l, const char* which) { return Pct(e / l) + " of " + which; };
  auto both = [](const std::string& a, const std::string& b) { return a + ", " + b; };
  // The serial bound: one thread doing the unencrypted path plus XTS over every byte.
  auto bound = [](double e, double p, double x) { return Pct(e / (1 / (1 / p + 1 / x))) + " of p+x"; };
  AddRow(S, "encrypted: seq write, new chunks (+Flush)", enc.write_new, "GB/s",
         both(both(vs(enc.write_new, plain.write_new), lim(enc.write_new, limit.enc1, "xts1")),
              bound(enc.write_new, plain.write_new, limit.enc1)),
         ">= 85%", enc.write_new >= 0.85 * plain.write_new);
  AddRow(S, "encrypted: seq write, overwrite (+Flush)", enc.write_over, "GB/s",
         both(both(vs(enc.write_over, plain.write_over), lim(enc.write_over, limit.enc1, "xts1")),
              bound(enc.write_over, plain.write_over, limit.enc1)),
         ">= 85%", enc.write_over >= 0.85 * plain.write_over);
  AddRow(
      S, "encrypted: seq read", enc.read, "GB/s",
      both(both(vs(enc.read, plain.read), lim(enc.read, limit.dec1, "xts1")), bound(enc.read, plain.read, limit.dec1)),
      ">= 85%", enc.read >= 0.85 * plain.read);
  double rr_gbs = enc.rand_read * kSectorSize / 1e9, rw_gbs = enc.rand_write * kSectorSize / 1e9;
  AddRow(S, "encrypted: 4 KiB random read", enc.rand_read, "IOPS",
         both(vs(enc.rand_read, plain.rand_read), lim(rr_gbs, limit.dec2, "xts2")));
  AddRow(S, "encrypted: 4 KiB random write (+Flush)", enc.rand_write, "IOPS",
         both(vs(enc.rand_write, plain.rand_write), lim(rw_gbs, limit.enc2, "xts2")));
}

// ---------------------------------------------------------------- 3. snapshots

// One open volume of `size_bytes` with a little data written: the first, middle and last chunk.
struct SnapshotBed {
  Bed bed;
  SecretBytes key = NewKey();
  uint64_t size_bytes;
  VolumeId id = 0;
  std::shared_ptr<Volume> volume;
  std::vector<uint8_t> data = std::vector<uint8_t>(64 * 1024);
  std::vector<uint64_t> offsets;
  std::vector<double> ms;

  SnapshotBed(const std::string& root, uint64_t size)
      : bed(root + "/snap-" + std::to_string(size / kGiB)), size_bytes(size) {
    id = Take(bed.engine->CreateVolume(size_bytes, &key), "create volume");
    volume = Take(bed.engine->OpenVolume(id, &key), "open volume");
    FillPattern(data, 21);
    offsets = {0, size_bytes / 2, size_bytes - kChunkSize};
    for (uint64_t off : offsets) Check(volume->Write(off, data), "write before snapshot");
    Check(volume->Flush(), "flush");
  }
  ~SnapshotBed() { volume.reset(); }

  // Dirties one chunk (a copy-on-write after the previous snapshot) so that
  // the snapshot has a flush to do, then times CreateSnapshot alone.
  void Measure(int i, bool keep) {
    Check(volume->Write(offsets[i % offsets.size()], data), "write between snapshots");
    auto t0 = Clock::now();
    (void)Take(bed.engine->CreateSnapshot(id), "create snapshot");
    double t = Seconds(Clock::now() - t0) * 1e3;
    if (keep) ms.push_back(t);
  }
};

void MeasureSnapshots(const Options& o, const std::string& root) {
  const std::string S =
      "3. snapshot creation (open volume, a little data written), median of " + std::to_string(o.snapshot_reps);
  std::fprintf(stderr, "[%s]\n", S.c_str());
  SnapshotBed small(root, kGiB), big(root, 4096 * kGiB);
  // Interleaved, alternating which goes first, so that load from other
  // processes falls on both alike; the first round warms up.
  for (int i = 0; i <= o.snapshot_reps; ++i) {
    SnapshotBed& first = i % 2 ? big : small;
    SnapshotBed& second = i % 2 ? small : big;
    first.Measure(i, i > 0);
    second.Measure(i, i > 0);
  }
  double a = Median(small.ms), b = Median(big.ms);
  double r = b / a;
  AddRow(S, "CreateSnapshot, 1 GiB volume", a, "ms");
  // Sub-millisecond timings on a shared machine: within 2x counts as size
  // independent (a size-dependent snapshot would be ~4096x).
  AddRow(S, "CreateSnapshot, 4 TiB thin volume", b, "ms", "x" + Fixed(r, 2) + " of 1 GiB", "~1 (<= 2)", r <= 2);
}

// ---------------------------------------------------------------- 4. copy

void MeasureCopy(const Options& o, const std::string& root, const XtsLimit& limit) {
  constexpr unsigned kThreads = 2;
  const uint64_t bytes = std::max<uint64_t>(o.copy_mib * kMiB, kChunkSize) / kChunkSize * kChunkSize;
  const std::string S = "4. copy with re-encryption: snapshot of " + std::to_string(bytes / kMiB) +
                        " MiB fully written, " + std::to_string(kThreads) + " threads";
  std::fprintf(stderr, "[%s]\n", S.c_str());
  Bed bed(root + "/copy");
  SecretBytes source_key = NewKey();
  SecretBytes target_key = NewKey();
  VolumeId id = Take(bed.engine->CreateVolume(RoundUpGiB(bytes), &source_key), "create volume");
  auto volume = Take(bed.engine->OpenVolume(id, &source_key), "open volume");
  std::vector<uint8_t> data(kMiB);
  FillPattern(data, 31);
  SeqWrite(*volume, bytes, data);
  auto snapshot = Take(bed.engine->CreateSnapshot(id), "create snapshot");

  auto run = [&]() -> double {
    auto t0 = Clock::now();
    auto job = Take(bed.engine->StartCopy(snapshot, &target_key, false), "StartCopy");
    kura::blocks::CopyOptions options;
    options.threads = kThreads;
    auto result = Take(bed.engine->RunCopy(job, &source_key, &target_key, options), "RunCopy");
    double gbs = bytes / Seconds(Clock::now() - t0) / 1e9;
    if (result.chunks_copied != bytes / kChunkSize) {
      throw std::runtime_error("copy: " + std::to_string(result.chunks_copied) + " chunks copied, expected " +
                               std::to_string(bytes / kChunkSize));
    }
    Check(bed.engine->DeleteSnapshot(result.id), "delete copied snapshot");  // keep tmpfs small
    return gbs;
  };
  double gbs = MedianOf(o.reps, !o.quick, run);
  double copy_limit = limit.enc1 / 2 * kThreads;
  AddRow(S, "copy limit: xts1 / 2 (dec+enc) x 2 threads", copy_limit, "GB/s");
  AddRow(S, "StartCopy + RunCopy", gbs, "GB/s",
         Pct(gbs / copy_limit) + " of limit, " + Pct(gbs / (limit.enc2 / 2)) + " of xts2/2", ">= 60%",
         gbs >= 0.6 * copy_limit);
  volume.reset();
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseOptions(argc, argv);
  std::string root, disk_root;
  try {
    std::filesystem::create_directories(o.dir);
    std::string templ = o.dir + "/kura-bench-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) {
      throw std::runtime_error("mkdtemp in " + o.dir + ": " + std::strerror(errno));
    }
    root = templ;
    std::fprintf(stderr, "engine_bench: data in %s%s, %u cores\n", root.c_str(), o.quick ? " (quick)" : "",
                 std::thread::hardware_concurrency());

    auto t0 = Clock::now();
    XtsLimit limit = MeasureXts(o);  // always: the other parts' ratios need it
    if (o.Runs("io")) {
      MeasureIo(o, root, limit, "tmpfs (" + o.dir + ")", false);
      // On the disk a block store really lives on, flush waits for the device:
      // the ratio there is the one users see.
      std::string disk_templ = o.disk_dir + "/kura-bench-disk-XXXXXX";
      std::filesystem::create_directories(o.disk_dir);
      if (::mkdtemp(disk_templ.data()) == nullptr) {
        throw std::runtime_error("mkdtemp in " + o.disk_dir + ": " + std::strerror(errno));
      }
      disk_root = disk_templ;
      MeasureIo(o, disk_root, limit, "disk (" + o.disk_dir + "), reads from the device", true);
      std::error_code ec;
      std::filesystem::remove_all(disk_root, ec);
      disk_root.clear();
    }
    if (o.Runs("snapshot")) MeasureSnapshots(o, root);
    if (o.Runs("copy")) MeasureCopy(o, root, limit);
    PrintTable();
    std::printf(
        "\nratios: unenc = the same figure unencrypted; xts1/xts2 = the XTS limit, 1/2 threads (decrypt for\n"
        "reads); p+x = the serial bound 1/(1/unenc + 1/xts1), one thread doing the unencrypted path plus XTS;\n"
        "copy limit = xts1 / 2 x threads. Data dir %s; total %.1f s; medians where repeated. Machines are\n"
        "shared: compare ratios within one run. Targets never fail the run.\n",
        o.dir.c_str(), Seconds(Clock::now() - t0));
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "engine_bench: error: %s\n", e.what());
    std::error_code ec;
    if (!root.empty()) std::filesystem::remove_all(root, ec);
    if (!disk_root.empty()) std::filesystem::remove_all(disk_root, ec);
    return 1;
  }
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  return 0;
}
