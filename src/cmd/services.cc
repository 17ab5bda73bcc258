#include "cmd/services.h"

#include <mutex>

#include "cmd/data_dir.h"
#include "cmd/root_key.h"
#include "env/filesystem.h"

namespace kura::cmd {

namespace {

// Appends audit lines to <data dir>/audit.log (one JSON object per line).
class FileAuditSink : public kms::AuditSink {
 public:
  explicit FileAuditSink(std::unique_ptr<env::RandomAccessFile> file, uint64_t size)
      : file_(std::move(file)), offset_(size) {}
  void Write(std::string_view line) override {
    std::lock_guard lock(mu_);
    std::string text(line);
    text += '\n';
    if (file_->WriteAt(offset_, base::AsBytes(text)).ok()) offset_ += text.size();
  }

 private:
  std::mutex mu_;
  std::unique_ptr<env::RandomAccessFile> file_;
  uint64_t offset_;
};

base::Status MustExist(env::Filesystem& fs, const std::string& path, const std::string& what) {
  KURA_ASSIGN_OR_RETURN(bool exists, fs.Exists(path));
  if (!exists) return base::NotFoundError("no " + what + " at " + path + " (has kura serve run with this data directory?)");
  return base::Status::Ok();
}

}  // namespace

base::Result<std::shared_ptr<kms::AuditSink>> OpenAuditLog(const std::string& path) {
  KURA_ASSIGN_OR_RETURN(auto file, env::PosixFilesystem()->Open(path, env::OpenMode::kReadWriteCreate, 0600));
  KURA_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  return std::shared_ptr<kms::AuditSink>(std::make_shared<FileAuditSink>(std::move(file), size));
}

base::Result<crypto::SecretBytes> LoadRootKey(const ServicesOptions& options) {
  auto fs = env::PosixFilesystem();
  const bool tool = options.mode == ServicesMode::kTool;
  if (!options.root_key_passphrase_file.empty()) {
    KURA_ASSIGN_OR_RETURN(auto bytes, fs->ReadFile(options.root_key_passphrase_file));
    std::string passphrase(bytes.begin(), bytes.end());
    while (!passphrase.empty() && (passphrase.back() == '\n' || passphrase.back() == '\r')) passphrase.pop_back();
    std::string salt_path = options.data_dir + "/root-key.salt";
    if (tool) KURA_RETURN_IF_ERROR(MustExist(*fs, salt_path, "root key salt"));
    return RootKeyFromPassphrase(*fs, passphrase, salt_path);
  }
  std::string path = options.root_key_file.empty() ? options.data_dir + "/root.key" : options.root_key_file;
  if (tool) KURA_RETURN_IF_ERROR(MustExist(*fs, path, "root key"));
  return LoadOrCreateRootKeyFile(*fs, path);
}

base::Result<Services> OpenServices(const ServicesOptions& options) {
  Services services;
  services.data_dir = options.data_dir;
  std::shared_ptr<kms::AuditSink> audit;
  if (options.mode == ServicesMode::kServer) {
    auto data_dir = OpenDataDir(options.data_dir, options.metadata);
    if (!data_dir.ok()) return data_dir.status().WithContext("data directory");
    services.data_dir = data_dir->path;
    services.db = std::move(data_dir->db);
    services.engine = std::move(data_dir->engine);
    auto opened = OpenAuditLog(services.data_dir + "/audit.log");
    if (!opened.ok()) return opened.status().WithContext("audit log");
    audit = std::move(opened).value();
  } else {
    // A tool never creates an installation: the embedded store must exist already.
    if (options.metadata.url.empty()) {
      base::Status exists = MustExist(*env::PosixFilesystem(), options.data_dir + "/metadata.db", "kura metadata store");
      if (!exists.ok()) return exists.WithContext("data directory");
    }
    auto db = OpenMetadata(options.data_dir, options.metadata);
    if (!db.ok()) return db.status();
    services.db = std::move(db).value();
    audit = std::make_shared<kms::MemoryAuditSink>();  // a tool's reads are not KMS calls
  }

  auto root = LoadRootKey(options);
  if (!root.ok()) return root.status().WithContext("root key");
  auto iam_key = DerivePurposeKey(*root, "kura iam secrets v1");
  if (!iam_key.ok()) return iam_key.status().WithContext("root key");
  auto kms_key = DerivePurposeKey(*root, "kura kms key material v1");
  if (!kms_key.ok()) return kms_key.status().WithContext("root key");

  auto identities = iam::IdentityStore::Open(services.db, std::move(iam_key).value());
  if (!identities.ok()) return identities.status().WithContext("identity store");
  services.identities = std::move(identities).value();

  kms::KmsOptions kms_options;
  kms_options.db = services.db;
  kms_options.sealing_key = std::move(kms_key).value();
  kms_options.regions = options.regions;
  kms_options.identity_policies = [identities = services.identities](const iam::Principal& principal) {
    return identities->PoliciesOf(principal);
  };
  kms_options.audit = std::move(audit);
  auto kms = kms::KmsService::Open(std::move(kms_options));
  if (!kms.ok()) return kms.status().WithContext("kms");
  services.kms = std::move(kms).value();

  if (options.mode == ServicesMode::kServer) {
    ec2::Ec2Options ec2_options;
    ec2_options.db = services.db;
    ec2_options.engine = services.engine.get();
    ec2_options.kms = services.kms;
    ec2_options.identity_policies = [identities = services.identities](const iam::Principal& principal) {
      return identities->PoliciesOf(principal);
    };
    ec2_options.regions = options.regions;
    ec2_options.instance_types_file = options.instance_types_file;
    ec2_options.min_transition_ms = options.ec2_min_transition_ms;
    ec2_options.legacy_encrypted_ami_sharing = options.legacy_encrypted_ami_sharing;
    auto ec2 = ec2::Ec2Service::Open(std::move(ec2_options));
    if (!ec2.ok()) return ec2.status().WithContext("ec2");
    services.ec2 = std::move(ec2).value();
  }
  return services;
}

base::Status ResetServices(Services& services, const std::string& keep_account_id) {
  if (services.ec2) {
    base::Status ec2 = services.ec2->Reset();
    if (!ec2.ok()) return ec2.WithContext("ec2");
  }
  if (services.engine) {
    base::Status engine = services.engine->DeleteEverything();
    if (!engine.ok()) return engine.WithContext("blocks");
  }
  base::Status kms = services.kms->Reset();
  if (!kms.ok()) return kms.WithContext("kms");
  base::Status iam = services.identities->ResetExcept(keep_account_id);
  if (!iam.ok()) return iam.WithContext("iam");
  return base::Status::Ok();
}

}  // namespace kura::cmd
