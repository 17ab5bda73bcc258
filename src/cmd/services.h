// The services of one data directory, opened the same way by `kura serve` and
// by the `kura admin` commands that read the data directory directly: the
// metadata store, the root key and its purpose keys, the identity store, the
// KMS and (server only) the EC2/EBS/ELB domain over the block engine.
// Thread-safety: functions only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "blocks/engine.h"
#include "cmd/data_dir.h"
#include "ec2/ec2_service.h"
#include "iam/identity_store.h"
#include "kms/audit.h"
#include "kms/kms_service.h"
#include "meta/database.h"

namespace kura::cmd {

enum class ServicesMode {
  // `kura serve`: creates the directory and the root key when absent, opens
  // (and recovers) the block engine, appends KMS audit lines to <data dir>/audit.log.
  kServer,
  // A tool beside a server that may be running (SQLite WAL allows it): the
  // installation must exist; nothing is created, the block engine is not
  // opened (its start-up recovery belongs to the server) and no audit line is written.
  kTool,
};

struct ServicesOptions {
  std::string data_dir;
  MetadataConfig metadata;               // default: SQLite in <data dir>
  std::string root_key_file;             // default <data dir>/root.key
  std::string root_key_passphrase_file;  // instead of a key file (salt in <data dir>/root-key.salt)
  std::vector<std::string> regions = {"us-east-1", "ap-northeast-1"};
  ServicesMode mode = ServicesMode::kServer;
  // kServer: the EC2 domain (ec2::Ec2Options).
  std::string instance_types_file;  // "" = the built-in catalog
  int64_t ec2_min_transition_ms = 0;
  bool legacy_encrypted_ami_sharing = false;
};

struct Services {
  std::string data_dir;
  std::shared_ptr<meta::Database> db;
  std::unique_ptr<blocks::Engine> engine;  // kServer only
  std::shared_ptr<iam::IdentityStore> identities;
  std::shared_ptr<kms::KmsService> kms;
  // kServer only. Declared last so that it goes first: it uses the engine and the KMS.
  // The server calls Resume() once it listens and Shutdown() before the engine closes.
  std::shared_ptr<ec2::Ec2Service> ec2;
};

// Errors name the step that failed ("root key: ...", "kms: ...").
base::Result<Services> OpenServices(const ServicesOptions& options);

// Test harnesses (`kura serve --auth open`, POST /_kura/reset): wipes the EC2
// records (closing every host volume) first, then the block engine (refused, FailedPrecondition, while a volume is open; then
// nothing is wiped), the KMS, and IAM except `keep_account_id` (kept or
// created, empty). Each owner deletes its own tables and clears its caches.
// The caller keeps every other request out while it runs.
base::Status ResetServices(Services& services, const std::string& keep_account_id);

// The root key of a data directory (key file or passphrase), created only in kServer mode.
base::Result<crypto::SecretBytes> LoadRootKey(const ServicesOptions& options);

// Appends lines to `path` (created 0600 when absent).
base::Result<std::shared_ptr<kms::AuditSink>> OpenAuditLog(const std::string& path);

}  // namespace kura::cmd
