// Volumes (ec2-api.md §6.1, ebs-kms-flows.md F1-F3): CreateVolume …
// DescribeVolumeStatus, and the internal steps launches reuse
// (PrepareVolume, MaterializeVolume, AttachToHost, DetachFromHost).
//
// Every operation validates and records the transitional state under mu_,
// then hands the slow part (KMS calls, block I/O) to the worker, which
// re-reads the record under mu_ before it writes the outcome: a record that
// changed or went away in between is never overwritten with stale data.
#include <algorithm>
#include <cstdio>
#include <regex>
#include <set>

#include "base/log.h"
#include "ec2/data_keys.h"
#include "ec2/ec2_service.h"
#include "ec2/filters.h"
#include "ec2/hosts.h"
#include "ec2/ids.h"
#include "ec2/instance_types.h"
#include "ec2/key_resolution.h"
#include "ec2/worker.h"

namespace kura::ec2 {

namespace {

// Size, IOPS and throughput rules per volume type. Sizes stop at 16 TiB, the
// block engine's maximum (AWS allows 64 TiB for gp3/io2). io2 follows today's
// Block Express limits (100-256000 IOPS, 1000 IOPS per GiB).
struct TypeRules {
  const char* type;
  int64_t min_gib, max_gib;
  bool iops_allowed, iops_required;
  int min_iops, max_iops, max_iops_per_gib;
  bool throughput_allowed;
};
constexpr TypeRules kTypeRules[] = {
    {"standard", 1, 1024, false, false, 0, 0, 0, false},
    {"gp2", 1, 16384, false, false, 0, 0, 0, false},
    {"gp3", 1, 16384, true, false, 3000, 16000, 500, true},
    {"io1", 4, 16384, true, true, 100, 64000, 50, false},
    {"io2", 4, 16384, true, true, 100, 256000, 1000, false},
    {"st1", 125, 16384, false, false, 0, 0, 0, false},
    {"sc1", 125, 16384, false, false, 0, 0, 0, false},
};
constexpr int kGp3BaselineIops = 3000;
constexpr int kMinThroughput = 125, kMaxThroughput = 1000;

const TypeRules* RulesOf(const std::string& type) {
  for (const auto& r : kTypeRules) {
    if (type == r.type) return &r;
  }
  return nullptr;
}

std::string Ratio(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

// The performance settings of a volume, as requested and then as stored.
struct VolumeConfig {
  std::string type;
  int64_t size_gib = 0;
  std::optional<int> iops;
  std::optional<int> throughput;
};

// Checks `c` against its type's rules and fills in the defaults (gp3 3000
// IOPS/125 MiB/s; gp2 reports its baseline of 3 IOPS per GiB, 100..16000).
base::Status ValidateConfig(VolumeConfig& c) {
  const TypeRules* rules = RulesOf(c.type);
  if (!rules) {
    return Ec2Status(Ec2Error::kInvalidParameterValue,
                     "Value (" + c.type + ") for parameter volumeType is invalid. Valid values: standard, io1, io2, "
                     "gp2, sc1, st1, gp3.");
  }
  if (c.size_gib < rules->min_gib) {
    return Ec2Status(Ec2Error::kInvalidParameterValue, "Volume of " + std::to_string(c.size_gib) +
                                                           "GiB is too small; minimum is " +
                                                           std::to_string(rules->min_gib) + "GiB.");
  }
  if (c.size_gib > rules->max_gib) {
    return Ec2Status(Ec2Error::kInvalidParameterValue, "Volume of " + std::to_string(c.size_gib) +
                                                           "GiB is too large; maximum is " +
                                                           std::to_string(rules->max_gib) + "GiB.");
  }
  if (c.iops && !rules->iops_allowed) {
    return Ec2Status(Ec2Error::kInvalidParameterCombination,
                     "The parameter iops is not supported for " + c.type + " volumes.");
  }
  if (c.throughput && !rules->throughput_allowed) {
    return Ec2Status(Ec2Error::kInvalidParameterCombination,
                     "The parameter throughput is not supported for " + c.type + " volumes.");
  }
  if (!c.iops && rules->iops_required) {
    return Ec2Status(Ec2Error::kMissingParameter, "The request must contain the parameter iops");
  }
  if (c.type == "gp3" && !c.iops) c.iops = kGp3BaselineIops;
  if (c.type == "gp3" && !c.throughput) c.throughput = kMinThroughput;
  if (c.iops && rules->iops_allowed) {
    const int iops = *c.iops;
    if (iops < rules->min_iops) {
      return Ec2Status(Ec2Error::kInvalidParameterValue, "Volume iops of " + std::to_string(iops) +
                                                             " is too low; minimum is " +
                                                             std::to_string(rules->min_iops));
    }
    if (iops > rules->max_iops) {
      return Ec2Status(Ec2Error::kInvalidParameterValue, "Volume iops of " + std::to_string(iops) +
                                                             " is too high; maximum is " +
                                                             std::to_string(rules->max_iops));
    }
    // gp3's baseline is available at any size; the ratio limits what is bought above it.
    const bool ratio_applies = c.type != "gp3" || iops > kGp3BaselineIops;
    if (ratio_applies && iops > int64_t{rules->max_iops_per_gib} * c.size_gib) {
      return Ec2Status(Ec2Error::kInvalidParameterValue,
                       "Iops to volume size ratio of " + Ratio(double(iops) / double(c.size_gib)) +
                           " is too high; maximum is " + Ratio(rules->max_iops_per_gib));
    }
  }
  if (c.throughput) {
    const int t = *c.throughput;
    if (t < kMinThroughput || t > kMaxThroughput) {
      return Ec2Status(Ec2Error::kInvalidParameterValue,
                       "Volume throughput of " + std::to_string(t) + " is invalid; it must be between " +
                           std::to_string(kMinThroughput) + " and " + std::to_string(kMaxThroughput) + " MiB/s");
    }
    if (t > kMinThroughput && double(t) > 0.25 * double(c.iops.value_or(kGp3BaselineIops))) {
      return Ec2Status(Ec2Error::kInvalidParameterValue,
                       "Throughput (MiBps) to iops ratio of " + Ratio(double(t) / double(*c.iops)) +
                           " is too high; maximum is 0.250000 MiBps per iops.");
    }
  }
  if (c.type == "gp2") c.iops = static_cast<int>(std::clamp<int64_t>(3 * c.size_gib, 100, 16000));
  return base::Status::Ok();
}

void ApplyConfig(const VolumeConfig& c, VolumeRecord& v) {
  v.volume_type = c.type;
  v.size_gib = c.size_gib;
  v.iops = c.iops;
  v.throughput = c.throughput;
}

base::Status VolumeNotFound(const std::string& id) {
  return Ec2Status(Ec2Error::kVolumeNotFound, "The volume '" + id + "' does not exist.");
}

base::Status InstanceNotFound(const std::string& id) {
  return Ec2Status(Ec2Error::kInstanceNotFound, "The instance ID '" + id + "' does not exist");
}

// Device names EC2 accepts for EBS: /dev/sd[a-z] with an optional partition
// number 1-15 (/dev/sda1), /dev/xvd[a-z] and /dev/xvd[a-z][a-z], each also without /dev/.
bool IsValidDevice(const std::string& device) {
  static const std::regex kDevice("^(/dev/)?(sd[a-z]([1-9]|1[0-5])?|xvd[a-z]{1,2})$");
  return std::regex_match(device, kDevice);
}

std::string CanonicalDevice(const std::string& device) {
  return device.rfind("/dev/", 0) == 0 ? device : "/dev/" + device;
}

// Same token, same parameters: the volume already made; else IdempotentParameterMismatch.
bool SameVolumeRequest(const VolumeRecord& v, const CreateVolumeRequest& r) {
  const std::string type = r.volume_type.empty() ? "gp2" : r.volume_type;
  if (v.zone != r.zone || v.snapshot_id != r.snapshot_id || v.volume_type != type) return false;
  if (r.size_gib && *r.size_gib != v.size_gib) return false;
  if (r.iops && r.iops != v.iops) return false;
  if (r.throughput && r.throughput != v.throughput) return false;
  if (r.encrypted.value_or(false) && !v.encrypted) return false;
  if (r.multi_attach != v.multi_attach) return false;
  return r.kms_key_id.empty() || r.kms_key_id == v.requested_key_id || r.kms_key_id == v.encryption.kms_key_arn;
}

std::optional<std::vector<std::string>> VolumeFilterValues(const VolumeRecord& v, const std::string& name) {
  using V = std::vector<std::string>;
  const auto& a = v.attachment;
  if (name == "attachment.instance-id") return a ? V{a->instance_id} : V{};
  if (name == "attachment.status") return a ? V{Name(a->state)} : V{};
  if (name == "attachment.device") return a ? V{a->device} : V{};
  if (name == "attachment.delete-on-termination") return a ? V{BoolText(a->delete_on_termination)} : V{};
  if (name == "attachment.attach-time") return a ? V{IsoTime(a->attach_time)} : V{};
  if (name == "availability-zone") return V{v.zone};
  if (name == "encrypted") return V{BoolText(v.encrypted)};
  if (name == "size") return V{std::to_string(v.size_gib)};
  if (name == "snapshot-id") return V{v.snapshot_id};
  if (name == "status") return V{Name(v.state)};
  if (name == "volume-id") return V{v.id};
  if (name == "volume-type") return V{v.volume_type};
  if (name == "create-time") return V{IsoTime(v.create_time)};
  if (name == "multi-attach-enabled") return V{BoolText(v.multi_attach)};
  if (name == "fast-restored") return V{"false"};
  return std::nullopt;
}

void RemoveBlockDevice(InstanceRecord& instance, const std::string& volume_id) {
  auto& devices = instance.block_devices;
  devices.erase(std::remove_if(devices.begin(), devices.end(),
                               [&](const InstanceBlockDevice& d) { return d.volume_id == volume_id; }),
                devices.end());
}

void SetBlockDeviceStatus(InstanceRecord& instance, const std::string& volume_id, const std::string& status) {
  for (auto& d : instance.block_devices) {
    if (d.volume_id == volume_id) d.status = status;
  }
}

}  // namespace

// The asynchronous halves, run on the worker (and by Resume).
struct VolumeJobs {
  // creating -> available | error.
  static void FinishCreate(Ec2Service& s, const std::string& id) {
    VolumeRecord v;
    {
      std::lock_guard lock(s.mu_);
      const auto* r = s.store_->Find<VolumeRecord>(id);
      if (!r || r->state != VolumeState::kCreating) return;
      v = *r;
    }
    base::Status made = s.MaterializeVolume(v);
    s.HoldTransition(v.create_time);
    bool orphan = false;
    {
      std::lock_guard lock(s.mu_);
      const auto* r = s.store_->Find<VolumeRecord>(id);
      if (!r || r->state != VolumeState::kCreating) {
        orphan = made.ok() && v.engine_id > 0;
      } else {
        VolumeRecord updated = *r;
        if (made.ok()) {
          updated.engine_id = v.engine_id;
          updated.encryption = v.encryption;
          // A launch's volume is created already attached to its instance.
          updated.state = updated.attachment ? VolumeState::kInUse : VolumeState::kAvailable;
          updated.state_message.clear();
        } else {
          updated.state = VolumeState::kError;
          updated.state_message = made.message();
        }
        Log(s.store_->Put(std::move(updated)), id);
      }
    }
    if (!made.ok()) {
      base::LogEvent(base::LogLevel::kInfo, "ec2_volume_creation_failed", {{"volume", id}, {"error", made.ToString()}});
    }
    // The record went away while the block volume was made (Reset): free it.
    if (orphan) (void)s.options_.engine->DeleteVolume(v.engine_id);
  }

  // attaching -> attached on the host; on failure the volume is available again.
  // Volumes of an instance being launched or started are that transition's
  // own business (instances.cc), not AttachVolume's.
  static void FinishAttach(Ec2Service& s, const std::string& volume_id) {
    VolumeRecord v;
    std::string instance_id;
    bool running = false;
    {
      std::lock_guard lock(s.mu_);
      const auto* r = s.store_->Find<VolumeRecord>(volume_id);
      if (!r || !r->attachment || r->attachment->state != AttachmentState::kAttaching) return;
      if (r->state != VolumeState::kInUse) return;
      v = *r;
      instance_id = r->attachment->instance_id;
      const auto* i = s.store_->Find<InstanceRecord>(instance_id);
      if (!i || i->state == InstanceState::kPending) return;
      running = i->state == InstanceState::kRunning;
    }
    // A stopped instance gets its keys at its next start; only a running one needs them now.
    base::Status ready = running ? s.AttachToHost(instance_id, v, v.requester) : base::Status::Ok();
    s.HoldTransition(v.attachment->attach_time);
    bool undo = false;
    {
      std::lock_guard lock(s.mu_);
      const auto* r = s.store_->Find<VolumeRecord>(volume_id);
      const auto* i = s.store_->Find<InstanceRecord>(instance_id);
      if (!r || !r->attachment || r->attachment->instance_id != instance_id ||
          r->attachment->state != AttachmentState::kAttaching || !i) {
        undo = ready.ok() && running;
      } else {
        VolumeRecord volume = *r;
        InstanceRecord instance = *i;
        if (ready.ok()) {
          volume.attachment->state = AttachmentState::kAttached;
          volume.state_message.clear();
          SetBlockDeviceStatus(instance, volume_id, "attached");
        } else {
          volume.attachment.reset();
          volume.state = VolumeState::kAvailable;
          volume.state_message = ready.message();
          RemoveBlockDevice(instance, volume_id);
        }
        Batch b;
        b.Put(std::move(volume));
        b.Put(std::move(instance));
        Log(s.store_->Apply(b), volume_id);
      }
    }
    if (!ready.ok()) {
      base::LogEvent(base::LogLevel::kInfo, "ec2_volume_attach_failed",
                     {{"volume", volume_id}, {"instance", instance_id}, {"error", ready.ToString()}});
    }
    if (undo) s.DetachFromHost(instance_id, volume_id);
  }

  // detaching -> available.
  static void FinishDetach(Ec2Service& s, const std::string& volume_id) {
    std::string instance_id;
    int64_t since = 0;
    {
      std::lock_guard lock(s.mu_);
      const auto* r = s.store_->Find<VolumeRecord>(volume_id);
      if (!r || !r->attachment || r->attachment->state != AttachmentState::kDetaching) return;
      instance_id = r->attachment->instance_id;
      since = s.NowMs();
    }
    s.DetachFromHost(instance_id, volume_id);
    s.HoldTransition(since);
    std::lock_guard lock(s.mu_);
    const auto* r = s.store_->Find<VolumeRecord>(volume_id);
    if (!r || !r->attachment || r->attachment->state != AttachmentState::kDetaching) return;
    VolumeRecord volume = *r;
    volume.attachment.reset();
    volume.state = VolumeState::kAvailable;
    Batch b;
    b.Put(std::move(volume));
    if (const auto* i = s.store_->Find<InstanceRecord>(instance_id)) {
      InstanceRecord instance = *i;
      RemoveBlockDevice(instance, volume_id);
      b.Put(std::move(instance));
    }
    Log(s.store_->Apply(b), volume_id);
  }

  // deleting -> gone: the block volume first, then the record. A block volume
  // that cannot be deleted yet (still open) keeps the record in deleting for Resume.
  static base::Status FinishDelete(Ec2Service& s, const std::string& volume_id) {
    int64_t engine_id = 0;
    {
      std::lock_guard lock(s.mu_);
      const auto* r = s.store_->Find<VolumeRecord>(volume_id);
      if (!r || r->state != VolumeState::kDeleting) return base::Status::Ok();
      engine_id = r->engine_id;
    }
    // "deleting" must be durable before the block volume goes: a crash in
    // between then leaves a record Resume finishes deleting, never an
    // "available" one without its block volume.
    KURA_RETURN_IF_ERROR(s.WaitDurable());
    if (engine_id > 0) {
      base::Status deleted = s.options_.engine->DeleteVolume(engine_id);
      if (!deleted.ok() && deleted.code() != base::StatusCode::kNotFound) {
        base::LogEvent(base::LogLevel::kWarn, "ec2_volume_delete_deferred",
                       {{"volume", volume_id}, {"error", deleted.ToString()}});
        return deleted;
      }
    }
    std::lock_guard lock(s.mu_);
    Batch b;
    b.Erase<VolumeRecord>(volume_id);
    return s.store_->Apply(b);
  }

  // modifying -> optimizing -> completed: the block volume grows first.
  static void FinishModify(Ec2Service& s, const std::string& volume_id) {
    VolumeRecord v;
    {
      std::lock_guard lock(s.mu_);
      const auto* r = s.store_->Find<VolumeRecord>(volume_id);
      if (!r || !r->modification || r->modification->state != "modifying") return;
      v = *r;
    }
    const VolumeModification& m = *v.modification;
    base::Status grown = base::Status::Ok();
    if (m.target_size_gib > m.original_size_gib && v.engine_id > 0) {
      grown = s.options_.engine->ResizeVolume(v.engine_id, static_cast<uint64_t>(m.target_size_gib) * blocks::kGiB);
    }
    s.HoldTransition(m.start_time);
    auto update = [&](const std::function<void(VolumeRecord&)>& change) {
      std::lock_guard lock(s.mu_);
      const auto* r = s.store_->Find<VolumeRecord>(volume_id);
      if (!r || !r->modification || r->modification->start_time != m.start_time) return;
      VolumeRecord volume = *r;
      change(volume);
      Log(s.store_->Put(std::move(volume)), volume_id);
    };
    if (!grown.ok()) {
      update([&](VolumeRecord& volume) {
        volume.modification->state = "failed";
        volume.modification->end_time = s.NowMs();
        volume.state_message = grown.message();
      });
      return;
    }
    update([&](VolumeRecord& volume) {
      volume.size_gib = m.target_size_gib;
      volume.volume_type = m.target_type;
      volume.iops = m.target_iops;
      volume.throughput = m.target_throughput;
      volume.modification->state = "optimizing";
      volume.modification->progress = 50;
    });
    s.HoldTransition(s.NowMs());
    update([&](VolumeRecord& volume) {
      volume.modification->state = "completed";
      volume.modification->progress = 100;
      volume.modification->end_time = s.NowMs();
    });
  }

  // DescribeVolumes and DescribeVolumeStatus: the caller's volumes of its region.
  static base::Result<Page<VolumeRecord>> List(Ec2Service& s, const Caller& caller, const std::vector<std::string>& ids,
                                               const std::vector<Filter>& filters, const PageRequest& page,
                                               const std::function<std::optional<std::vector<std::string>>(
                                                   const VolumeRecord&, const std::string&)>& extra_filters) {
    if (!ids.empty() && page.max_results) {
      return Ec2Status(Ec2Error::kInvalidParameterCombination,
                       "The parameter volumeSet cannot be used with the parameter maxResults");
    }
    std::lock_guard lock(s.mu_);
    for (const auto& id : ids) {
      if (!s.OwnedVolume(caller, id)) return VolumeNotFound(id);
    }
    const std::set<std::string> wanted(ids.begin(), ids.end());
    const auto values_of = [&](const VolumeRecord& v, const std::string& name) {
      auto own = VolumeFilterValues(v, name);
      return own || !extra_filters ? own : extra_filters(v, name);
    };
    KURA_RETURN_IF_ERROR(CheckFilterNames<VolumeRecord>(filters, values_of));
    // Pointers into the store (stable under mu_): only the page is copied out.
    std::vector<const VolumeRecord*> matched;
    for (const auto& [id, v] : s.store_->All<VolumeRecord>()) {
      if (v.account != caller.principal.account_id || v.region != caller.region) continue;
      if (!wanted.empty() && !wanted.count(id)) continue;
      KURA_ASSIGN_OR_RETURN(bool keep, MatchesFilters(filters, v.tags, [&](const std::string& name) {
                              return values_of(v, name);
                            }));
      if (keep) matched.push_back(&v);
    }
    KURA_ASSIGN_OR_RETURN(auto range, PageOf(matched.size(), page.max_results, page.next_token, 5, 1000));
    Page<VolumeRecord> out;
    for (size_t i = range.begin; i < range.end; ++i) out.items.push_back(*matched[i]);
    out.next_token = range.next_token;
    return out;
  }

  static void Log(const base::Status& stored, const std::string& id) {
    LogIfFailed(stored, "ec2_volume_store_failed", "volume", id);
  }
};

// ---- internal steps ----

base::Result<VolumeRecord> Ec2Service::PrepareVolume(const Caller& caller, const CreateVolumeRequest& request) {
  if (request.zone.empty()) {
    return Ec2Status(Ec2Error::kMissingParameter, "The request must contain the parameter AvailabilityZone");
  }
  const auto zones = ZonesOf(caller.region);
  if (std::none_of(zones.begin(), zones.end(), [&](const ZoneInfo& z) { return z.name == request.zone; })) {
    return Ec2Status(Ec2Error::kInvalidParameterValue, "Invalid availability zone: [" + request.zone + "]");
  }
  const SnapshotRecord* snapshot = nullptr;
  if (!request.snapshot_id.empty()) {
    snapshot = UsableSnapshot(caller, request.snapshot_id);
    if (!snapshot) {
      return Ec2Status(Ec2Error::kSnapshotNotFound, "The snapshot '" + request.snapshot_id + "' does not exist.");
    }
    if (snapshot->state != SnapshotState::kCompleted) {
      return Ec2Status(Ec2Error::kIncorrectState,
                       std::string("Snapshot is in invalid state - ") + Name(snapshot->state));
    }
  }
  VolumeConfig config;
  config.type = request.volume_type.empty() ? "gp2" : request.volume_type;
  config.iops = request.iops;
  config.throughput = request.throughput;
  if (request.size_gib) {
    config.size_gib = *request.size_gib;
    if (snapshot && config.size_gib < snapshot->volume_size_gib) {
      return Ec2Status(Ec2Error::kInvalidParameterValue,
                       "Volume of size " + std::to_string(config.size_gib) + "GB is smaller than snapshot '" +
                           snapshot->id + "', expect size >= " + std::to_string(snapshot->volume_size_gib) + "GB");
    }
  } else if (snapshot) {
    config.size_gib = snapshot->volume_size_gib;
  } else {
    return Ec2Status(Ec2Error::kMissingParameter, "The request must contain the parameter size or snapshotId");
  }
  KURA_RETURN_IF_ERROR(ValidateConfig(config));
  if (request.multi_attach && config.type != "io1" && config.type != "io2") {
    return Ec2Status(Ec2Error::kInvalidParameterCombination,
                     "Multi-Attach is supported only for io1 and io2 volumes.");
  }
  KURA_ASSIGN_OR_RETURN(auto tags, MergeTags({}, request.tags));

  KeyRequest key_request;
  key_request.operation = KeyOperation::kCreateVolume;
  key_request.encrypted = request.encrypted;
  key_request.kms_key_id = request.kms_key_id;
  if (snapshot) {
    key_request.source = KeySourceInfo{true, snapshot->encrypted, snapshot->encryption.kms_key_arn,
                                       snapshot->account == caller.principal.account_id, true};
  }
  KURA_ASSIGN_OR_RETURN(KeyChoice choice,
                        ResolveKey(key_request, SettingsOf(caller.principal.account_id, caller.region)));

  VolumeRecord v;
  v.id = NewId("vol-");
  v.account = caller.principal.account_id;
  v.region = caller.region;
  v.zone = request.zone;
  ApplyConfig(config, v);
  v.snapshot_id = request.snapshot_id;
  v.multi_attach = request.multi_attach;
  v.encrypted = choice.encrypted;
  v.state = VolumeState::kCreating;
  v.create_time = NowMs();
  v.tags = std::move(tags);
  v.client_token = request.client_token;
  v.requester = caller;
  if (choice.encrypted) {
    // The snapshot's own (same key: its data key is reused, no copy) or the chosen key.
    v.encryption = data_keys_->StartEncryption(caller, choice, key_request.source,
                                               snapshot ? snapshot->encryption : Encryption{});
    v.requested_key_id = choice.key_id;
  }
  return v;
}

base::Status Ec2Service::MaterializeVolume(VolumeRecord& volume) {
  blocks::Engine& engine = *options_.engine;
  const uint64_t size = static_cast<uint64_t>(volume.size_gib) * blocks::kGiB;
  std::optional<SnapshotRecord> source;
  if (!volume.snapshot_id.empty()) {
    std::lock_guard lock(mu_);
    const auto* s = store_->Find<SnapshotRecord>(volume.snapshot_id);
    if (!s || s->engine_id <= 0) {
      return Ec2Status(Ec2Error::kSnapshotNotFound, "The snapshot '" + volume.snapshot_id + "' does not exist.");
    }
    source = *s;
  }
  if (!volume.encrypted) {
    KURA_ASSIGN_OR_RETURN(volume.engine_id, source ? engine.CreateVolumeFromSnapshot(source->engine_id, size, nullptr)
                                                   : engine.CreateVolume(size, nullptr));
    return base::Status::Ok();
  }
  // A data key wrapped for another context is the snapshot's, reused as is.
  const bool reuses_source_key =
      source && !volume.encryption.wrapped_key.empty() && volume.encryption.context_id != volume.id;
  if (reuses_source_key) {
    KURA_ASSIGN_OR_RETURN(auto key, data_keys_->UnwrapForService(volume.requester, volume.encryption));
    KURA_ASSIGN_OR_RETURN(volume.engine_id, engine.CreateVolumeFromSnapshot(source->engine_id, size, &key));
    return base::Status::Ok();
  }
  if (volume.encryption.wrapped_key.empty()) {
    const std::string key_id =
        volume.requested_key_id.empty() ? volume.encryption.kms_key_arn : volume.requested_key_id;
    KURA_ASSIGN_OR_RETURN(auto wrapped, data_keys_->NewDataKey(volume.requester, key_id, volume.id));
    volume.encryption.wrapped_key = std::move(wrapped.blob);
    volume.encryption.kms_key_arn = std::move(wrapped.key_arn);
    volume.encryption.context_id = volume.id;
    if (source) {
      // A copy can be long: keep the new wrapped key with the record so that
      // after a restart the copy resumes under the same data key.
      std::lock_guard lock(mu_);
      if (const auto* r = store_->Find<VolumeRecord>(volume.id); r && r->state == VolumeState::kCreating) {
        VolumeRecord updated = *r;
        updated.encryption = volume.encryption;
        VolumeJobs::Log(store_->Put(std::move(updated)), volume.id);
      }
    }
  }
  KURA_ASSIGN_OR_RETURN(auto key, data_keys_->UnwrapForService(volume.requester, volume.encryption));
  if (!source) {
    KURA_ASSIGN_OR_RETURN(volume.engine_id, engine.CreateVolume(size, &key));
    return base::Status::Ok();
  }
  // Re-encryption (another key, or encrypting unencrypted data): a full copy.
  std::optional<crypto::SecretBytes> source_key;
  if (source->encrypted) {
    KURA_ASSIGN_OR_RETURN(source_key, data_keys_->UnwrapForService(volume.requester, source->encryption));
  }
  KURA_ASSIGN_OR_RETURN(int64_t id, CopyUnderNewKey(engine, source->engine_id, /*to_volume=*/true,
                                                    source_key ? &*source_key : nullptr, key, {}));
  KURA_ASSIGN_OR_RETURN(auto info, engine.DescribeVolume(id));
  if (info.size_bytes < size) {
    base::Status grown = engine.ResizeVolume(id, size);
    if (!grown.ok()) {
      (void)engine.DeleteVolume(id);
      return grown;
    }
  }
  volume.engine_id = id;
  return base::Status::Ok();
}

base::Status Ec2Service::AttachToHost(const std::string& instance_id, const VolumeRecord& volume,
                                      const Requester& requester) {
  if (hosts_->Has(instance_id, volume.id)) return base::Status::Ok();
  if (volume.engine_id <= 0) {
    return base::FailedPreconditionError("volume " + volume.id + " has no block volume yet");
  }
  HostVolume entry;
  entry.account = volume.account;
  entry.instance_id = instance_id;
  entry.volume_id = volume.id;
  if (volume.encrypted) {
    KURA_ASSIGN_OR_RETURN(auto host, data_keys_->UnwrapForHost(requester, volume.account, instance_id, volume.id,
                                                               volume.encryption));
    entry.key = std::move(host.plaintext);
    entry.grant_id = std::move(host.grant_id);
    entry.key_arn = volume.encryption.kms_key_arn;
  }
  auto opened = options_.engine->OpenVolume(volume.engine_id, volume.encrypted ? &entry.key : nullptr);
  if (!opened.ok()) {
    if (!entry.grant_id.empty()) (void)data_keys_->RetireHostGrant(volume.account, entry.key_arn, entry.grant_id);
    return opened.status();
  }
  entry.volume = std::move(opened).value();
  const std::string new_grant = entry.grant_id;
  auto replaced = hosts_->Add(std::move(entry));
  if (replaced && !replaced->grant_id.empty() && replaced->grant_id != new_grant) {
    (void)data_keys_->RetireHostGrant(replaced->account, replaced->key_arn, replaced->grant_id);
  }
  return base::Status::Ok();
}

void Ec2Service::DetachFromHost(const std::string& instance_id, const std::string& volume_id) {
  auto removed = hosts_->Remove(instance_id, volume_id);
  if (!removed || removed->grant_id.empty()) return;
  base::Status retired = data_keys_->RetireHostGrant(removed->account, removed->key_arn, removed->grant_id);
  if (!retired.ok()) {
    // The key is already gone from the host; a grant left behind only allows
    // what the next attach would create again.
    base::LogEvent(base::LogLevel::kWarn, "ec2_host_grant_not_retired",
                   {{"volume", volume_id}, {"instance", instance_id}, {"error", retired.ToString()}});
  }
}

// ---- operations ----

base::Result<VolumeRecord> Ec2Service::CreateVolume(const Caller& caller, const CreateVolumeRequest& request) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:CreateVolume", {}));
  VolumeRecord v;
  {
    std::lock_guard lock(mu_);
    if (!request.client_token.empty()) {
      if (const auto* existing =
              store_->FindVolumeByClientToken(caller.principal.account_id, caller.region, request.client_token)) {
        if (!SameVolumeRequest(*existing, request)) {
          return Ec2Status(Ec2Error::kIdempotentParameterMismatch,
                           "The client token you have provided is associated with a resource that is already "
                           "deleted or has different parameters. Please use a different client token.");
        }
        return *existing;
      }
    }
    KURA_ASSIGN_OR_RETURN(v, PrepareVolume(caller, request));
    KURA_RETURN_IF_ERROR(store_->Put(v));
  }
  Submit(v.id, [this, id = v.id] { VolumeJobs::FinishCreate(*this, id); });
  return v;
}

base::Result<Page<VolumeRecord>> Ec2Service::DescribeVolumes(const Caller& caller, const std::vector<std::string>& ids,
                                                             const std::vector<Filter>& filters,
                                                             const PageRequest& page) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DescribeVolumes", {}));
  return VolumeJobs::List(*this, caller, ids, filters, page, nullptr);
}

base::Result<Page<VolumeRecord>> Ec2Service::DescribeVolumeStatus(const Caller& caller,
                                                                  const std::vector<std::string>& ids,
                                                                  const std::vector<Filter>& filters,
                                                                  const PageRequest& page) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DescribeVolumeStatus", {}));
  // kura's volumes are always healthy: status ok, I/O enabled, no events.
  return VolumeJobs::List(*this, caller, ids, filters, page,
                          [](const VolumeRecord&, const std::string& name) -> std::optional<std::vector<std::string>> {
                            if (name == "volume-status.status") return std::vector<std::string>{"ok"};
                            if (name == "volume-status.details-name") {
                              return std::vector<std::string>{"io-enabled", "io-performance"};
                            }
                            if (name == "volume-status.details-status") return std::vector<std::string>{"passed"};
                            return std::nullopt;
                          });
}

base::Status Ec2Service::DeleteVolume(const Caller& caller, const std::string& volume_id) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DeleteVolume", {}));
  {
    std::lock_guard lock(mu_);
    const auto* v = OwnedVolume(caller, volume_id);
    if (!v || v->state == VolumeState::kDeleted) return VolumeNotFound(volume_id);
    if (v->attachment) {
      return Ec2Status(Ec2Error::kVolumeInUse,
                       "Volume " + volume_id + " is currently attached to " + v->attachment->instance_id);
    }
    if (v->state != VolumeState::kAvailable && v->state != VolumeState::kError) {
      return Ec2Status(Ec2Error::kIncorrectState,
                       "The volume '" + volume_id + "' is in the '" + Name(v->state) + "' state.");
    }
    VolumeRecord deleting = *v;
    deleting.state = VolumeState::kDeleting;
    KURA_RETURN_IF_ERROR(store_->Put(std::move(deleting)));
  }
  // The block volume goes now; if it cannot yet, the record stays in
  // deleting and Resume retries. Either way the deletion is accepted.
  (void)VolumeJobs::FinishDelete(*this, volume_id);
  return base::Status::Ok();
}

base::Result<VolumeAttachment> Ec2Service::AttachVolume(const Caller& caller, const std::string& volume_id,
                                                        const std::string& instance_id, const std::string& device) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:AttachVolume", {}));
  VolumeAttachment attachment;
  bool running = false;
  {
    std::lock_guard lock(mu_);
    const auto* v = OwnedVolume(caller, volume_id);
    if (!v || v->state == VolumeState::kDeleted) return VolumeNotFound(volume_id);
    const auto* i = OwnedInstance(caller, instance_id);
    if (!i || i->state == InstanceState::kTerminated) return InstanceNotFound(instance_id);
    if (v->attachment) {
      return Ec2Status(Ec2Error::kVolumeInUse, volume_id + " is already attached to an instance");
    }
    if (v->state != VolumeState::kAvailable) {
      return Ec2Status(Ec2Error::kIncorrectState,
                       "The volume '" + volume_id + "' is not in the 'available' state.");
    }
    if (i->state != InstanceState::kRunning && i->state != InstanceState::kStopped) {
      return Ec2Status(Ec2Error::kIncorrectState, "Instance '" + instance_id + "' is not 'running'.");
    }
    if (v->zone != i->zone) {
      return Ec2Status(Ec2Error::kVolumeZoneMismatch, "The volume '" + volume_id +
                                                          "' is not in the same availability zone as instance '" +
                                                          instance_id + "'");
    }
    if (!IsValidDevice(device)) {
      return Ec2Status(Ec2Error::kInvalidParameterValue, "Value (" + device + ") for parameter device is invalid. " +
                                                             device + " is not a valid EBS device name.");
    }
    const std::string canonical = CanonicalDevice(device);
    auto same_device = [&](const InstanceBlockDevice& d) { return CanonicalDevice(d.device_name) == canonical; };
    // The root device is free once its volume is detached (a stopped instance
    // gets a new root volume that way, as on AWS).
    const bool taken = std::any_of(i->block_devices.begin(), i->block_devices.end(), same_device);
    if (taken) {
      return Ec2Status(Ec2Error::kInvalidParameterValue, "Invalid value '" + device +
                                                             "' for unixDevice. Attachment point " + device +
                                                             " is already in use");
    }
    if (v->encrypted) {
      const InstanceTypeInfo* type = instance_types_->Find(i->instance_type);
      if (type && !type->encryption_supported) {
        return Ec2Status(Ec2Error::kEncryptedVolumesNotSupported,
                         "'" + volume_id + "' is encrypted and '" + i->instance_type +
                             "' does not support encrypted volumes.");
      }
    }
    running = i->state == InstanceState::kRunning;
    attachment.instance_id = instance_id;
    attachment.device = device;
    attachment.attach_time = NowMs();
    attachment.delete_on_termination = false;
    // A stopped instance has no host yet: attached at once, keys at its next start.
    attachment.state = running ? AttachmentState::kAttaching : AttachmentState::kAttached;

    VolumeRecord volume = *v;
    volume.attachment = attachment;
    volume.state = VolumeState::kInUse;
    volume.state_message.clear();
    volume.requester = caller;
    InstanceRecord instance = *i;
    instance.block_devices.push_back(InstanceBlockDevice{device, volume_id, Name(attachment.state),
                                                         attachment.attach_time, false});
    Batch b;
    b.Put(std::move(volume));
    b.Put(std::move(instance));
    KURA_RETURN_IF_ERROR(store_->Apply(b));
  }
  if (running) Submit(volume_id, [this, volume_id] { VolumeJobs::FinishAttach(*this, volume_id); });
  attachment.state = AttachmentState::kAttaching;  // as AWS answers either way
  return attachment;
}

base::Result<VolumeAttachment> Ec2Service::DetachVolume(const Caller& caller, const DetachVolumeRequest& request) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DetachVolume", {}));
  const std::string& volume_id = request.volume_id;
  VolumeAttachment attachment;
  {
    std::lock_guard lock(mu_);
    const auto* v = OwnedVolume(caller, volume_id);
    if (!v || v->state == VolumeState::kDeleted) return VolumeNotFound(volume_id);
    if (!v->attachment) {
      return Ec2Status(Ec2Error::kIncorrectState,
                       "Volume '" + volume_id + "' is in the '" + Name(v->state) + "' state.");
    }
    const VolumeAttachment& a = *v->attachment;
    if ((!request.instance_id.empty() && request.instance_id != a.instance_id) ||
        (!request.device.empty() && CanonicalDevice(request.device) != CanonicalDevice(a.device))) {
      return Ec2Status(Ec2Error::kAttachmentNotFound,
                       "The volume '" + volume_id + "' is not attached to instance '" +
                           (request.instance_id.empty() ? a.instance_id : request.instance_id) + "' as device '" +
                           (request.device.empty() ? a.device : request.device) + "'.");
    }
    if (a.state == AttachmentState::kDetaching) return a;  // already on its way
    if (a.state != AttachmentState::kAttached && !request.force) {
      return Ec2Status(Ec2Error::kIncorrectState,
                       "Volume '" + volume_id + "' is in the '" + Name(a.state) + "' attachment state.");
    }
    const auto* i = store_->Find<InstanceRecord>(a.instance_id);
    if (i && i->state == InstanceState::kRunning && CanonicalDevice(i->root_device_name) == CanonicalDevice(a.device)) {
      return Ec2Status(Ec2Error::kOperationNotPermitted,
                       "Unable to detach root volume '" + volume_id + "' from instance '" + a.instance_id + "'");
    }
    VolumeRecord volume = *v;
    volume.attachment->state = AttachmentState::kDetaching;
    attachment = *volume.attachment;
    Batch b;
    b.Put(std::move(volume));
    if (i) {
      InstanceRecord instance = *i;
      SetBlockDeviceStatus(instance, volume_id, "detaching");
      b.Put(std::move(instance));
    }
    KURA_RETURN_IF_ERROR(store_->Apply(b));
  }
  Submit(volume_id, [this, volume_id] { VolumeJobs::FinishDetach(*this, volume_id); });
  return attachment;
}

base::Result<VolumeModification> Ec2Service::ModifyVolume(const Caller& caller, const ModifyVolumeRequest& request) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:ModifyVolume", {}));
  const std::string& volume_id = request.volume_id;
  VolumeModification m;
  {
    std::lock_guard lock(mu_);
    const auto* v = OwnedVolume(caller, volume_id);
    if (!v || v->state == VolumeState::kDeleted) return VolumeNotFound(volume_id);
    if (v->state != VolumeState::kAvailable && v->state != VolumeState::kInUse) {
      return Ec2Status(Ec2Error::kIncorrectState,
                       "The volume '" + volume_id + "' is in the '" + Name(v->state) + "' state.");
    }
    if (v->modification && (v->modification->state == "modifying" || v->modification->state == "optimizing")) {
      return Ec2Status(Ec2Error::kIncorrectModificationState,
                       "Volume " + volume_id + " is already being modified.");
    }
    if (request.size_gib && *request.size_gib < v->size_gib) {
      return Ec2Status(Ec2Error::kInvalidParameterValue, "New size cannot be smaller than existing size");
    }
    VolumeConfig config;
    config.type = request.volume_type.empty() ? v->volume_type : request.volume_type;
    config.size_gib = request.size_gib.value_or(v->size_gib);
    // Provisioned settings carry over while they still mean something for the type.
    const bool same_family = config.type == v->volume_type ||
                             ((config.type == "io1" || config.type == "io2") &&
                              (v->volume_type == "io1" || v->volume_type == "io2"));
    config.iops = request.iops ? request.iops : (same_family && config.type != "gp2" ? v->iops : std::nullopt);
    config.throughput = request.throughput ? request.throughput : (same_family ? v->throughput : std::nullopt);
    KURA_RETURN_IF_ERROR(ValidateConfig(config));
    const bool multi_attach = request.multi_attach.value_or(v->multi_attach);
    if (multi_attach && config.type != "io1" && config.type != "io2") {
      return Ec2Status(Ec2Error::kInvalidParameterCombination,
                       "Multi-Attach is supported only for io1 and io2 volumes.");
    }
    m.state = "modifying";
    m.original_size_gib = v->size_gib;
    m.target_size_gib = config.size_gib;
    m.original_type = v->volume_type;
    m.target_type = config.type;
    m.original_iops = v->iops;
    m.target_iops = config.iops;
    m.original_throughput = v->throughput;
    m.target_throughput = config.throughput;
    m.progress = 0;
    m.start_time = NowMs();
    VolumeRecord volume = *v;
    volume.modification = m;
    volume.multi_attach = multi_attach;
    KURA_RETURN_IF_ERROR(store_->Put(std::move(volume)));
  }
  Submit(volume_id, [this, volume_id] { VolumeJobs::FinishModify(*this, volume_id); });
  return m;
}

void Ec2Service::ResumeVolumes() {
  std::vector<std::string> creating, attaching, detaching, deleting, modifying;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, v] : store_->All<VolumeRecord>()) {
      if (v.state == VolumeState::kCreating) creating.push_back(id);
      if (v.state == VolumeState::kDeleting) deleting.push_back(id);
      if (v.attachment && v.attachment->state == AttachmentState::kAttaching) attaching.push_back(id);
      if (v.attachment && v.attachment->state == AttachmentState::kDetaching) detaching.push_back(id);
      if (v.modification && (v.modification->state == "modifying" || v.modification->state == "optimizing")) {
        modifying.push_back(id);
      }
      // An interrupted modification starts over from "modifying": growing is idempotent.
    }
    for (const auto& id : modifying) {
      VolumeRecord v = *store_->Find<VolumeRecord>(id);
      v.modification->state = "modifying";
      VolumeJobs::Log(store_->Put(std::move(v)), id);
    }
  }
  for (const auto& id : creating) Submit(id, [this, id] { VolumeJobs::FinishCreate(*this, id); });
  for (const auto& id : attaching) Submit(id, [this, id] { VolumeJobs::FinishAttach(*this, id); });
  for (const auto& id : detaching) Submit(id, [this, id] { VolumeJobs::FinishDetach(*this, id); });
  for (const auto& id : deleting) Submit(id, [this, id] { (void)VolumeJobs::FinishDelete(*this, id); });
  for (const auto& id : modifying) Submit(id, [this, id] { VolumeJobs::FinishModify(*this, id); });
}

// ModifyInstanceAttribute's block-device part: the volume record and the
// instance's mapping both carry DeleteOnTermination and must agree.
base::Status Ec2Service::ModifyDeleteOnTermination(const Caller& caller, const std::string& instance_id,
                                                   const std::vector<DeleteOnTerminationChange>& changes) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:ModifyInstanceAttribute", {}));
  if (changes.empty()) {
    return Ec2Status(Ec2Error::kMissingParameter, "The request must contain the parameter BlockDeviceMapping");
  }
  std::lock_guard lock(mu_);
  const auto* found = OwnedInstance(caller, instance_id);
  if (!found || found->state == InstanceState::kTerminated) return InstanceNotFound(instance_id);
  InstanceRecord instance = *found;
  Batch batch;
  for (const auto& change : changes) {
    const std::string canonical = CanonicalDevice(change.device_name);
    auto it = std::find_if(instance.block_devices.begin(), instance.block_devices.end(),
                           [&](const InstanceBlockDevice& d) { return CanonicalDevice(d.device_name) == canonical; });
    if (it == instance.block_devices.end() || (!change.volume_id.empty() && change.volume_id != it->volume_id)) {
      return Ec2Status(Ec2Error::kInvalidParameterValue, "No device is currently mapped at " + change.device_name +
                                                             (change.volume_id.empty() ? "" : " for " + change.volume_id));
    }
    it->delete_on_termination = change.delete_on_termination;
    const auto* v = OwnedVolume(caller, it->volume_id);
    if (v && v->attachment && v->attachment->instance_id == instance_id) {
      VolumeRecord volume = *v;
      volume.attachment->delete_on_termination = change.delete_on_termination;
      batch.Put(std::move(volume));
    }
  }
  batch.Put(std::move(instance));
  return store_->Apply(std::move(batch));
}

}  // namespace kura::ec2
