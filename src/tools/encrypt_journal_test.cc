#include "tools/encrypt_journal.h"

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

namespace kura::tools {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/kura-journal-test-XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  EXPECT_NE(dir, nullptr);
  return std::string(dir) + "/nested/encrypt";  // Save creates what is missing
}

Journal Sample() {
  Journal j;
  j.run_id = "0123456789abcdef0123456789abcdef";
  j.method = EncryptMethod::kSnapshot;
  j.region = "us-east-1";
  j.kms_key_id = "arn:aws:kms:us-east-1:111122223333:key/k";
  j.stop_instance = true;
  JournalInstance i;
  i.instance_id = "i-1";
  i.original_state = "running";
  JournalVolume v;
  v.volume_id = "vol-1";
  v.device = "/dev/sdf";
  v.iops = 4000;
  v.tags = {{"Name", "data"}};
  v.source_snapshot_id = "snap-1";
  i.volumes = {v};
  i.steps = {{StepKind::kCreateSnapshot, "vol-1", StepStatus::kDone, Downtime::kNone},
             {StepKind::kCopySnapshot, "vol-1", StepStatus::kStarted, Downtime::kNone},
             {StepKind::kStopInstance, "", StepStatus::kPending, Downtime::kInstanceStopped}};
  i.addresses = {{"eipalloc-1", "198.51.100.7", "i-1"}};
  j.instances = {i};
  return j;
}

TEST(EncryptJournalTest, SavedJournalLoadsBackWithEveryField) {
  JournalStore store(TempDir());
  const std::string path = store.PathFor("us-east-1", {"i-1"});
  ASSERT_TRUE(store.Save(path, Sample()).ok());
  auto loaded = store.Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(JournalToJson(*loaded), JournalToJson(Sample()));
  EXPECT_EQ(loaded->instances[0].volumes[0].iops, 4000);
  EXPECT_FALSE(loaded->instances[0].volumes[0].throughput.has_value());
  EXPECT_EQ(loaded->instances[0].steps[2].downtime, Downtime::kInstanceStopped);
  EXPECT_EQ(loaded->instances[0].addresses[0].public_ip, "198.51.100.7");
}

TEST(EncryptJournalTest, SaveReplacesAtomicallyAndPrivately) {
  JournalStore store(TempDir());
  const std::string path = store.PathFor("us-east-1", {"i-1"});
  Journal j = Sample();
  ASSERT_TRUE(store.Save(path, j).ok());
  // A crash while writing leaves at most a temp file behind: the journal itself stays whole.
  std::ofstream(path + ".tmp") << "{\"version\": 1, \"run_id\": \"torn";
  auto still = store.Load(path);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->run_id, j.run_id);
  j.state = kRunCompleted;
  ASSERT_TRUE(store.Save(path, j).ok());
  EXPECT_EQ(store.Load(path)->state, kRunCompleted);
  EXPECT_NE(::access((path + ".tmp").c_str(), F_OK), 0);  // renamed over the journal
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(EncryptJournalTest, BadFilesAreRefusedNotGuessed) {
  JournalStore store(TempDir());
  EXPECT_EQ(store.Load("/nonexistent/journal.json").status().code(), base::StatusCode::kNotFound);
  const std::string path = store.PathFor("us-east-1", {"i-1"});
  ASSERT_TRUE(store.Save(path, Sample()).ok());
  std::ofstream(path) << "not json";
  EXPECT_EQ(store.Load(path).status().code(), base::StatusCode::kDataLoss);
  std::ofstream(path) << R"({"version": 1, "instances": "not a list"})";
  EXPECT_EQ(store.Load(path).status().code(), base::StatusCode::kDataLoss);
  std::ofstream(path) << R"({"version": 2})";
  EXPECT_EQ(store.Load(path).status().code(), base::StatusCode::kDataLoss);
}

TEST(EncryptJournalTest, ResumePointIsTheFirstStepNotDone) {
  Journal j = Sample();
  Step* next = ResumePoint(j.instances[0]);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->kind, StepKind::kCopySnapshot);  // started: re-entered
  for (auto& s : j.instances[0].steps) s.status = StepStatus::kDone;
  EXPECT_EQ(ResumePoint(j.instances[0]), nullptr);
  EXPECT_NE(FindVolume(j.instances[0], "vol-1"), nullptr);
  EXPECT_EQ(FindVolume(j.instances[0], "vol-2"), nullptr);
}

TEST(EncryptJournalTest, TokensAreStablePerRunStepAndSubject) {
  Journal j = Sample();
  const std::string t = DerivedToken(j, StepKind::kCreateVolume, "vol-1");
  EXPECT_EQ(t.size(), 32u);
  EXPECT_EQ(t, DerivedToken(j, StepKind::kCreateVolume, "vol-1"));
  EXPECT_NE(t, DerivedToken(j, StepKind::kCreateVolume, "vol-2"));
  EXPECT_NE(t, DerivedToken(j, StepKind::kCopySnapshot, "vol-1"));
  Journal other = j;
  other.run_id = "ffffffffffffffffffffffffffffffff";
  EXPECT_NE(t, DerivedToken(other, StepKind::kCreateVolume, "vol-1"));
}

TEST(EncryptJournalTest, OneProcessAtATimeHoldsAJournal) {
  JournalStore store(TempDir());
  const std::string path = store.PathFor("us-east-1", {"i-1"});
  {
    auto held = store.Lock(path);
    ASSERT_TRUE(held.ok()) << held.status().ToString();
    auto again = store.Lock(path);  // another open file description: as another process would
    EXPECT_EQ(again.status().code(), base::StatusCode::kFailedPrecondition);
  }
  EXPECT_TRUE(store.Lock(path).ok());  // released with the holder
}

TEST(EncryptJournalTest, OneFilePerRegionAndInstanceSet) {
  const std::string dir = TempDir();
  JournalStore store(dir);
  EXPECT_EQ(store.PathFor("us-east-1", {"i-2", "i-1"}), dir + "/us-east-1-i-1_i-2.json");
  std::vector<std::string> many;
  for (int i = 0; i < 40; ++i) many.push_back("i-0123456789abcde" + std::to_string(i % 10) + std::to_string(i));
  const std::string long_set = store.PathFor("us-east-1", many);
  EXPECT_LT(long_set.size() - dir.size(), 64u);
  EXPECT_EQ(long_set.rfind(dir + "/us-east-1-set-", 0), 0u);
  std::reverse(many.begin(), many.end());
  EXPECT_EQ(store.PathFor("us-east-1", many), long_set);  // the same set, whatever the order
  ASSERT_TRUE(store.Save(store.PathFor("us-east-1", {"i-1"}), Sample()).ok());
  ASSERT_TRUE(store.Save(store.PathFor("ap-northeast-1", {"i-1"}), Sample()).ok());
  EXPECT_EQ(store.List("us-east-1"), std::vector<std::string>{dir + "/us-east-1-i-1.json"});
}

}  // namespace
}  // namespace kura::tools
