#include "cmd/disk_images.h"

#include <fcntl.h>

#include "cmd/subprocess.h"

namespace kura::cmd {

namespace {

using nlohmann::json;

int Fail(std::ostream& err, const std::string& command, const base::Status& status) {
  err << "kura admin " << command << ": " << status.message() << "\n";
  return 1;
}

// qemu-img's idea of the image: its virtual size and detected format.
base::Result<std::pair<uint64_t, std::string>> InspectImage(const std::string& file, const std::string& format) {
  std::vector<std::string> argv{"qemu-img", "info", "--output=json"};
  if (!format.empty()) argv.insert(argv.end(), {"-f", format});
  argv.push_back(file);
  KURA_ASSIGN_OR_RETURN(auto info, RunProcess(argv));
  if (info.exit_code != 0) return base::InvalidArgumentError("qemu-img info cannot read " + file);
  json parsed = json::parse(info.out, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("virtual-size") || !parsed["virtual-size"].is_number_unsigned()) {
    return base::InternalError("qemu-img info gave no virtual size for " + file);
  }
  return std::make_pair(parsed["virtual-size"].get<uint64_t>(), parsed.value("format", std::string("raw")));
}

base::Status Convert(const std::vector<std::string>& argv) {
  KURA_ASSIGN_OR_RETURN(auto done, RunProcess(argv));
  if (done.exit_code != 0) return base::InternalError("qemu-img convert failed (exit " + std::to_string(done.exit_code) + ")");
  return base::Status::Ok();
}

json Scope(const std::string& region, const std::string& account_id) {
  json scope{{"Region", region}};
  if (!account_id.empty()) scope["AccountId"] = account_id;
  return scope;
}

}  // namespace

int AdminImportImage(const AdminClientOptions& client, const ImportImageOptions& options, std::ostream& out,
                     std::ostream& err) {
  const std::string command = "import-image";
  auto image = InspectImage(options.file, options.format);
  if (!image.ok()) return Fail(err, command, image.status());
  const auto& [size, format] = *image;
  json start = Scope(options.region, options.account_id);
  start["SizeBytes"] = size;
  if (options.encrypted || !options.kms_key_id.empty()) start["Encrypted"] = true;
  if (!options.kms_key_id.empty()) start["KmsKeyId"] = options.kms_key_id;
  auto staged = PostAdmin(client, "ImportImageStart", start);
  if (!staged.ok()) return Fail(err, command, staged.status());
  const std::string volume_id = (*staged)["VolumeId"].get<std::string>();
  json scope = Scope(options.region, options.account_id);
  scope["VolumeId"] = volume_id;
  // -n: the export exists already; qemu-img writes zeros only where it must.
  base::Status copied = Convert({"qemu-img", "convert", "-n", "-f", format, "-O", "raw", "-W", options.file,
                                 (*staged)["Uri"].get<std::string>()});
  if (!copied.ok()) {
    (void)PostAdmin(client, "DiscardStagedVolume", scope);
    return Fail(err, command, copied);
  }
  if (!options.description.empty()) scope["Description"] = options.description;
  auto snapshot = PostAdmin(client, "ImportImageFinish", scope);
  if (!snapshot.ok()) {
    scope.erase("Description");
    (void)PostAdmin(client, "DiscardStagedVolume", scope);
    return Fail(err, command, snapshot.status());
  }
  out << snapshot->dump(2) << "\n";
  return 0;
}

int AdminExportSnapshot(const AdminClientOptions& client, const ExportSnapshotOptions& options, std::ostream& out,
                        std::ostream& err) {
  const std::string command = "export-snapshot";
  json start = Scope(options.region, options.account_id);
  start["SnapshotId"] = options.snapshot_id;
  auto staged = PostAdmin(client, "ExportSnapshotStart", start);
  if (!staged.ok()) return Fail(err, command, staged.status());
  json scope = Scope(options.region, options.account_id);
  scope["VolumeId"] = (*staged)["VolumeId"].get<std::string>();
  base::Status copied = Convert({"qemu-img", "convert", "-f", "raw", "-O", options.format,
                                 (*staged)["Uri"].get<std::string>(), options.output});
  auto discarded = PostAdmin(client, "DiscardStagedVolume", scope);
  if (!copied.ok()) return Fail(err, command, copied);
  if (!discarded.ok()) return Fail(err, command, discarded.status());
  out << json{{"SnapshotId", options.snapshot_id}, {"Output", options.output}, {"SizeBytes", (*staged)["SizeBytes"]}}
             .dump(2)
      << "\n";
  return 0;
}

}  // namespace kura::cmd
