// Snapshots (ec2-api.md §6.2, §6.5; ebs-kms-flows.md F4, F5, F7):
// CreateSnapshot(s), DescribeSnapshots, CopySnapshot, DeleteSnapshot and the
// createVolumePermission attribute, and the internal steps images reuse
// (PrepareSnapshot, PrepareSnapshotCopy, MaterializeSnapshotCopy,
// ReleaseEngineSnapshot).
//
// Block snapshots are shared: a snapshot and its metadata-only copies (same
// key, same region) point at one engine snapshot, freed when the last record
// using it goes (ReleaseEngineSnapshot). A re-encrypting copy gets its own
// data key (context = its own id) and its own engine snapshot.
#include <algorithm>
#include <set>

#include "base/log.h"
#include "ec2/data_keys.h"
#include "ec2/ec2_service.h"
#include "ec2/filters.h"
#include "ec2/ids.h"
#include "ec2/key_resolution.h"
#include "ec2/worker.h"

namespace kura::ec2 {

namespace {

constexpr int kMaxConcurrentCopies = 20;      // per destination region (and account)
constexpr int kProgressPersistStep = 5;       // percent between stored progress updates
constexpr char kCopyVolumeId[] = "vol-ffffffff";
constexpr char kCreateVolumePermission[] = "createVolumePermission";

base::Status SnapshotNotFound(const std::string& id) {
  return Ec2Status(Ec2Error::kSnapshotNotFound, "The snapshot '" + id + "' does not exist.");
}

base::Status NotCompleted(SnapshotState state) {
  return Ec2Status(Ec2Error::kIncorrectState, std::string("Snapshot is in invalid state - ") + Name(state));
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string ProgressText(int progress) { return progress < 0 ? "" : std::to_string(progress) + "%"; }

std::optional<std::vector<std::string>> SnapshotFilterValues(const SnapshotRecord& s, const std::string& name) {
  using V = std::vector<std::string>;
  if (name == "description") return V{s.description};
  if (name == "encrypted") return V{BoolText(s.encrypted)};
  if (name == "owner-id") return V{s.account};
  if (name == "owner-alias") return V{};
  if (name == "progress") return V{ProgressText(s.progress)};
  if (name == "snapshot-id") return V{s.id};
  if (name == "start-time") return V{IsoTime(s.start_time)};
  if (name == "status") return V{Name(s.state)};
  if (name == "volume-id") return V{s.volume_id};
  if (name == "volume-size") return V{std::to_string(s.volume_size_gib)};
  if (name == "kms-key-id") return s.encrypted ? V{s.encryption.kms_key_arn} : V{};
  if (name == "storage-tier") return V{"standard"};
  return std::nullopt;
}

// The caller in another region (a copy's source region).
Caller InRegion(const Caller& caller, const std::string& region) {
  Caller c = caller;
  c.region = region;
  return c;
}

bool IsAccountId(const std::string& s) {
  return s.size() == 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

base::Status CheckAttribute(const std::string& attribute, bool product_codes_allowed) {
  if (attribute.empty() || attribute == kCreateVolumePermission) return base::Status::Ok();
  if (product_codes_allowed && attribute == "productCodes") return base::Status::Ok();
  return Ec2Status(Ec2Error::kInvalidParameterValue,
                   "Value (" + attribute + ") for parameter attribute is invalid. Unknown attribute.");
}

}  // namespace

// The asynchronous halves, run on the worker (and by Resume).
struct SnapshotJobs {
  // pending -> completed (plain snapshots: the block snapshot exists already;
  // copies: the data is copied first) or error.
  static void Finish(Ec2Service& s, const std::string& id) {
    SnapshotRecord snap;
    {
      std::lock_guard lock(s.mu_);
      const auto* r = s.store_->Find<SnapshotRecord>(id);
      if (!r || r->state != SnapshotState::kPending) return;
      snap = *r;
    }
    base::Status made = snap.copy_source_id.empty() ? base::Status::Ok() : s.MaterializeSnapshotCopy(snap);
    s.HoldTransition(snap.start_time);
    std::lock_guard lock(s.mu_);
    const auto* r = s.store_->Find<SnapshotRecord>(id);
    if (!r || r->state != SnapshotState::kPending) {
      // Deleted while it was copied: the copy's own block snapshot goes too
      // (no record has it yet). A plain snapshot's is its deleter's business,
      // which frees it once the deletion is durable.
      if (made.ok() && !snap.copy_source_id.empty() && snap.engine_id > 0) {
        Log(s.ReleaseEngineSnapshot(snap.engine_id), id);
      }
      return;
    }
    SnapshotRecord updated = *r;
    if (made.ok()) {
      updated.engine_id = snap.engine_id;
      updated.encryption = snap.encryption;
      updated.state = SnapshotState::kCompleted;
      updated.progress = 100;
      updated.state_message.clear();
    } else {
      updated.state = SnapshotState::kError;
      updated.state_message = made.message();
      base::LogEvent(base::LogLevel::kInfo, "ec2_snapshot_copy_failed", {{"snapshot", id}, {"error", made.ToString()}});
    }
    Log(s.store_->Put(std::move(updated)), id);
  }

  // Stores `snap` again with `change` applied, if it is still pending.
  static void UpdatePending(Ec2Service& s, const std::string& id, const std::function<void(SnapshotRecord&)>& change) {
    std::lock_guard lock(s.mu_);
    const auto* r = s.store_->Find<SnapshotRecord>(id);
    if (!r || r->state != SnapshotState::kPending) return;
    SnapshotRecord updated = *r;
    change(updated);
    Log(s.store_->Put(std::move(updated)), id);
  }

  // Visible to the caller in its region: owned, shared with its account, or public.
  static bool Visible(const SnapshotRecord& r, const Caller& caller) {
    const auto& account = caller.principal.account_id;
    return r.region == caller.region && (r.account == account || r.is_public || Contains(r.shared_with, account));
  }

  // The caller's own snapshot (attribute operations and deletion are the owner's).
  static const SnapshotRecord* Owned(const Ec2Service& s, const Caller& caller, const std::string& id) {
    const auto* r = s.store_->Find<SnapshotRecord>(id);
    if (!r || r->account != caller.principal.account_id || r->region != caller.region) return nullptr;
    return r;
  }

  static void Log(const base::Status& st, const std::string& id) {
    LogIfFailed(st, "ec2_snapshot_store_failed", "snapshot", id);
  }
};

// ---- internal steps ----

base::Result<SnapshotRecord> Ec2Service::PrepareSnapshot(const Caller& caller, const VolumeRecord& volume,
                                                         const std::string& description,
                                                         const std::vector<Tag>& tags) {
  if (volume.state != VolumeState::kAvailable && volume.state != VolumeState::kInUse) {
    return Ec2Status(Ec2Error::kIncorrectState,
                     "Volume '" + volume.id + "' is in the '" + Name(volume.state) + "' state.");
  }
  if (volume.engine_id <= 0) {
    return Ec2Status(Ec2Error::kIncorrectState, "Volume '" + volume.id + "' is not ready.");
  }
  KURA_ASSIGN_OR_RETURN(auto merged, MergeTags({}, tags));
  SnapshotRecord snap;
  snap.id = NewId("snap-");
  snap.account = volume.account;
  snap.region = volume.region;
  snap.volume_id = volume.id;
  snap.volume_size_gib = volume.size_gib;
  snap.description = description;
  snap.state = SnapshotState::kPending;
  snap.progress = -1;
  snap.start_time = NowMs();
  // F4: the volume's key, data key and context ({"aws:ebs:id": the volume id}).
  snap.encrypted = volume.encrypted;
  snap.encryption = volume.encryption;
  snap.tags = std::move(merged);
  snap.requester = caller;
  // O(1) and crash-consistent: the engine flushes an open volume and freezes its chunk map.
  KURA_ASSIGN_OR_RETURN(snap.engine_id, options_.engine->CreateSnapshot(volume.engine_id));
  return snap;
}

base::Result<SnapshotRecord> Ec2Service::PrepareSnapshotCopy(const Caller& caller, const SnapshotRecord& source,
                                                             const CopySnapshotRequest& request) {
  const std::string destination = request.destination_region.empty() ? caller.region : request.destination_region;
  if (source.state != SnapshotState::kCompleted) return NotCompleted(source.state);
  int in_flight = 0;
  for (const auto& [id, r] : store_->All<SnapshotRecord>()) {
    if (r.account == caller.principal.account_id && r.region == destination && r.state == SnapshotState::kPending &&
        !r.copy_source_id.empty()) {
      ++in_flight;
    }
  }
  if (in_flight >= kMaxConcurrentCopies) {
    return Ec2Status(Ec2Error::kResourceLimitExceeded,
                     "Too many snapshot copies in progress. The limit is " + std::to_string(kMaxConcurrentCopies) +
                         " for this destination region.");
  }
  KURA_ASSIGN_OR_RETURN(auto tags, MergeTags({}, request.tags));

  const Requester requester{caller.principal, destination, caller.request_id};
  KeyRequest key_request;
  key_request.operation = KeyOperation::kCopySnapshot;
  key_request.encrypted = request.encrypted;
  key_request.kms_key_id = request.kms_key_id;
  key_request.source = KeySourceInfo{true, source.encrypted, source.encryption.kms_key_arn,
                                     source.account == caller.principal.account_id, source.region == destination};
  KURA_ASSIGN_OR_RETURN(KeyChoice choice,
                        ResolveKey(key_request, SettingsOf(caller.principal.account_id, destination)));

  SnapshotRecord copy;
  copy.id = NewId("snap-");
  copy.account = caller.principal.account_id;
  copy.region = destination;
  copy.volume_id = kCopyVolumeId;
  copy.volume_size_gib = source.volume_size_gib;
  copy.description = request.description;
  copy.state = SnapshotState::kPending;
  copy.progress = -1;
  copy.start_time = NowMs();
  copy.encrypted = choice.encrypted;
  copy.tags = std::move(tags);  // the source's tags are not copied
  copy.copy_source_id = source.id;
  copy.copy_source_region = source.region;
  copy.requester = requester;
  if (choice.encrypted) {
    copy.encryption = data_keys_->StartEncryption(requester, choice, key_request.source, source.encryption);
    copy.requested_key_id = choice.key_id;
  }
  if (!choice.encrypted || choice.origin == KeyOrigin::kSource) {
    // Metadata-only: the same block snapshot (and data key), taken now under
    // mu_ so the source cannot be freed before the copy record exists.
    copy.engine_id = source.engine_id;
  }
  return copy;
}

base::Status Ec2Service::MaterializeSnapshotCopy(SnapshotRecord& copy) {
  if (copy.engine_id > 0) return base::Status::Ok();  // metadata-only copy
  SnapshotRecord source;
  {
    std::lock_guard lock(mu_);
    const auto* r = store_->Find<SnapshotRecord>(copy.copy_source_id);
    if (!r || r->engine_id <= 0) return SnapshotNotFound(copy.copy_source_id);
    source = *r;
  }
  if (copy.encryption.wrapped_key.empty()) {
    const std::string key_id = copy.requested_key_id.empty() ? copy.encryption.kms_key_arn : copy.requested_key_id;
    KURA_ASSIGN_OR_RETURN(auto wrapped, data_keys_->NewDataKey(copy.requester, key_id, copy.id));
    copy.encryption.wrapped_key = std::move(wrapped.blob);
    copy.encryption.kms_key_arn = std::move(wrapped.key_arn);
    copy.encryption.context_id = copy.id;
    // Kept with the record so that a restart resumes the copy under this data key.
    SnapshotJobs::UpdatePending(*this, copy.id, [&](SnapshotRecord& r) { r.encryption = copy.encryption; });
  }
  KURA_ASSIGN_OR_RETURN(auto target_key, data_keys_->UnwrapForService(copy.requester, copy.encryption));
  std::optional<crypto::SecretBytes> source_key;
  if (source.encrypted) {
    KURA_ASSIGN_OR_RETURN(source_key, data_keys_->UnwrapForService(copy.requester, source.encryption));
  }
  int stored = copy.progress;
  auto on_progress = [&](int percent) {
    copy.progress = percent;
    // Every few percent only: progress is for humans, the database stays quiet.
    if (percent < 100 && percent < stored + kProgressPersistStep) return;
    stored = percent;
    SnapshotJobs::UpdatePending(*this, copy.id, [percent](SnapshotRecord& r) { r.progress = percent; });
  };
  KURA_ASSIGN_OR_RETURN(copy.engine_id, CopyUnderNewKey(*options_.engine, source.engine_id, /*to_volume=*/false,
                                                        source_key ? &*source_key : nullptr, target_key, on_progress));
  return base::Status::Ok();
}

base::Status Ec2Service::ReleaseEngineSnapshotsWhenDurable(const std::vector<int64_t>& engine_ids) {
  if (engine_ids.empty()) return base::Status::Ok();
  KURA_RETURN_IF_ERROR(WaitDurable());
  // Under mu_ again: ReleaseEngineSnapshot re-checks that no record shares one.
  std::lock_guard lock(mu_);
  base::Status first = base::Status::Ok();
  for (int64_t engine_id : engine_ids) {
    base::Status released = ReleaseEngineSnapshot(engine_id);
    if (first.ok()) first = released;
  }
  return first;
}

base::Status Ec2Service::ReleaseEngineSnapshot(int64_t engine_id) {
  if (engine_id <= 0) return base::Status::Ok();
  for (const auto& [id, r] : store_->All<SnapshotRecord>()) {
    if (r.engine_id == engine_id) return base::Status::Ok();  // a copy still shares it
  }
  base::Status deleted = options_.engine->DeleteSnapshot(engine_id);
  if (deleted.code() == base::StatusCode::kNotFound) return base::Status::Ok();
  return deleted;
}

// ---- operations ----

base::Result<SnapshotRecord> Ec2Service::CreateSnapshot(const Caller& caller, const std::string& volume_id,
                                                        const std::string& description,
                                                        const std::vector<Tag>& tags) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:CreateSnapshot", {}));
  SnapshotRecord snap;
  {
    std::lock_guard lock(mu_);
    const auto* v = OwnedVolume(caller, volume_id);
    if (!v || v->state == VolumeState::kDeleted) {
      return Ec2Status(Ec2Error::kVolumeNotFound, "The volume '" + volume_id + "' does not exist.");
    }
    KURA_ASSIGN_OR_RETURN(snap, PrepareSnapshot(caller, *v, description, tags));
    base::Status stored = store_->Put(snap);
    if (!stored.ok()) {
      (void)ReleaseEngineSnapshot(snap.engine_id);
      return stored;
    }
  }
  Submit(snap.id, [this, id = snap.id] { SnapshotJobs::Finish(*this, id); });
  return snap;
}

base::Result<std::vector<SnapshotRecord>> Ec2Service::CreateSnapshots(const Caller& caller,
                                                                      const std::string& instance_id,
                                                                      bool exclude_boot_volume,
                                                                      const std::string& description,
                                                                      const std::vector<Tag>& tags,
                                                                      bool copy_tags_from_source) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:CreateSnapshots", {}));
  std::vector<SnapshotRecord> snaps;
  {
    // Every block snapshot is taken under mu_: no attach, detach or deletion
    // comes in between, so the set is one instant of the instance.
    std::lock_guard lock(mu_);
    const auto* instance = OwnedInstance(caller, instance_id);
    if (!instance || instance->state == InstanceState::kTerminated) {
      return Ec2Status(Ec2Error::kInstanceNotFound, "The instance ID '" + instance_id + "' does not exist");
    }
    auto undo = [&](base::Status failure) {
      for (const auto& s : snaps) (void)ReleaseEngineSnapshot(s.engine_id);
      return failure;
    };
    Batch b;
    for (const auto& device : instance->block_devices) {
      if (exclude_boot_volume && device.device_name == instance->root_device_name) continue;
      const auto* v = store_->Find<VolumeRecord>(device.volume_id);
      if (!v) continue;
      std::vector<Tag> snap_tags = tags;
      if (copy_tags_from_source) {
        auto merged = MergeTags(v->tags, tags);
        if (!merged.ok()) return undo(merged.status());
        snap_tags = std::move(merged).value();
      }
      auto snap = PrepareSnapshot(caller, *v, description, snap_tags);
      if (!snap.ok()) return undo(snap.status());
      b.Put(*snap);
      snaps.push_back(std::move(snap).value());
    }
    base::Status stored = store_->Apply(b);
    if (!stored.ok()) return undo(stored);
  }
  for (const auto& s : snaps) Submit(s.id, [this, id = s.id] { SnapshotJobs::Finish(*this, id); });
  return snaps;
}

base::Result<Page<SnapshotRecord>> Ec2Service::DescribeSnapshots(const Caller& caller,
                                                                 const std::vector<std::string>& ids,
                                                                 const std::vector<std::string>& owner_ids,
                                                                 const std::vector<std::string>& restorable_by,
                                                                 const std::vector<Filter>& filters,
                                                                 const PageRequest& page) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DescribeSnapshots", {}));
  if (!ids.empty() && page.max_results) {
    return Ec2Status(Ec2Error::kInvalidParameterCombination,
                     "The parameter snapshotSet cannot be used with the parameter maxResults");
  }
  const std::string& me = caller.principal.account_id;
  // Owner.N: self, account ids; "amazon"/"aws-marketplace" own nothing in kura.
  std::set<std::string> owners;
  for (const auto& o : owner_ids) owners.insert(o == "self" ? me : o);
  // RestorableBy.N: self (own + shared with me), all (public), or an account id.
  auto restorable = [&](const SnapshotRecord& s) {
    for (const auto& who : restorable_by) {
      if (who == "all" && s.is_public) return true;
      const std::string account = who == "self" ? me : who;
      if (s.account == account || Contains(s.shared_with, account)) return true;
    }
    return false;
  };
  std::lock_guard lock(mu_);
  for (const auto& id : ids) {
    // As AWS documents it: an id that does not exist (in this region) is an
    // error; one the caller may not see is just left out of the answer.
    const auto* s = store_->Find<SnapshotRecord>(id);
    if (!s || s->region != caller.region) return SnapshotNotFound(id);
  }
  const std::set<std::string> wanted(ids.begin(), ids.end());
  KURA_RETURN_IF_ERROR(CheckFilterNames<SnapshotRecord>(filters, SnapshotFilterValues));
  // Pointers into the store (stable under mu_): only the page is copied out.
  std::vector<const SnapshotRecord*> matched;
  for (const auto& [id, s] : store_->All<SnapshotRecord>()) {
    if (!SnapshotJobs::Visible(s, caller)) continue;
    if (!wanted.empty() && !wanted.count(id)) continue;
    if (!owner_ids.empty() && !owners.count(s.account)) continue;
    if (!restorable_by.empty() && !restorable(s)) continue;
    KURA_ASSIGN_OR_RETURN(bool keep, MatchesFilters(filters, s.tags, [&](const std::string& name) {
                            return SnapshotFilterValues(s, name);
                          }));
    if (keep) matched.push_back(&s);
  }
  KURA_ASSIGN_OR_RETURN(auto range, PageOf(matched.size(), page.max_results, page.next_token, 5, 1000));
  Page<SnapshotRecord> out;
  for (size_t i = range.begin; i < range.end; ++i) out.items.push_back(*matched[i]);
  out.next_token = range.next_token;
  return out;
}

base::Result<SnapshotRecord> Ec2Service::CopySnapshot(const Caller& caller, const CopySnapshotRequest& request) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:CopySnapshot", {}));
  if (request.source_region.empty()) {
    return Ec2Status(Ec2Error::kMissingParameter, "The request must contain the parameter SourceRegion");
  }
  if (request.source_snapshot_id.empty()) {
    return Ec2Status(Ec2Error::kMissingParameter, "The request must contain the parameter SourceSnapshotId");
  }
  const std::string destination = request.destination_region.empty() ? caller.region : request.destination_region;
  for (const auto* region : {&request.source_region, &destination}) {
    if (ZonesOf(*region).empty()) {
      return Ec2Status(Ec2Error::kInvalidParameterValue, "Invalid region: " + *region);
    }
  }
  SnapshotRecord copy;
  {
    std::lock_guard lock(mu_);
    const auto* source = UsableSnapshot(InRegion(caller, request.source_region), request.source_snapshot_id);
    if (!source) return SnapshotNotFound(request.source_snapshot_id);
    KURA_ASSIGN_OR_RETURN(copy, PrepareSnapshotCopy(caller, *source, request));
    KURA_RETURN_IF_ERROR(store_->Put(copy));
  }
  Submit(copy.id, [this, id = copy.id] { SnapshotJobs::Finish(*this, id); });
  return copy;
}

base::Status Ec2Service::DeleteSnapshot(const Caller& caller, const std::string& snapshot_id) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DeleteSnapshot", {}));
  int64_t engine_id = 0;
  {
    std::lock_guard lock(mu_);
    const auto* snap = SnapshotJobs::Owned(*this, caller, snapshot_id);
    if (!snap) return SnapshotNotFound(snapshot_id);
    for (const auto& [image_id, image] : store_->All<ImageRecord>()) {
      if (image.state == ImageState::kDeregistered) continue;
      for (const auto& m : image.block_device_mappings) {
        if (m.ebs && m.ebs->snapshot_id == snapshot_id) {
          return Ec2Status(Ec2Error::kSnapshotInUse,
                           "The snapshot " + snapshot_id + " is currently in use by " + image_id);
        }
      }
    }
    engine_id = snap->engine_id;
    Batch b;
    b.Erase<SnapshotRecord>(snapshot_id);
    KURA_RETURN_IF_ERROR(store_->Apply(std::move(b)));
  }
  // A copy still running finds its record gone and frees its own block snapshot.
  return ReleaseEngineSnapshotsWhenDurable({engine_id});
}

base::Status Ec2Service::ModifySnapshotAttribute(const Caller& caller, const std::string& snapshot_id,
                                                 const std::string& attribute, const PermissionChange& change) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:ModifySnapshotAttribute", {}));
  KURA_RETURN_IF_ERROR(CheckAttribute(attribute, /*product_codes_allowed=*/false));
  const bool adds = !change.add_users.empty() || !change.add_groups.empty();
  const bool removes = !change.remove_users.empty() || !change.remove_groups.empty();
  if (adds && removes) {
    return Ec2Status(Ec2Error::kInvalidParameterCombination,
                     "The add and remove operations cannot be combined in one request.");
  }
  for (const auto* groups : {&change.add_groups, &change.remove_groups}) {
    for (const auto& g : *groups) {
      if (g != "all") {
        return Ec2Status(Ec2Error::kInvalidParameterValue,
                         "Value (" + g + ") for parameter group is invalid. Only 'all' is supported.");
      }
    }
  }
  for (const auto* users : {&change.add_users, &change.remove_users}) {
    for (const auto& u : *users) {
      if (!IsAccountId(u)) {
        return Ec2Status(Ec2Error::kInvalidParameterValue,
                         "Value (" + u + ") for parameter userId is invalid. An account id has 12 digits.");
      }
    }
  }
  std::lock_guard lock(mu_);
  const auto* snap = SnapshotJobs::Owned(*this, caller, snapshot_id);
  if (!snap) return SnapshotNotFound(snapshot_id);
  if (snap->encrypted && snap->encryption.aws_managed_key && !change.add_users.empty()) {
    return Ec2Status(Ec2Error::kOperationNotPermitted, "Encrypted snapshots with EBS default key cannot be shared");
  }
  if (snap->encrypted && !change.add_groups.empty()) {
    return Ec2Status(Ec2Error::kOperationNotPermitted, "Encrypted snapshots can't be made public");
  }
  SnapshotRecord updated = *snap;
  for (const auto& u : change.add_users) {
    if (!Contains(updated.shared_with, u)) updated.shared_with.push_back(u);
  }
  for (const auto& u : change.remove_users) {
    updated.shared_with.erase(std::remove(updated.shared_with.begin(), updated.shared_with.end(), u),
                              updated.shared_with.end());
  }
  if (!change.add_groups.empty()) updated.is_public = true;
  if (!change.remove_groups.empty()) updated.is_public = false;
  return store_->Put(std::move(updated));
}

base::Result<SnapshotRecord> Ec2Service::DescribeSnapshotAttribute(const Caller& caller,
                                                                   const std::string& snapshot_id,
                                                                   const std::string& attribute) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DescribeSnapshotAttribute", {}));
  KURA_RETURN_IF_ERROR(CheckAttribute(attribute, /*product_codes_allowed=*/true));
  std::lock_guard lock(mu_);
  const auto* snap = SnapshotJobs::Owned(*this, caller, snapshot_id);
  if (!snap) return SnapshotNotFound(snapshot_id);
  return *snap;
}

base::Status Ec2Service::ResetSnapshotAttribute(const Caller& caller, const std::string& snapshot_id,
                                                const std::string& attribute) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:ResetSnapshotAttribute", {}));
  KURA_RETURN_IF_ERROR(CheckAttribute(attribute, /*product_codes_allowed=*/false));
  std::lock_guard lock(mu_);
  const auto* snap = SnapshotJobs::Owned(*this, caller, snapshot_id);
  if (!snap) return SnapshotNotFound(snapshot_id);
  SnapshotRecord updated = *snap;
  updated.shared_with.clear();
  updated.is_public = false;
  return store_->Put(std::move(updated));
}

void Ec2Service::ResumeSnapshots() {
  std::vector<std::string> pending;
  {
    std::lock_guard lock(mu_);
    // Copies that belong to an image being copied are the image's to resume
    // (ResumeImages), so that no copy runs twice.
    std::set<std::string> image_snapshots;
    for (const auto& [id, image] : store_->All<ImageRecord>()) {
      if (image.state != ImageState::kPending) continue;
      for (const auto& m : image.block_device_mappings) {
        if (m.ebs) image_snapshots.insert(m.ebs->snapshot_id);
      }
    }
    for (const auto& [id, s] : store_->All<SnapshotRecord>()) {
      if (s.state != SnapshotState::kPending) continue;
      if (!s.copy_source_id.empty() && s.engine_id == 0 && image_snapshots.count(id)) continue;
      pending.push_back(id);
    }
  }
  for (const auto& id : pending) Submit(id, [this, id] { SnapshotJobs::Finish(*this, id); });
}

}  // namespace kura::ec2
