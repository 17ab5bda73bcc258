// Ec2Store: where EC2/EBS/ELB metadata is kept. Every record lives in the
// metadata database (table ec2_records: kind, key, account, region and the
// record as a JSON document) and, for fast Describe* calls, in memory; the
// database is written first, so what memory shows is always durable.
// Apply() writes any number of puts and erases in one transaction (an attach
// changes a volume and an instance together, or neither).
// Thread-safety: none of its own; Ec2Service calls it under its state lock.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <tuple>
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
  // Applies the "ec2" schema migrations and loads every record.
  static base::Result<std::unique_ptr<Ec2Store>> Open(std::shared_ptr<meta::Database> db);

  template <typename T>
  const T* Find(const std::string& key) const {
    const auto& table = std::get<Table<T>>(tables_);
    auto it = table.find(key);
    return it == table.end() ? nullptr : &it->second;
  }
  // Ordered by key, which is also the order of Describe* pages.
  template <typename T>
  const std::map<std::string, T>& All() const { return std::get<Table<T>>(tables_); }

  base::Status Apply(const Batch& batch);
  template <typename T>
  base::Status Put(T record) {
    Batch b;
    b.Put(std::move(record));
    return Apply(b);
  }

  // Test harnesses (POST /_kura/reset): every record, in one transaction.
  base::Status DeleteEverything();

 private:
  template <typename T>
  using Table = std::map<std::string, T>;
  explicit Ec2Store(std::shared_ptr<meta::Database> db) : db_(std::move(db)) {}
  base::Status Load();
  void EraseFromMemory(size_t kind, const std::string& key);
  template <size_t I>
  void EraseAt(size_t kind, const std::string& key);

  std::shared_ptr<meta::Database> db_;
  std::tuple<Table<VolumeRecord>, Table<SnapshotRecord>, Table<ImageRecord>, Table<InstanceRecord>,
             Table<AddressRecord>, Table<LoadBalancerRecord>, Table<SettingsRecord>>
      tables_;
};

}  // namespace kura::ec2
