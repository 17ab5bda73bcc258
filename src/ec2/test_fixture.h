// Shared fixture for the EC2 layer's unit tests: an Ec2Service over one
// SQLite database in a temporary directory, a real block engine (local chunk
// store), a real KmsService, in-memory IAM policies and a settable clock.
// Asynchronous work runs on the real worker; WaitIdle() waits for it.
// Header-only; tests only.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/temp_dir.h"
#include "blocks/engine.h"
#include "blocks/local/local_chunk_store.h"
#include "ec2/ec2_error.h"
#include "ec2/ec2_service.h"
#include "env/filesystem.h"
#include "iam/policy.h"
#include "iam/principal.h"
#include "iam/test_principals.h"
#include "kms/kms_error.h"
#include "kms/kms_service.h"
#include "meta/sqlite/sqlite_database.h"

namespace kura::ec2::testing {

inline constexpr char kAlice[] = "111122223333";  // the main account
inline constexpr char kBob[] = "444455556666";    // another account
inline constexpr char kEast[] = "us-east-1";
inline constexpr char kTokyo[] = "ap-northeast-1";
inline constexpr char kZoneA[] = "us-east-1a";

using iam::testing::Root;
using iam::testing::User;

inline base::Status StatusOf(const base::Status& s) { return s; }
template <typename T>
base::Status StatusOf(const base::Result<T>& r) {
  return r.ok() ? base::Status::Ok() : r.status();
}

#define EXPECT_EC2_ERROR(expr, kind)                                                        \
  do {                                                                                      \
    auto kura_st_ = ::kura::ec2::testing::StatusOf(expr);                                   \
    EXPECT_EQ(::kura::ec2::ErrorOf(kura_st_), (kind)) << kura_st_.ToString();               \
  } while (0)

class Ec2Test : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { Close(); }

  // Opens (or, after Close(), reopens: a restart) the whole stack on dir_.
  void Open() {
    auto db = meta::OpenSqliteDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::shared_ptr<meta::Database>(std::move(db).value());
    auto store = blocks::LocalChunkStore::Open(env::PosixFilesystem(), dir_.path() + "/chunks");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto engine = blocks::Engine::Open(db_, std::move(store).value());
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();

    kms::KmsOptions k;
    k.db = db_;
    k.sealing_key = crypto::SecretBytes(32);
    for (size_t i = 0; i < 32; ++i) k.sealing_key.data()[i] = static_cast<uint8_t>(0xa0 + i);
    k.clock = [this] { return now_ms_ / 1000; };
    k.regions = {kEast, kTokyo};
    k.identity_policies = Policies();
    k.audit = std::make_shared<kms::MemoryAuditSink>();
    auto kms = kms::KmsService::Open(std::move(k));
    ASSERT_TRUE(kms.ok()) << kms.status().ToString();
    kms_ = std::move(kms).value();

    Ec2Options o;
    o.db = db_;
    o.engine = engine_.get();
    o.kms = kms_;
    o.identity_policies = Policies();
    o.clock_ms = [this] { return now_ms_; };
    o.regions = {kEast, kTokyo};
    o.workers = 2;
    Configure(o);
    auto svc = Ec2Service::Open(std::move(o));
    ASSERT_TRUE(svc.ok()) << svc.status().ToString();
    svc_ = std::move(svc).value();
    ASSERT_TRUE(svc_->Resume().ok());
  }

  void Close() {
    if (svc_) svc_->Shutdown();
    svc_.reset();
    kms_.reset();
    engine_.reset();
    db_.reset();
  }

  // Tests may change the options before the service opens.
  virtual void Configure(Ec2Options&) {}

  IdentityPoliciesFn Policies() {
    return [this](const iam::Principal& p) -> base::Result<std::vector<std::shared_ptr<const iam::PolicyDocument>>> {
      auto it = policies_.find(p.arn);
      if (it == policies_.end()) return std::vector<std::shared_ptr<const iam::PolicyDocument>>{};
      return it->second;
    };
  }

  // Gives `p` an inline IAM policy.
  void Allow(const iam::Principal& p, const std::string& policy) {
    auto doc = iam::PolicyDocument::Parse(policy, iam::PolicyKind::kIdentity);
    ASSERT_TRUE(doc.ok()) << doc.status().ToString();
    policies_[p.arn].push_back(std::make_shared<const iam::PolicyDocument>(std::move(doc).value()));
  }
  void AllowActions(const iam::Principal& p, const std::string& actions_json_array) {
    Allow(p, R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":)" + actions_json_array +
                 R"(,"Resource":"*"}]})");
  }

  Caller As(const iam::Principal& p, const std::string& region = kEast) { return Caller{p, region, "req-test"}; }
  Caller Alice() { return As(Root(kAlice)); }
  Caller Bob() { return As(Root(kBob)); }

  // A customer managed key of `account`; its ARN.
  std::string NewKey(const std::string& account = kAlice, const std::string& region = kEast,
                     std::optional<std::string> policy = std::nullopt) {
    kms::CreateKeyRequest req;
    req.policy = std::move(policy);
    auto k = kms_->CreateKey(kms::Caller::Direct(Root(account), region, "req-test"), req);
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return k.ok() ? k->arn : "";
  }

  void WaitIdle() { svc_->WaitIdle(); }

  int64_t now_ms_ = 1700000000000;  // 2023-11-14
  base::TempDir dir_;
  std::shared_ptr<meta::Database> db_;
  std::unique_ptr<blocks::Engine> engine_;
  std::shared_ptr<kms::KmsService> kms_;
  std::map<std::string, std::vector<std::shared_ptr<const iam::PolicyDocument>>> policies_;
  std::unique_ptr<Ec2Service> svc_;
};

}  // namespace kura::ec2::testing
