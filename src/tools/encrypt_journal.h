// The journal of a `kura encrypt` run: one JSON file per run that records the
// plan (the steps per instance), how far each step got and every id a step
// created, so that a run interrupted anywhere (Ctrl-C, kill -9, a lost
// connection) is resumed from the first step not done, `rollback` knows what
// to put back and `cleanup` what to delete. The runner marks a step started
// and saves BEFORE it acts, and records created ids as soon as AWS answers;
// every save is atomic (temp file, fsync, rename, fsync of the directory), so
// the file on disk is always one complete journal, never a torn one.
// Idempotency tokens are derived from the run id and the step (DerivedToken),
// so a create re-sent after a crash carries the same token as the first.
// Thread-safety: plain values; JournalStore functions are safe from any
// thread. One process at a time works on a journal: JournalLock (flock on
// <journal>.lock, released by the kernel even on kill -9) keeps a second
// `kura encrypt` off it.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "base/status.h"
#include "tools/ec2_instances_api.h"
#include "tools/traffic_api.h"

namespace kura::tools {

enum class EncryptMethod { kSnapshot, kImage };

enum class StepKind {
  // --method snapshot
  kChecksumOld,      // per volume: SHA-256 of the old volume through NBD (kura only)
  kCreateSnapshot,   // per volume
  kCopySnapshot,     // per volume: the encrypted copy
  kCreateVolume,     // per volume: from the encrypted copy, same settings and tags
  kStopInstance,
  kDetachOld,        // per volume
  kAttachNew,        // per volume
  kDeleteOnTermination,  // per volume: the old volume's flag on the new one
  kStartInstance,
  kVerify,           // per volume: the new volume's SHA-256 against the old one's
  // --method image
  kCreateImage,
  kCopyImage,
  kLaunchReplacement,
  kTagReplacementVolumes,
  kMoveAddresses,
  kMoveLoadBalancers,
  kStopOld,
  kTerminateOld,
};

enum class StepStatus { kPending, kStarted, kDone };

// What a step costs the running system.
enum class Downtime { kNone, kVolumeOffline, kInstanceStopped, kInstanceReboot, kTrafficMoves };

struct Step {
  StepKind kind = StepKind::kCreateSnapshot;
  std::string volume_id;  // the original volume it concerns; "" for instance steps
  StepStatus status = StepStatus::kPending;
  Downtime downtime = Downtime::kNone;
};

struct JournalVolume {
  std::string volume_id;
  std::string device;
  bool delete_on_termination = false;
  bool boot = false;
  bool encrypted = false;  // the original (already encrypted volumes are kept as they are)
  std::string zone;
  std::string volume_type;
  int64_t size_gib = 0;
  std::optional<int64_t> iops;
  std::optional<int64_t> throughput;
  Tags tags;
  std::string origin_snapshot_id;  // the snapshot it was created from, if any (the permission check's CopySnapshot)
  // Created by the run.
  std::string source_snapshot_id;
  std::string encrypted_snapshot_id;
  std::string new_volume_id;
  // Verification: hex SHA-256 of the whole device, and the verdict
  // ("match", "mismatch", or "not verified: <why>").
  std::string old_sha256;
  std::string new_sha256;
  std::string verification;
};

struct JournalInstance {
  std::string instance_id;
  std::string original_state;  // running or stopped, when the run began
  std::string image_id;
  std::string root_device_name;
  LaunchSettings launch;
  std::vector<JournalVolume> volumes;
  std::vector<Step> steps;
  bool stopped_by_run = false;
  // --method image
  std::string plain_image_id;      // CreateImage
  std::string encrypted_image_id;  // CopyImage
  std::string replacement_instance_id;
  std::vector<AddressInfo> addresses;
  std::vector<std::string> load_balancers;
};

// The run's state as a whole.
inline constexpr char kRunInProgress[] = "in-progress";
inline constexpr char kRunCompleted[] = "completed";
inline constexpr char kRunFailed[] = "failed";  // a step failed; resume retries it
inline constexpr char kRunRolledBack[] = "rolled-back";
inline constexpr char kRunCleanedUp[] = "cleaned-up";

struct Journal {
  std::string run_id;  // 32 hex digits
  EncryptMethod method = EncryptMethod::kSnapshot;
  std::string region;
  std::string endpoint_url;
  std::string kms_key_id;  // the key ARN
  bool stop_instance = false;
  bool no_reboot = false;
  bool terminate_old = false;
  std::string state = kRunInProgress;
  std::string error;  // the last failure, for the user
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::vector<JournalInstance> instances;
};

std::string StepKindName(StepKind kind);
std::string DowntimeText(Downtime downtime);
std::string MethodName(EncryptMethod method);

nlohmann::json JournalToJson(const Journal& journal);
base::Result<Journal> JournalFromJson(const nlohmann::json& doc);

// A ClientToken for the create of `step` on `subject` (a volume or instance id),
// the same every time it is asked for in this run: 32 hex digits of SHA-256.
std::string DerivedToken(const Journal& journal, StepKind step, const std::string& subject);

// The first step of `instance` not done (started ones are re-entered:
// every step is idempotent given the ids the journal holds); nullptr when all are done.
Step* ResumePoint(JournalInstance& instance);
JournalVolume* FindVolume(JournalInstance& instance, const std::string& volume_id);

// An exclusive hold on one journal; released when destroyed.
class JournalLock {
 public:
  JournalLock(JournalLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  JournalLock& operator=(JournalLock&&) = delete;
  ~JournalLock();

 private:
  friend class JournalStore;
  explicit JournalLock(int fd) : fd_(fd) {}
  int fd_;
};

// Journals on disk, one per run: <dir>/<region>-<instance ids joined by '_'>.json
// (for many instances, <region>-set-<digest of the ids>.json), so `run` or
// `resume` with the same instances finds the run again.
class JournalStore {
 public:
  explicit JournalStore(std::string dir) : dir_(std::move(dir)) {}

  // The default directory: ~/.kura/encrypt ($HOME unset: ./.kura/encrypt).
  static std::string DefaultDir();

  std::string PathFor(const std::string& region, std::vector<std::string> instance_ids) const;
  // Creates the directory (0700) when missing, then replaces the file atomically.
  base::Status Save(const std::string& path, const Journal& journal) const;
  // NotFound when there is no such file; DataLoss when it does not parse.
  base::Result<Journal> Load(const std::string& path) const;
  // FailedPrecondition when another process holds it.
  base::Result<JournalLock> Lock(const std::string& path) const;
  // The journals in the directory for `region`, whatever their state.
  std::vector<std::string> List(const std::string& region) const;

 private:
  std::string dir_;
};

}  // namespace kura::tools
