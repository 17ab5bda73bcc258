#include "blocks/catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "meta/migrations.h"

namespace kura::blocks {

namespace {

constexpr meta::Migration kMigrations[] = {
    {1, "block engine tables",
     R"sql(
CREATE TABLE blocks_lineages (
  id INTEGER PRIMARY KEY,
  size_bytes INTEGER NOT NULL,
  encrypted INTEGER NOT NULL,
  key_check BLOB,
  generation INTEGER NOT NULL,
  live INTEGER NOT NULL,
  parent_lineage INTEGER REFERENCES blocks_lineages(id),
  parent_generation INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX blocks_lineages_parent ON blocks_lineages(parent_lineage, parent_generation);
CREATE TABLE blocks_chunks (
  lineage INTEGER NOT NULL REFERENCES blocks_lineages(id),
  chunk_index INTEGER NOT NULL,
  generation INTEGER NOT NULL,
  object_id INTEGER NOT NULL,
  PRIMARY KEY (lineage, chunk_index, generation)
);
CREATE TABLE blocks_snapshots (
  id INTEGER PRIMARY KEY,
  lineage INTEGER NOT NULL REFERENCES blocks_lineages(id),
  generation INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX blocks_snapshots_lineage ON blocks_snapshots(lineage, generation);
CREATE TABLE blocks_copy_jobs (
  id INTEGER PRIMARY KEY,
  source_lineage INTEGER NOT NULL REFERENCES blocks_lineages(id),
  source_generation INTEGER NOT NULL,
  target_lineage INTEGER NOT NULL REFERENCES blocks_lineages(id),
  target_is_volume INTEGER NOT NULL,
  next_chunk INTEGER NOT NULL,
  done INTEGER NOT NULL,
  result_id INTEGER NOT NULL
);
CREATE TABLE blocks_garbage (object_id INTEGER PRIMARY KEY);
CREATE TABLE blocks_counters (name TEXT PRIMARY KEY, next_value INTEGER NOT NULL);
INSERT INTO blocks_counters (name, next_value) VALUES ('object_id', 1);
)sql"},
};

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

LineageRecord LineageFromRow(const meta::Row& row) {
  LineageRecord r;
  r.id = row.Int(0);
  r.size_bytes = static_cast<uint64_t>(row.Int(1));
  r.encrypted = row.Int(2) != 0;
  if (!row.IsNull(3)) r.key_check = row.BlobAt(3);
  r.generation = row.Int(4);
  r.live = row.Int(5) != 0;
  if (!row.IsNull(6)) r.parent_lineage = row.Int(6);
  r.parent_generation = row.Int(7);
  return r;
}
constexpr std::string_view kLineageColumns =
    "id, size_bytes, encrypted, key_check, generation, live, parent_lineage, parent_generation";

SnapshotRecord SnapshotFromRow(const meta::Row& row) {
  return SnapshotRecord{row.Int(0), row.Int(1), row.Int(2), static_cast<uint64_t>(row.Int(3))};
}
constexpr std::string_view kSnapshotColumns = "id, lineage, generation, size_bytes";

CopyJobRecord CopyJobFromRow(const meta::Row& row) {
  CopyJobRecord r;
  r.id = row.Int(0);
  r.source_lineage = row.Int(1);
  r.source_generation = row.Int(2);
  r.target_lineage = row.Int(3);
  r.target_is_volume = row.Int(4) != 0;
  r.next_chunk = static_cast<uint64_t>(row.Int(5));
  r.done = row.Int(6) != 0;
  r.result_id = row.Int(7);
  return r;
}
constexpr std::string_view kCopyJobColumns =
    "id, source_lineage, source_generation, target_lineage, target_is_volume, next_chunk, done, result_id";

meta::Value Int(uint64_t v) { return static_cast<int64_t>(v); }

}  // namespace

Catalog::Catalog(std::shared_ptr<meta::Database> db) : db_(std::move(db)) {}

base::Status Catalog::Migrate() { return meta::ApplyMigrations(*db_, "blocks", kMigrations); }

base::Result<LineageRecord> Catalog::GetLineage(int64_t id) {
  KURA_ASSIGN_OR_RETURN(auto rows,
                        db_->Query(fmt::format("SELECT {} FROM blocks_lineages WHERE id = ?", kLineageColumns), {id}));
  if (rows.empty()) return base::NotFoundError(fmt::format("volume lineage {} does not exist", id));
  return LineageFromRow(rows[0]);
}

base::Result<std::vector<LineageRecord>> Catalog::ListLineages() {
  KURA_ASSIGN_OR_RETURN(auto rows,
                        db_->Query(fmt::format("SELECT {} FROM blocks_lineages ORDER BY id", kLineageColumns)));
  std::vector<LineageRecord> out;
  for (const auto& row : rows) out.push_back(LineageFromRow(row));
  return out;
}

base::Result<SnapshotRecord> Catalog::GetSnapshot(int64_t id) {
  KURA_ASSIGN_OR_RETURN(
      auto rows, db_->Query(fmt::format("SELECT {} FROM blocks_snapshots WHERE id = ?", kSnapshotColumns), {id}));
  if (rows.empty()) return base::NotFoundError(fmt::format("snapshot {} does not exist", id));
  return SnapshotFromRow(rows[0]);
}

base::Result<std::vector<SnapshotRecord>> Catalog::ListSnapshots() {
  KURA_ASSIGN_OR_RETURN(auto rows,
                        db_->Query(fmt::format("SELECT {} FROM blocks_snapshots ORDER BY id", kSnapshotColumns)));
  std::vector<SnapshotRecord> out;
  for (const auto& row : rows) out.push_back(SnapshotFromRow(row));
  return out;
}

base::Result<int64_t> Catalog::InsertLineage(meta::Transaction& txn, const LineageRecord& r) {
  meta::Value key_check = meta::Null{};
  if (!r.key_check.empty()) key_check = r.key_check;
  meta::Value parent = meta::Null{};
  if (r.parent_lineage) parent = *r.parent_lineage;
  KURA_ASSIGN_OR_RETURN(int64_t id, NextId(txn, "blocks_lineages"));
  KURA_RETURN_IF_ERROR(txn.Exec(
      "INSERT INTO blocks_lineages (id, size_bytes, encrypted, key_check, generation, live, parent_lineage, "
      "parent_generation, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {id, Int(r.size_bytes), int64_t{r.encrypted}, key_check, r.generation, int64_t{r.live}, parent,
       r.parent_generation, Now()}));
  return id;
}

base::Result<SnapshotId> Catalog::InsertSnapshot(int64_t lineage, int64_t generation, uint64_t size_bytes) {
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  KURA_ASSIGN_OR_RETURN(SnapshotId id, InsertSnapshot(*txn, lineage, generation, size_bytes));
  KURA_RETURN_IF_ERROR(txn->Commit());
  return id;
}

base::Result<SnapshotId> Catalog::InsertSnapshot(meta::Transaction& txn, int64_t lineage, int64_t generation,
                                                 uint64_t size_bytes) {
  KURA_ASSIGN_OR_RETURN(int64_t id, NextId(txn, "blocks_snapshots"));
  KURA_RETURN_IF_ERROR(txn.Exec("INSERT INTO blocks_snapshots (id, lineage, generation, size_bytes, created_at) "
                                "VALUES (?, ?, ?, ?, ?)",
                                {id, lineage, generation, Int(size_bytes), Now()}));
  KURA_RETURN_IF_ERROR(
      txn.Exec("UPDATE blocks_lineages SET generation = ? WHERE id = ?", {generation + 1, lineage}));
  return id;
}

base::Result<ReadChain> Catalog::ChainFor(int64_t lineage, int64_t generation) {
  ReadChain chain;
  std::optional<int64_t> next = lineage;
  int64_t max_generation = generation;
  while (next) {
    KURA_ASSIGN_OR_RETURN(auto record, GetLineage(*next));
    chain.push_back({record.id, max_generation});
    next = record.parent_lineage;
    max_generation = record.parent_generation;
  }
  return chain;
}

base::Result<ResolvedChunk> Catalog::Resolve(const ReadChain& chain, uint64_t index) {
  for (const auto& level : chain) {
    KURA_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT generation, object_id FROM blocks_chunks WHERE lineage = ? "
                                                "AND chunk_index = ? AND generation <= ? "
                                                "ORDER BY generation DESC LIMIT 1",
                                                {level.lineage, Int(index), level.max_generation}));
    if (!rows.empty()) {
      return ResolvedChunk{static_cast<ObjectId>(rows[0].Int(1)), level.lineage, rows[0].Int(0)};
    }
  }
  return ResolvedChunk{};
}

base::Result<std::vector<uint64_t>> Catalog::IndicesWithEntries(const ReadChain& chain, uint64_t first,
                                                                 uint64_t last) {
  std::vector<uint64_t> out;
  for (const auto& level : chain) {
    KURA_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT DISTINCT chunk_index FROM blocks_chunks WHERE lineage = ? "
                                                "AND generation <= ? AND chunk_index >= ? AND chunk_index < ?",
                                                {level.lineage, level.max_generation, Int(first), Int(last)}));
    for (const auto& row : rows) out.push_back(static_cast<uint64_t>(row.Int(0)));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

base::Result<ObjectId> Catalog::ReserveObjectIds(uint64_t count) {
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  KURA_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT next_value FROM blocks_counters WHERE name = 'object_id'"));
  if (rows.empty()) return base::InternalError("blocks_counters has no object_id row");
  int64_t first = rows[0].Int(0);
  KURA_RETURN_IF_ERROR(txn->Exec("UPDATE blocks_counters SET next_value = ? WHERE name = 'object_id'",
                                 {first + static_cast<int64_t>(count)}));
  KURA_RETURN_IF_ERROR(txn->Commit());
  return static_cast<ObjectId>(first);
}

base::Status Catalog::PutEntries(meta::Transaction& txn, int64_t lineage, int64_t generation,
                                 const std::vector<std::pair<uint64_t, ObjectId>>& entries) {
  for (const auto& [index, object] : entries) {
    KURA_RETURN_IF_ERROR(txn.Exec(
        "INSERT INTO blocks_chunks (lineage, chunk_index, generation, object_id) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (lineage, chunk_index, generation) DO UPDATE SET object_id = excluded.object_id",
        {lineage, Int(index), generation, Int(object)}));
  }
  return base::Status::Ok();
}

base::Result<std::vector<int64_t>> Catalog::Readers(meta::Transaction& txn, int64_t lineage) {
  std::vector<int64_t> readers;
  KURA_ASSIGN_OR_RETURN(auto live, txn.Query("SELECT generation FROM blocks_lineages WHERE id = ? AND live = 1",
                                             {lineage}));
  for (const auto& row : live) readers.push_back(row.Int(0));
  KURA_ASSIGN_OR_RETURN(auto snaps, txn.Query("SELECT generation FROM blocks_snapshots WHERE lineage = ?", {lineage}));
  for (const auto& row : snaps) readers.push_back(row.Int(0));
  KURA_ASSIGN_OR_RETURN(auto children, txn.Query("SELECT parent_generation FROM blocks_lineages "
                                                 "WHERE parent_lineage = ?",
                                                 {lineage}));
  for (const auto& row : children) readers.push_back(row.Int(0));
  KURA_ASSIGN_OR_RETURN(auto copies, txn.Query("SELECT source_generation FROM blocks_copy_jobs "
                                               "WHERE source_lineage = ? AND done = 0",
                                               {lineage}));
  for (const auto& row : copies) readers.push_back(row.Int(0));
  // An unfinished copy writes its target at generation 0.
  KURA_ASSIGN_OR_RETURN(auto targets, txn.Query("SELECT 0 FROM blocks_copy_jobs WHERE target_lineage = ? AND done = 0",
                                                {lineage}));
  if (!targets.empty()) readers.push_back(0);
  std::sort(readers.begin(), readers.end());
  readers.erase(std::unique(readers.begin(), readers.end()), readers.end());
  return readers;
}

base::Result<std::vector<ChunkEntry>> Catalog::Entries(meta::Transaction& txn, int64_t lineage) {
  KURA_ASSIGN_OR_RETURN(auto rows, txn.Query("SELECT chunk_index, generation, object_id FROM blocks_chunks "
                                             "WHERE lineage = ? ORDER BY chunk_index, generation",
                                             {lineage}));
  std::vector<ChunkEntry> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    out.push_back({static_cast<uint64_t>(row.Int(0)), row.Int(1), static_cast<ObjectId>(row.Int(2))});
  }
  return out;
}

base::Result<CopyJobRecord> Catalog::GetCopyJob(int64_t id) {
  KURA_ASSIGN_OR_RETURN(
      auto rows, db_->Query(fmt::format("SELECT {} FROM blocks_copy_jobs WHERE id = ?", kCopyJobColumns), {id}));
  if (rows.empty()) return base::NotFoundError(fmt::format("copy job {} does not exist", id));
  return CopyJobFromRow(rows[0]);
}

base::Result<std::vector<CopyJobRecord>> Catalog::ListCopyJobs(bool unfinished_only) {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query(fmt::format("SELECT {} FROM blocks_copy_jobs {} ORDER BY id",
                                                          kCopyJobColumns, unfinished_only ? "WHERE done = 0" : "")));
  std::vector<CopyJobRecord> out;
  for (const auto& row : rows) out.push_back(CopyJobFromRow(row));
  return out;
}

base::Status Catalog::AddGarbage(meta::Transaction& txn, const std::vector<ObjectId>& objects) {
  for (ObjectId object : objects) {
    if (object == kZeroObject) continue;
    KURA_RETURN_IF_ERROR(
        txn.Exec("INSERT INTO blocks_garbage (object_id) VALUES (?) ON CONFLICT (object_id) DO NOTHING",
                 {Int(object)}));
  }
  return base::Status::Ok();
}

base::Result<std::vector<ObjectId>> Catalog::ListGarbage() {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT object_id FROM blocks_garbage ORDER BY object_id"));
  std::vector<ObjectId> out;
  for (const auto& row : rows) out.push_back(static_cast<ObjectId>(row.Int(0)));
  return out;
}

base::Status Catalog::ForgetGarbage(const std::vector<ObjectId>& objects) {
  KURA_ASSIGN_OR_RETURN(auto txn, db_->Begin());
  for (ObjectId object : objects) {
    KURA_RETURN_IF_ERROR(txn->Exec("DELETE FROM blocks_garbage WHERE object_id = ?", {Int(object)}));
  }
  return txn->Commit();
}

base::Status Catalog::DeleteAll(meta::Transaction& txn) {
  KURA_ASSIGN_OR_RETURN(auto rows, txn.Query("SELECT DISTINCT object_id FROM blocks_chunks WHERE object_id <> 0"));
  std::vector<ObjectId> objects;
  objects.reserve(rows.size());
  for (const auto& row : rows) objects.push_back(static_cast<ObjectId>(row.Int(0)));
  KURA_RETURN_IF_ERROR(txn.Exec("DELETE FROM blocks_chunks"));
  KURA_RETURN_IF_ERROR(txn.Exec("DELETE FROM blocks_copy_jobs"));
  KURA_RETURN_IF_ERROR(txn.Exec("DELETE FROM blocks_snapshots"));
  KURA_RETURN_IF_ERROR(txn.Exec("DELETE FROM blocks_lineages"));
  return AddGarbage(txn, objects);
}

base::Result<std::vector<ObjectId>> Catalog::ReferencedObjects() {
  KURA_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT object_id FROM blocks_chunks WHERE object_id <> 0"));
  std::vector<ObjectId> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(static_cast<ObjectId>(row.Int(0)));
  std::sort(out.begin(), out.end());
  return out;
}

base::Result<int64_t> Catalog::NextId(meta::Transaction& txn, std::string_view table) {
  KURA_ASSIGN_OR_RETURN(auto rows, txn.Query(fmt::format("SELECT COALESCE(MAX(id), 0) + 1 FROM {}", table)));
  return rows[0].Int(0);
}

}  // namespace kura::blocks
