#include "ec2/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "meta/testing/backend_test.h"

namespace kura::ec2 {
namespace {

// A Database around SQLite that can hold the committer at Begin() (a gate,
// so tests control grouping without timing) and make every Commit() fail.
class TestDatabase : public meta::Database {
 public:
  explicit TestDatabase(std::shared_ptr<meta::Database> inner) : inner_(std::move(inner)) {}

  base::Result<std::unique_ptr<meta::Transaction>> Begin() override {
    {
      std::unique_lock lock(mu_);
      ++waiting_;
      changed_.notify_all();
      changed_.wait(lock, [&] { return open_; });
      --waiting_;
    }
    KURA_ASSIGN_OR_RETURN(auto txn, inner_->Begin());
    return std::unique_ptr<meta::Transaction>(std::make_unique<Txn>(std::move(txn), this));
  }
  base::Result<meta::Rows> Query(std::string_view sql, const meta::Params& params) override {
    return inner_->Query(sql, params);
  }
  std::string_view Dialect() const override { return inner_->Dialect(); }

  void Close() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    changed_.notify_all();
  }
  // Returns once the committer is held at the closed gate.
  void AwaitBlockedBegin() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return waiting_ > 0; });
  }
  std::atomic<bool> fail_commits{false};

 private:
  class Txn : public meta::Transaction {
   public:
    Txn(std::unique_ptr<meta::Transaction> inner, TestDatabase* db) : inner_(std::move(inner)), db_(db) {}
    base::Status Exec(std::string_view sql, const meta::Params& params) override { return inner_->Exec(sql, params); }
    base::Result<meta::Rows> Query(std::string_view sql, const meta::Params& params) override {
      return inner_->Query(sql, params);
    }
    int64_t ChangedRows() override { return inner_->ChangedRows(); }
    // Failing leaves inner_ uncommitted: its destructor rolls back.
    base::Status Commit() override {
      if (db_->fail_commits) return base::ResourceExhaustedError("disk full");
      return inner_->Commit();
    }

   private:
    std::unique_ptr<meta::Transaction> inner_;
    TestDatabase* db_;
  };

  std::shared_ptr<meta::Database> inner_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool open_ = true;
  int waiting_ = 0;
};

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test_db_ = meta::CreateEnvironmentTestDatabase();
    if (test_db_) Reopen();
  }
  void Reopen() {
    store_.reset();
    auto db = test_db_->Open();
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::make_shared<TestDatabase>(std::shared_ptr<meta::Database>(std::move(db).value()));
    auto store = Ec2Store::Open(db_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  // What a second connection finds in the database file right now.
  int64_t RowsOnDisk() {
    auto db = test_db_->Open();
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    auto rows = (*db)->Query("SELECT COUNT(*) FROM ec2_records");
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? (*rows)[0].Int(0) : -1;
  }
  std::unique_ptr<meta::TestDatabase> test_db_;
  std::shared_ptr<TestDatabase> db_;
  std::unique_ptr<Ec2Store> store_;
};

VolumeRecord Volume(const std::string& id) {
  VolumeRecord v;
  v.id = id;
  v.account = "111122223333";
  v.region = "us-east-1";
  v.zone = "us-east-1a";
  v.size_gib = 8;
  v.volume_type = "gp3";
  v.iops = 3000;
  v.encrypted = true;
  v.encryption.kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/k";
  v.encryption.wrapped_key = {1, 2, 3, 250};
  v.encryption.context_id = id;
  v.state = VolumeState::kInUse;
  v.tags = {{"Name", "data"}};
  v.attachment = VolumeAttachment{"i-1", "/dev/sdf", AttachmentState::kAttached, 42, true};
  v.requester.principal.arn = "arn:aws:iam::111122223333:user/alice";
  v.requester.principal.user_name = "alice";
  return v;
}

TEST_F(StoreTest, RecordsSurviveAReopen) {
  InstanceRecord i;
  i.id = "i-1";
  i.account = "111122223333";
  i.region = "us-east-1";
  i.state = InstanceState::kRunning;
  i.state_reason = StateReason{"pending", "pending"};
  i.block_devices = {{"/dev/sdf", "vol-1", "attached", 42, true}};
  BlockDeviceMapping m;
  m.device_name = "/dev/xvda";
  m.ebs = EbsBlockDevice{};
  m.ebs->snapshot_id = "snap-1";
  m.ebs->encrypted = true;
  i.launch_mappings = {m};
  SettingsRecord s{"111122223333", "us-east-1", {true, "arn:aws:kms:us-east-1:111122223333:key/k"}};
  Batch batch;
  batch.Put(Volume("vol-1"));
  batch.Put(i);
  batch.Put(s);
  ASSERT_TRUE(store_->Apply(batch).ok());
  Reopen();

  const auto* v = store_->Find<VolumeRecord>("vol-1");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->encryption.wrapped_key, (std::vector<uint8_t>{1, 2, 3, 250}));
  EXPECT_EQ(v->state, VolumeState::kInUse);
  EXPECT_EQ(v->iops, 3000);
  EXPECT_FALSE(v->throughput.has_value());
  ASSERT_TRUE(v->attachment.has_value());
  EXPECT_EQ(v->attachment->device, "/dev/sdf");
  EXPECT_EQ(v->tags, (std::vector<Tag>{{"Name", "data"}}));
  EXPECT_EQ(v->requester.principal.user_name, "alice");

  const auto* inst = store_->Find<InstanceRecord>("i-1");
  ASSERT_NE(inst, nullptr);
  ASSERT_TRUE(inst->state_reason.has_value());
  EXPECT_EQ(inst->state_reason->code, "pending");
  ASSERT_EQ(inst->launch_mappings.size(), 1u);
  EXPECT_EQ(inst->launch_mappings[0].ebs->encrypted, std::optional<bool>(true));
  EXPECT_FALSE(inst->launch_mappings[0].ebs->volume_size_gib.has_value());

  const auto* settings = store_->Find<SettingsRecord>(ScopedKey("111122223333", "us-east-1", "ebs"));
  ASSERT_NE(settings, nullptr);
  EXPECT_TRUE(settings->settings.encryption_by_default);
}

TEST_F(StoreTest, PutReplacesAndEraseRemoves) {
  ASSERT_TRUE(store_->Put(Volume("vol-1")).ok());
  auto v = Volume("vol-1");
  v.size_gib = 20;
  ASSERT_TRUE(store_->Put(v).ok());
  EXPECT_EQ(store_->Find<VolumeRecord>("vol-1")->size_gib, 20);
  EXPECT_EQ(store_->All<VolumeRecord>().size(), 1u);

  Batch erase;
  erase.Erase<VolumeRecord>("vol-1");
  ASSERT_TRUE(store_->Apply(erase).ok());
  EXPECT_EQ(store_->Find<VolumeRecord>("vol-1"), nullptr);
  Reopen();
  EXPECT_EQ(store_->Find<VolumeRecord>("vol-1"), nullptr);
}

TEST_F(StoreTest, KindsDoNotCollide) {
  SnapshotRecord s;
  s.id = "x-1";
  ASSERT_TRUE(store_->Put(s).ok());
  ASSERT_TRUE(store_->Put(Volume("x-1")).ok());
  Reopen();
  EXPECT_NE(store_->Find<SnapshotRecord>("x-1"), nullptr);
  EXPECT_NE(store_->Find<VolumeRecord>("x-1"), nullptr);
}

TEST_F(StoreTest, DeleteEverything) {
  ASSERT_TRUE(store_->Put(Volume("vol-1")).ok());
  ASSERT_TRUE(store_->DeleteEverything().ok());
  EXPECT_TRUE(store_->All<VolumeRecord>().empty());
  Reopen();
  EXPECT_TRUE(store_->All<VolumeRecord>().empty());
}

TEST_F(StoreTest, WaitDurableMeansOnDisk) {
  ASSERT_TRUE(store_->Put(Volume("vol-1")).ok());
  ASSERT_TRUE(store_->Put(Volume("vol-2")).ok());
  ASSERT_TRUE(store_->WaitDurable().ok());
  EXPECT_EQ(RowsOnDisk(), 2);  // the store is still open: no flush on close involved
}

TEST_F(StoreTest, MemoryShowsABatchBeforeItIsDurable) {
  db_->Close();
  ASSERT_TRUE(store_->Put(Volume("vol-1")).ok());
  EXPECT_NE(store_->Find<VolumeRecord>("vol-1"), nullptr);
  db_->AwaitBlockedBegin();
  EXPECT_EQ(RowsOnDisk(), 0);
  db_->Open();
  ASSERT_TRUE(store_->WaitDurable().ok());
  EXPECT_EQ(RowsOnDisk(), 1);
}

TEST_F(StoreTest, BatchesFromManyThreadsCommitTogether) {
  // The committer is held at its first Begin(); everything applied meanwhile
  // must then go in one more transaction, not one each.
  const uint64_t before = store_->commits();
  db_->Close();
  std::mutex owner_lock;  // Ec2Service::mu_'s part: Apply under the owner's lock
  ASSERT_TRUE(store_->Put(Volume("vol-first")).ok());
  db_->AwaitBlockedBegin();
  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::lock_guard lock(owner_lock);
        if (!store_->Put(Volume("vol-" + std::to_string(t) + "-" + std::to_string(i))).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  db_->Open();
  ASSERT_TRUE(store_->WaitDurable().ok());
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(store_->commits() - before, 2u);
  EXPECT_EQ(RowsOnDisk(), 1 + kThreads * kPerThread);
}

TEST_F(StoreTest, OrderIsKeptWithinAndAcrossCommits) {
  db_->Close();
  for (int size = 1; size <= 40; ++size) {
    auto v = Volume("vol-1");
    v.size_gib = size;
    ASSERT_TRUE(store_->Put(v).ok());
    if (size == 20) {
      Batch erase;
      erase.Erase<VolumeRecord>("vol-1");
      ASSERT_TRUE(store_->Apply(erase).ok());
    }
  }
  Batch erase_last;
  ASSERT_TRUE(store_->Put(Volume("vol-2")).ok());
  erase_last.Erase<VolumeRecord>("vol-2");
  ASSERT_TRUE(store_->Apply(erase_last).ok());
  db_->Open();
  Reopen();
  ASSERT_NE(store_->Find<VolumeRecord>("vol-1"), nullptr);
  EXPECT_EQ(store_->Find<VolumeRecord>("vol-1")->size_gib, 40);
  EXPECT_EQ(store_->Find<VolumeRecord>("vol-2"), nullptr);
}

TEST_F(StoreTest, AFailedCommitFailsTheStore) {
  ASSERT_TRUE(store_->Put(Volume("vol-kept")).ok());
  ASSERT_TRUE(store_->WaitDurable().ok());
  db_->fail_commits = true;
  ASSERT_TRUE(store_->Put(Volume("vol-lost")).ok());  // memory only, so far
  const base::Status waited = store_->WaitDurable();
  EXPECT_EQ(waited.code(), base::StatusCode::kResourceExhausted) << waited.ToString();
  EXPECT_FALSE(store_->Put(Volume("vol-after")).ok());
  EXPECT_FALSE(store_->DeleteEverything().ok());
  EXPECT_FALSE(store_->WaitDurable().ok());
  EXPECT_EQ(store_->Find<VolumeRecord>("vol-after"), nullptr);
  db_->fail_commits = false;
  Reopen();  // the database holds exactly what was committed
  EXPECT_NE(store_->Find<VolumeRecord>("vol-kept"), nullptr);
  EXPECT_EQ(store_->Find<VolumeRecord>("vol-lost"), nullptr);
  EXPECT_TRUE(store_->Put(Volume("vol-again")).ok());
  EXPECT_TRUE(store_->WaitDurable().ok());
}

TEST_F(StoreTest, ClientTokenIndex) {
  auto v = Volume("vol-1");
  v.client_token = "t1";
  ASSERT_TRUE(store_->Put(v).ok());
  const auto* found = store_->FindVolumeByClientToken(v.account, v.region, "t1");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->id, "vol-1");
  EXPECT_EQ(store_->FindVolumeByClientToken(v.account, "ap-northeast-1", "t1"), nullptr);
  EXPECT_EQ(store_->FindVolumeByClientToken("999999999999", v.region, "t1"), nullptr);
  Reopen();  // rebuilt from the database
  EXPECT_NE(store_->FindVolumeByClientToken(v.account, v.region, "t1"), nullptr);
  Batch erase;
  erase.Erase<VolumeRecord>("vol-1");
  ASSERT_TRUE(store_->Apply(erase).ok());
  EXPECT_EQ(store_->FindVolumeByClientToken(v.account, v.region, "t1"), nullptr);
  ASSERT_TRUE(store_->Put(v).ok());
  ASSERT_TRUE(store_->DeleteEverything().ok());
  EXPECT_EQ(store_->FindVolumeByClientToken(v.account, v.region, "t1"), nullptr);
}

}  // namespace
}  // namespace kura::ec2
