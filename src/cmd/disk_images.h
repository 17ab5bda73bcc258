// `kura admin import-image FILE` and `kura admin export-snapshot`: disk
// images in and out of EBS snapshots. The server stages a volume (a new one
// to fill, or one made from the snapshot to read) as an NBD export of its own;
// qemu-img moves the bytes (raw or qcow2 — any format qemu-img reads, for
// import), so every byte is encrypted by the block engine on the way in.
// Thread-safety: functions only.
#pragma once

#include <ostream>
#include <string>

#include "cmd/admin.h"

namespace kura::cmd {

struct ImportImageOptions {
  std::string file;
  std::string format;       // "" = as qemu-img detects it
  bool encrypted = false;   // --encrypted (encryption by default applies either way)
  std::string kms_key_id;
  std::string description;
  std::string region = "us-east-1";
  std::string account_id;   // the operator may import for another account
};

struct ExportSnapshotOptions {
  std::string snapshot_id;
  std::string output;
  std::string format = "raw";  // qemu-img output format (raw, qcow2)
  std::string region = "us-east-1";
  std::string account_id;
};

// Prints {"SnapshotId", "VolumeSize", "Encrypted"}.
int AdminImportImage(const AdminClientOptions& client, const ImportImageOptions& options, std::ostream& out,
                     std::ostream& err);
// Prints {"SnapshotId", "Output", "SizeBytes"}.
int AdminExportSnapshot(const AdminClientOptions& client, const ExportSnapshotOptions& options, std::ostream& out,
                        std::ostream& err);

}  // namespace kura::cmd
