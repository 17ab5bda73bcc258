#include "ec2/store.h"

#include <gtest/gtest.h>

#include "base/temp_dir.h"
#include "meta/sqlite/sqlite_database.h"

namespace kura::ec2 {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    auto db = meta::OpenSqliteDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok());
    auto store = Ec2Store::Open(std::shared_ptr<meta::Database>(std::move(db).value()));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  base::TempDir dir_;
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

}  // namespace
}  // namespace kura::ec2
