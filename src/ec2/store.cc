#include "ec2/store.h"

#include "ec2/record_json.h"
#include "meta/migrations.h"

namespace kura::ec2 {

namespace {

constexpr meta::Migration kMigrations[] = {
    {1, "create ec2 records",
     "CREATE TABLE ec2_records (kind INTEGER NOT NULL, record_key TEXT NOT NULL, account TEXT NOT NULL, "
     "region TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (kind, record_key))"},
};

template <typename T>
const std::string& AccountOf(const T& r) { return r.account; }
template <typename T>
const std::string& RegionOf(const T& r) { return r.region; }

}  // namespace

std::string ScopedKey(const std::string& account, const std::string& region, const std::string& name) {
  return account + "/" + region + "/" + name;
}

std::string KeyOf(const VolumeRecord& r) { return r.id; }
std::string KeyOf(const SnapshotRecord& r) { return r.id; }
std::string KeyOf(const ImageRecord& r) { return r.id; }
std::string KeyOf(const InstanceRecord& r) { return r.id; }
std::string KeyOf(const AddressRecord& r) { return r.allocation_id; }
std::string KeyOf(const LoadBalancerRecord& r) { return ScopedKey(r.account, r.region, r.name); }
std::string KeyOf(const SettingsRecord& r) { return ScopedKey(r.account, r.region, "ebs"); }

base::Result<std::unique_ptr<Ec2Store>> Ec2Store::Open(std::shared_ptr<meta::Database> db) {
  KURA_RETURN_IF_ERROR(meta::ApplyMigrations(*db, "ec2", kMigrations));
  std::unique_ptr<Ec2Store> store(new Ec2Store(std::move(db)));
  KURA_RETURN_IF_ERROR(store->Load());
  store->committer_ = std::thread([s = store.get()] { s->CommitLoop(); });
  return store;
}

Ec2Store::~Ec2Store() {
  if (!committer_.joinable()) return;
  (void)Flush();
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queued_cv_.notify_all();
  committer_.join();
}

base::Status Ec2Store::Load() {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT kind, doc FROM ec2_records"));
  for (const auto& row : rows) {
    KURA_ASSIGN_OR_RETURN(AnyRecord record, RecordFromJson(static_cast<size_t>(row.Int(0)), row.Text(1)));
    std::visit([this](const auto& r) { PutInMemory(r); }, record);
  }
  return base::Status::Ok();
}

const VolumeRecord* Ec2Store::FindVolumeByClientToken(const std::string& account, const std::string& region,
                                                      const std::string& token) const {
  auto it = volume_tokens_.find(ScopedKey(account, region, token));
  // Several volumes with one token can only come from before the index; the
  // first by id is the one a scan in key order found.
  return it == volume_tokens_.end() || it->second.empty() ? nullptr : Find<VolumeRecord>(*it->second.begin());
}

void Ec2Store::UnindexToken(const VolumeRecord& v) {
  if (v.client_token.empty()) return;
  auto it = volume_tokens_.find(ScopedKey(v.account, v.region, v.client_token));
  if (it == volume_tokens_.end()) return;
  it->second.erase(v.id);
  if (it->second.empty()) volume_tokens_.erase(it);
}

template <typename T>
void Ec2Store::PutInMemory(const T& record) {
  auto& slot = std::get<Table<T>>(tables_)[KeyOf(record)];
  if constexpr (std::is_same_v<T, VolumeRecord>) {
    // A volume's token never changes, but keep the index exact whatever the caller does.
    UnindexToken(slot);
    if (!record.client_token.empty()) {
      volume_tokens_[ScopedKey(record.account, record.region, record.client_token)].insert(record.id);
    }
  }
  slot = record;
}

base::Status Ec2Store::Apply(Batch batch) {
  if (batch.empty()) return base::Status::Ok();
  {
    // A failed store takes nothing more: memory already holds lost batches.
    std::lock_guard lock(queue_mu_);
    KURA_RETURN_IF_ERROR(failure_);
  }
  for (const auto& record : batch.puts) {
    std::visit([this](const auto& r) { PutInMemory(r); }, record);
  }
  for (const auto& [kind, key] : batch.erases) {
    EraseFromMemory(kind, key);
  }
  return Enqueue(Pending{std::move(batch), false});
}

base::Status Ec2Store::DeleteEverything() {
  {
    std::lock_guard lock(queue_mu_);
    KURA_RETURN_IF_ERROR(failure_);
  }
  ClearMemory();
  return Enqueue(Pending{Batch{}, true});
}

base::Status Ec2Store::Enqueue(Pending pending) {
  {
    std::lock_guard lock(queue_mu_);
    KURA_RETURN_IF_ERROR(failure_);
    queue_.push_back(std::move(pending));
    ++applied_;
  }
  queued_cv_.notify_one();
  return base::Status::Ok();
}

base::Status Ec2Store::WaitDurable() {
  uint64_t seq;
  {
    std::lock_guard lock(queue_mu_);
    seq = applied_;
  }
  return WaitFor(seq);
}

base::Status Ec2Store::Flush() {
  // Loops because batches may keep coming while it waits.
  for (;;) {
    uint64_t seq;
    {
      std::lock_guard lock(queue_mu_);
      if (durable_ == applied_) return base::Status::Ok();
      if (!failure_.ok()) return failure_;
      seq = applied_;
    }
    KURA_RETURN_IF_ERROR(WaitFor(seq));
  }
}

base::Status Ec2Store::WaitFor(uint64_t seq) {
  std::unique_lock lock(queue_mu_);
  durable_cv_.wait(lock, [&] { return durable_ >= seq || !failure_.ok(); });
  return durable_ >= seq ? base::Status::Ok() : failure_;
}

uint64_t Ec2Store::commits() const {
  std::lock_guard lock(queue_mu_);
  return commits_;
}

void Ec2Store::CommitLoop() {
  std::vector<Pending> work;
  for (;;) {
    uint64_t upto;
    {
      std::unique_lock lock(queue_mu_);
      queued_cv_.wait(lock, [&] { return stopping_ || (!queue_.empty() && failure_.ok()); });
      if (queue_.empty() || !failure_.ok()) return;  // stopping, and nothing (more) can be written
      work.clear();
      work.swap(queue_);
      upto = applied_;
    }
    // Everything queued meanwhile waits for the next round: that is the grouping.
    base::Status written = Write(work);
    {
      std::lock_guard lock(queue_mu_);
      if (written.ok()) {
        durable_ = upto;
        ++commits_;
      } else {
        failure_ = written.WithContext("ec2 store commit");
        queue_.clear();
      }
    }
    durable_cv_.notify_all();
  }
}

base::Status Ec2Store::Write(const std::vector<Pending>& work) {
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  for (const auto& pending : work) {
    if (pending.erase_everything) {
      KURA_RETURN_IF_ERROR(txn->Exec("DELETE FROM ec2_records"));
      continue;
    }
    for (const auto& record : pending.batch.puts) {
      const auto key = std::visit([](const auto& r) { return KeyOf(r); }, record);
      const auto account = std::visit([](const auto& r) { return AccountOf(r); }, record);
      const auto region = std::visit([](const auto& r) { return RegionOf(r); }, record);
      // Portable upsert: SQLite and PostgreSQL both accept ON CONFLICT ... DO UPDATE.
      KURA_RETURN_IF_ERROR(txn->Exec(
          "INSERT INTO ec2_records (kind, record_key, account, region, doc) VALUES (?, ?, ?, ?, ?) "
          "ON CONFLICT (kind, record_key) DO UPDATE SET account = excluded.account, region = excluded.region, "
          "doc = excluded.doc",
          {static_cast<int64_t>(record.index()), key, account, region, RecordToJson(record)}));
    }
    for (const auto& [kind, key] : pending.batch.erases) {
      KURA_RETURN_IF_ERROR(txn->Exec("DELETE FROM ec2_records WHERE kind = ? AND record_key = ?",
                                     {static_cast<int64_t>(kind), key}));
    }
  }
  return txn->Commit();
}

template <size_t I>
void Ec2Store::EraseAt(size_t kind, const std::string& key) {
  if constexpr (I < std::variant_size_v<AnyRecord>) {
    if (kind == I) {
      auto& table = std::get<I>(tables_);
      if constexpr (std::is_same_v<std::variant_alternative_t<I, AnyRecord>, VolumeRecord>) {
        if (auto it = table.find(key); it != table.end()) UnindexToken(it->second);
      }
      table.erase(key);
      return;
    }
    EraseAt<I + 1>(kind, key);
  }
}

void Ec2Store::EraseFromMemory(size_t kind, const std::string& key) { EraseAt<0>(kind, key); }

void Ec2Store::ClearMemory() {
  std::apply([](auto&... table) { (table.clear(), ...); }, tables_);
  volume_tokens_.clear();
}

}  // namespace kura::ec2
