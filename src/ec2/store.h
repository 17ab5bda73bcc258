// Ec2Store: where EC2/EBS/ELB metadata is kept. Every record lives in the
// metadata database (table ec2_records: kind, key, account, region and the
// record as a JSON document) and, for fast Describe* calls, in memory.
//
// Group commit. Apply() changes memory at once and queues the batch; a
// committer thread writes every queued batch in one transaction (one fsync),
// in the order Apply saw them, so the database always holds a prefix of what
// memory went through. A batch stays all-or-nothing (an attach changes a
// volume and an instance together, or neither). WaitDurable() returns once
// everything applied before it is committed.
//
// Consistency: memory may show a batch a few milliseconds before it is
// durable, so another request can see it (read-uncommitted, much like AWS's
// eventual consistency), but nobody may be told that a write succeeded before
// WaitDurable() says so: the API providers wait after every write operation,
// and work that does something irreversible because of a record (deleting a
// block volume once its record says "deleting") waits first too.
//
// Failure: when a commit fails (disk full, I/O error), the store is failed
// for good: WaitDurable() for anything not yet durable and every later
// Apply()/DeleteEverything() return that error, nothing more is written, and
// memory (which holds the lost batches) is not to be trusted; the next start
// reloads from the database, which holds exactly what was committed.
//
// Thread-safety: Find, All, Apply, Put and DeleteEverything are called under
// the owner's lock (Ec2Service::mu_), which also guards memory. WaitDurable
// and Flush are safe from any thread and must be called WITHOUT that lock
// held, so that other requests keep filling the next commit meanwhile.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

#include "base/status.h"
#include "ec2/types.h"
#include "meta/database.h"

namespace kura::ec2 {

// EbsSettings with the scope they belong to.
struct SettingsRecord {
  std::string account;
  std::string region;
  EbsSettings settings;
};

using AnyRecord = std::variant<VolumeRecord, SnapshotRecord, ImageRecord, InstanceRecord, AddressRecord,
                               LoadBalancerRecord, SettingsRecord>;

// The store key of each record kind (ids are unique; load balancer names and
// settings are scoped by account and region).
std::string KeyOf(const VolumeRecord& r);
std::string KeyOf(const SnapshotRecord& r);
std::string KeyOf(const ImageRecord& r);
std::string KeyOf(const InstanceRecord& r);
std::string KeyOf(const AddressRecord& r);
std::string KeyOf(const LoadBalancerRecord& r);
std::string KeyOf(const SettingsRecord& r);
std::string ScopedKey(const std::string& account, const std::string& region, const std::string& name);

struct Batch {
  std::vector<AnyRecord> puts;
  // (kind index in AnyRecord, key): e.g. {0, "vol-…"} erases a volume.
  std::vector<std::pair<size_t, std::string>> erases;

  template <typename T>
  void Put(T record) { puts.emplace_back(std::move(record)); }
  template <typename T>
  void Erase(const std::string& key) { erases.emplace_back(AnyRecord(std::in_place_type<T>).index(), key); }
  bool empty() const { return puts.empty() && erases.empty(); }
};

class Ec2Store {
 public:
  // Applies the "ec2" schema migrations, loads every record and starts the committer.
  static base::Result<std::unique_ptr<Ec2Store>> Open(std::shared_ptr<meta::Database> db);
  ~Ec2Store();  // Flush(), then stops the committer

  template <typename T>
  const T* Find(const std::string& key) const {
    const auto& table = std::get<Table<T>>(tables_);
    auto it = table.find(key);
    return it == table.end() ? nullptr : &it->second;
  }
  // Ordered by key, which is also the order of Describe* pages.
  template <typename T>
  const std::map<std::string, T>& All() const { return std::get<Table<T>>(tables_); }
  // The caller's volume made with CreateVolume's ClientToken `token`, or
  // nullptr: an index, as a scan of every volume per create costs too much.
  const VolumeRecord* FindVolumeByClientToken(const std::string& account, const std::string& region,
                                              const std::string& token) const;

  // Memory now, the database with the next commit (see above). Fails only
  // when the store is failed.
  base::Status Apply(Batch batch);
  template <typename T>
  base::Status Put(T record) {
    Batch b;
    b.Put(std::move(record));
    return Apply(std::move(b));
  }

  // Test harnesses (POST /_kura/reset): every record, queued like a batch
  // (after everything applied before it).
  base::Status DeleteEverything();

  // Waits until everything applied before the call is committed; the commit
  // error when the store failed first. Without the owner's lock.
  base::Status WaitDurable();
  // WaitDurable for everything, also batches applied while it waits (shutdown).
  base::Status Flush();

  // Transactions committed so far (tests: how well batches are grouped).
  uint64_t commits() const;

 private:
  template <typename T>
  using Table = std::map<std::string, T>;
  // One queued change: a batch, or (DeleteEverything) the whole table.
  struct Pending {
    Batch batch;
    bool erase_everything = false;
  };

  explicit Ec2Store(std::shared_ptr<meta::Database> db) : db_(std::move(db)) {}
  base::Status Load();
  template <typename T>
  void PutInMemory(const T& record);
  void UnindexToken(const VolumeRecord& v);  // drops `v` from volume_tokens_
  void EraseFromMemory(size_t kind, const std::string& key);
  template <size_t I>
  void EraseAt(size_t kind, const std::string& key);
  void ClearMemory();
  // Queues `pending` (queue_mu_ taken here); the store's failure if any.
  base::Status Enqueue(Pending pending);
  base::Status WaitFor(uint64_t seq);
  // The committer thread: takes everything queued, writes it in one transaction.
  void CommitLoop();
  base::Status Write(const std::vector<Pending>& work);

  std::shared_ptr<meta::Database> db_;
  // Memory; guarded by the owner's lock.
  std::tuple<Table<VolumeRecord>, Table<SnapshotRecord>, Table<ImageRecord>, Table<InstanceRecord>,
             Table<AddressRecord>, Table<LoadBalancerRecord>, Table<SettingsRecord>>
      tables_;
  // ScopedKey(account, region, client token) -> ids of the volumes made with it.
  std::unordered_map<std::string, std::set<std::string>> volume_tokens_;

  // The commit queue; guarded by queue_mu_ (never taken while waiting for the database).
  mutable std::mutex queue_mu_;
  std::condition_variable queued_cv_;   // committer: work or stop
  std::condition_variable durable_cv_;  // waiters: durable_ moved or failed
  std::vector<Pending> queue_;
  uint64_t applied_ = 0;   // sequence number of the last queued change
  uint64_t durable_ = 0;   // every change up to this one is committed
  uint64_t commits_ = 0;
  base::Status failure_ = base::Status::Ok();
  bool stopping_ = false;
  std::thread committer_;
};

}  // namespace kura::ec2
