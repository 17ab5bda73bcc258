#include "tools/encrypt_journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/bytes.h"
#include "crypto/hash.h"

namespace nlohmann {
template <>
struct adl_serializer<std::optional<int64_t>> {
  static void to_json(json& j, const std::optional<int64_t>& v) { j = v ? json(*v) : json(nullptr); }
  static void from_json(const json& j, std::optional<int64_t>& v) {
    v = j.is_null() ? std::nullopt : std::optional<int64_t>(j.get<int64_t>());
  }
};
}  // namespace nlohmann

namespace kura::tools {

NLOHMANN_JSON_SERIALIZE_ENUM(EncryptMethod, {{EncryptMethod::kSnapshot, "snapshot"}, {EncryptMethod::kImage, "image"}})
NLOHMANN_JSON_SERIALIZE_ENUM(StepKind, {{StepKind::kChecksumOld, "ChecksumOld"},
                                        {StepKind::kCreateSnapshot, "CreateSnapshot"},
                                        {StepKind::kCopySnapshot, "CopySnapshot"},
                                        {StepKind::kCreateVolume, "CreateVolume"},
                                        {StepKind::kStopInstance, "StopInstance"},
                                        {StepKind::kDetachOld, "DetachOldVolume"},
                                        {StepKind::kAttachNew, "AttachNewVolume"},
                                        {StepKind::kDeleteOnTermination, "SetDeleteOnTermination"},
                                        {StepKind::kStartInstance, "StartInstance"},
                                        {StepKind::kVerify, "Verify"},
                                        {StepKind::kCreateImage, "CreateImage"},
                                        {StepKind::kCopyImage, "CopyImage"},
                                        {StepKind::kLaunchReplacement, "LaunchReplacement"},
                                        {StepKind::kTagReplacementVolumes, "TagReplacementVolumes"},
                                        {StepKind::kMoveAddresses, "MoveElasticIps"},
                                        {StepKind::kMoveLoadBalancers, "MoveLoadBalancers"},
                                        {StepKind::kStopOld, "StopOldInstance"},
                                        {StepKind::kTerminateOld, "TerminateOldInstance"}})
NLOHMANN_JSON_SERIALIZE_ENUM(StepStatus,
                             {{StepStatus::kPending, "pending"}, {StepStatus::kStarted, "started"}, {StepStatus::kDone, "done"}})
NLOHMANN_JSON_SERIALIZE_ENUM(Downtime, {{Downtime::kNone, "none"},
                                        {Downtime::kVolumeOffline, "volume-offline"},
                                        {Downtime::kInstanceStopped, "instance-stopped"},
                                        {Downtime::kInstanceReboot, "instance-reboot"},
                                        {Downtime::kTrafficMoves, "traffic-moves"}})

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AddressInfo, allocation_id, public_ip, instance_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Step, kind, volume_id, status, downtime)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JournalVolume, volume_id, device, delete_on_termination, boot,
                                                encrypted, zone, volume_type, size_gib, iops, throughput, tags,
                                                origin_snapshot_id, source_snapshot_id, encrypted_snapshot_id,
                                                new_volume_id, old_sha256, new_sha256, verification)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LaunchSettings, instance_type, zone, key_name, subnet_id,
                                                security_group_ids, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JournalInstance, instance_id, original_state, image_id,
                                                root_device_name, launch, volumes, steps, stopped_by_run, plain_image_id,
                                                encrypted_image_id, replacement_instance_id, addresses,
                                                load_balancers)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Journal, run_id, method, region, endpoint_url, kms_key_id,
                                                stop_instance, no_reboot, terminate_old, state, error, created_at,
                                                updated_at, instances)

std::string StepKindName(StepKind kind) { return nlohmann::json(kind).get<std::string>(); }
std::string DowntimeText(Downtime downtime) { return nlohmann::json(downtime).get<std::string>(); }
std::string MethodName(EncryptMethod method) { return nlohmann::json(method).get<std::string>(); }

nlohmann::json JournalToJson(const Journal& journal) {
  nlohmann::json doc = journal;
  doc["version"] = 1;
  return doc;
}

base::Result<Journal> JournalFromJson(const nlohmann::json& doc) {
  if (!doc.is_object() || doc.value("version", 0) != 1) {
    return base::Status(base::StatusCode::kDataLoss, "not a version 1 kura encrypt journal");
  }
  try {
    return doc.get<Journal>();
  } catch (const nlohmann::json::exception& e) {  // a hand-edited or foreign file; no exception leaves here
    return base::Status(base::StatusCode::kDataLoss, std::string("the journal does not parse: ") + e.what());
  }
}

std::string DerivedToken(const Journal& journal, StepKind step, const std::string& subject) {
  const std::string seed = "kura-encrypt/" + journal.run_id + "/" + StepKindName(step) + "/" + subject;
  const crypto::Digest digest =
      crypto::Sha256({reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
  return base::HexEncode({digest.data(), 16});
}

Step* ResumePoint(JournalInstance& instance) {
  for (Step& step : instance.steps) {
    if (step.status != StepStatus::kDone) return &step;
  }
  return nullptr;
}

JournalVolume* FindVolume(JournalInstance& instance, const std::string& volume_id) {
  for (JournalVolume& v : instance.volumes) {
    if (v.volume_id == volume_id) return &v;
  }
  return nullptr;
}

std::string JournalStore::DefaultDir() {
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.kura/encrypt";
}

std::string JournalStore::PathFor(const std::string& region, std::vector<std::string> instance_ids) const {
  std::sort(instance_ids.begin(), instance_ids.end());
  std::string ids;
  for (size_t i = 0; i < instance_ids.size(); ++i) ids += (i == 0 ? "" : "_") + instance_ids[i];
  // A file name has 255 bytes: a long set of instances is named by its digest instead.
  if (ids.size() > 200) {
    const crypto::Digest digest = crypto::Sha256({reinterpret_cast<const uint8_t*>(ids.data()), ids.size()});
    ids = "set-" + base::HexEncode({digest.data(), 16});
  }
  return dir_ + "/" + region + "-" + ids + ".json";
}

namespace {

base::Status MakeDirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    const std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return base::ErrnoToStatus(errno, "mkdir " + part);
  }
  return base::Status::Ok();
}

base::Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return base::ErrnoToStatus(errno, "open " + dir);
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  return rc == 0 ? base::Status::Ok() : base::ErrnoToStatus(saved, "fsync " + dir);
}

}  // namespace

// The tools may not use env/ (layering): the few lines of an atomic replace are here.
base::Status JournalStore::Save(const std::string& path, const Journal& journal) const {
  KURA_RETURN_IF_ERROR(MakeDirs(dir_));
  const std::string text = JournalToJson(journal).dump(2) + "\n";
  const std::string temp = path + ".tmp";
  // A temp file left by a crash is replaced, not reused: its mode may not be ours.
  if (::unlink(temp.c_str()) != 0 && errno != ENOENT) return base::ErrnoToStatus(errno, "unlink " + temp);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return base::ErrnoToStatus(errno, "open " + temp);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      return base::ErrnoToStatus(saved, "write " + temp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    return base::ErrnoToStatus(saved, "fsync " + temp);
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) return base::ErrnoToStatus(errno, "rename " + temp);
  return SyncDir(dir_);
}

base::Result<Journal> JournalStore::Load(const std::string& path) const {
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::NotFoundError("no journal at " + path);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded()) return base::Status(base::StatusCode::kDataLoss, path + " is not JSON");
  auto journal = JournalFromJson(doc);
  if (!journal.ok()) return base::Status(journal.status().code(), path + ": " + journal.status().message());
  return journal;
}

JournalLock::~JournalLock() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

base::Result<JournalLock> JournalStore::Lock(const std::string& path) const {
  KURA_RETURN_IF_ERROR(MakeDirs(dir_));
  const std::string lock = path + ".lock";
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return base::ErrnoToStatus(errno, "open " + lock);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int saved = errno;
    ::close(fd);
    if (saved == EWOULDBLOCK) return base::FailedPreconditionError("another kura encrypt is working on " + path);
    return base::ErrnoToStatus(saved, "flock " + lock);
  }
  return JournalLock(fd);
}

std::vector<std::string> JournalStore::List(const std::string& region) const {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir_.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind(region + "-", 0) == 0 && name.size() > 5 && name.ends_with(".json")) out.push_back(dir_ + "/" + name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace kura::tools
