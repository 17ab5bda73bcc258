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
  return store;
}

base::Status Ec2Store::Load() {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT kind, doc FROM ec2_records"));
  for (const auto& row : rows) {
    KURA_ASSIGN_OR_RETURN(AnyRecord record, RecordFromJson(static_cast<size_t>(row.Int(0)), row.Text(1)));
    std::visit(
        [this](auto& r) {
          using T = std::decay_t<decltype(r)>;
          std::string key = KeyOf(r);
          std::get<Table<T>>(tables_)[key] = std::move(r);
        },
        record);
  }
  return base::Status::Ok();
}

base::Status Ec2Store::Apply(const Batch& batch) {
  if (batch.empty()) return base::Status::Ok();
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  for (const auto& record : batch.puts) {
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
  for (const auto& [kind, key] : batch.erases) {
    KURA_RETURN_IF_ERROR(txn->Exec("DELETE FROM ec2_records WHERE kind = ? AND record_key = ?",
                                   {static_cast<int64_t>(kind), key}));
  }
  KURA_RETURN_IF_ERROR(txn->Commit());
  // Durable: now memory may show it.
  for (const auto& record : batch.puts) {
    std::visit(
        [this](const auto& r) {
          using T = std::decay_t<decltype(r)>;
          std::get<Table<T>>(tables_)[KeyOf(r)] = r;
        },
        record);
  }
  for (const auto& [kind, key] : batch.erases) {
    EraseFromMemory(kind, key);
  }
  return base::Status::Ok();
}

template <size_t I>
void Ec2Store::EraseAt(size_t kind, const std::string& key) {
  if constexpr (I < std::variant_size_v<AnyRecord>) {
    if (kind == I) {
      std::get<I>(tables_).erase(key);
      return;
    }
    EraseAt<I + 1>(kind, key);
  }
}

void Ec2Store::EraseFromMemory(size_t kind, const std::string& key) { EraseAt<0>(kind, key); }

base::Status Ec2Store::DeleteEverything() {
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  KURA_RETURN_IF_ERROR(txn->Exec("DELETE FROM ec2_records"));
  KURA_RETURN_IF_ERROR(txn->Commit());
  std::apply([](auto&... table) { (table.clear(), ...); }, tables_);
  return base::Status::Ok();
}

}  // namespace kura::ec2
