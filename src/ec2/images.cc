// Images (ec2-api.md §5.3, §6.4, §6.6; ebs-kms-flows.md F6, F7): CreateImage
// snapshots an instance's volumes, RegisterImage names existing snapshots,
// CopyImage copies every backing snapshot (one KmsKeyId for all), and launch
// permissions share an image under AWS's rules for encrypted snapshots.
#include <algorithm>
#include <set>

#include "base/log.h"
#include "ec2/ec2_service.h"
#include "ec2/filters.h"
#include "ec2/ids.h"
#include "ec2/worker.h"

namespace kura::ec2 {

namespace {

// A new image of the caller's account and region in state pending.
ImageRecord NewImage(const Caller& caller, const std::string& name, const std::string& description, int64_t now_ms) {
  ImageRecord image;
  image.id = NewId("ami-");
  image.account = caller.principal.account_id;
  image.region = caller.region;
  image.name = name;
  image.description = description;
  image.state = ImageState::kPending;
  image.creation_date = now_ms;
  return image;
}

constexpr int kMinImageName = 3;
constexpr int kMaxImageName = 128;

bool IsImageNameChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("()[] ./-'@_").find(c) != std::string_view::npos;
}

base::Status CheckImageName(const std::string& name) {
  if (name.empty()) return Ec2Status(Ec2Error::kMissingParameter, "The request must contain the parameter name");
  if (static_cast<int>(name.size()) < kMinImageName || static_cast<int>(name.size()) > kMaxImageName ||
      !std::all_of(name.begin(), name.end(), IsImageNameChar)) {
    return Ec2Status(Ec2Error::kInvalidParameterValue,
                     "Invalid value '" + name +
                         "' for name. AMI names must be between 3 and 128 characters long, and may contain letters, "
                         "numbers, '(', ')', '[', ']', ' ', '.', '/', '-', ''', '@' and '_'");
  }
  return base::Status::Ok();
}

bool IsAccountId(const std::string& s) {
  return s.size() == 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool Contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

base::Status ImagesNotFound(const std::vector<std::string>& ids) {
  std::string list;
  for (const auto& id : ids) list += (list.empty() ? "" : ", ") + id;
  if (ids.size() == 1) return Ec2Status(Ec2Error::kAmiNotFound, "The image id '[" + list + "]' does not exist");
  return Ec2Status(Ec2Error::kAmiNotFound, "The image ids '[" + list + "]' do not exist");
}

base::Status AmiMalformed(const std::string& id) {
  return Ec2Status(Ec2Error::kAmiIdMalformed, "Invalid id: \"" + id + "\" (expecting \"ami-...\")");
}

base::Status KmsKeyIdNeedsEncrypted() {
  return Ec2Status(Ec2Error::kInvalidParameterDependency,
                   "The parameter KmsKeyId requires the parameter Encrypted to be set.");
}

// The EBS mapping of an image backed by `snapshot`.
EbsBlockDevice EbsOf(const SnapshotRecord& snapshot, int64_t size_gib) {
  EbsBlockDevice ebs;
  ebs.snapshot_id = snapshot.id;
  ebs.volume_size_gib = size_gib;
  ebs.encrypted = snapshot.encrypted;
  if (snapshot.encrypted) ebs.kms_key_id = snapshot.encryption.kms_key_arn;
  return ebs;
}

// The one place the launchPermission rules live (ec2-api.md §6.6): item
// syntax, then what AWS refuses to share given the image's snapshots.
base::Status CheckLaunchPermissionChange(const PermissionChange& change, const std::vector<SnapshotRecord>& snapshots,
                                         bool legacy_encrypted_sharing) {
  for (const auto* users : {&change.add_users, &change.remove_users}) {
    for (const auto& u : *users) {
      if (!IsAccountId(u)) {
        return Ec2Status(Ec2Error::kAmiAttributeItemValue,
                         "Invalid attribute item value \"" + u + "\" for userId item type.");
      }
    }
  }
  for (const auto* groups : {&change.add_groups, &change.remove_groups}) {
    for (const auto& g : *groups) {
      if (g != "all") {
        return Ec2Status(Ec2Error::kAmiAttributeItemValue,
                         "Invalid attribute item value \"" + g + "\" for group item type.");
      }
    }
  }
  const bool any_encrypted =
      std::any_of(snapshots.begin(), snapshots.end(), [](const SnapshotRecord& s) { return s.encrypted; });
  const bool any_aws_managed = std::any_of(snapshots.begin(), snapshots.end(), [](const SnapshotRecord& s) {
    return s.encrypted && s.encryption.aws_managed_key;
  });
  if (!change.add_groups.empty() && any_encrypted) {
    return Ec2Status(Ec2Error::kUnsupportedOperation,
                     "Encrypted snapshots can't be shared publicly. Specify another snapshot.");
  }
  if (!change.add_users.empty() && any_aws_managed) {
    return Ec2Status(Ec2Error::kInvalidParameter,
                     "Snapshots encrypted with the AWS Managed CMK can't be shared. Specify another snapshot.");
  }
  if (!change.add_users.empty() && any_encrypted && legacy_encrypted_sharing) {
    // Before May 2019 an AMI with encrypted snapshots could not be shared at all.
    return Ec2Status(Ec2Error::kUnsupportedOperation,
                     "Images with encrypted snapshots can't be shared with other accounts. Copy the image and its "
                     "snapshots instead.");
  }
  return base::Status::Ok();
}

void ApplyPermissionChange(const PermissionChange& change, std::vector<std::string>& users, bool& is_public) {
  for (const auto& u : change.add_users) {
    if (!Contains(users, u)) users.push_back(u);
  }
  for (const auto& u : change.remove_users) std::erase(users, u);
  if (!change.add_groups.empty()) is_public = true;
  if (!change.remove_groups.empty()) is_public = false;
}

}  // namespace

base::Result<ImageRecord> Ec2Service::FindImage(const Caller& caller, const std::string& id) const {
  if (!IsWellFormedId(id, "ami-")) return AmiMalformed(id);
  const ImageRecord* image = UsableImage(caller, id);
  if (!image) return ImagesNotFound({id});
  return *image;
}

// ---- settling --------------------------------------------------------------------

base::Status Ec2Service::SettleImage(const std::string& image_id) {
  const auto* found = store_->Find<ImageRecord>(image_id);
  if (!found || found->state != ImageState::kPending) return base::Status::Ok();
  ImageRecord image = *found;
  bool all_done = true;
  std::string failure;
  for (auto& m : image.block_device_mappings) {
    if (!m.ebs || m.ebs->snapshot_id.empty()) continue;
    const auto* snap = store_->Find<SnapshotRecord>(m.ebs->snapshot_id);
    if (!snap) {
      failure = "Snapshot " + m.ebs->snapshot_id + " no longer exists.";
    } else if (snap->state == SnapshotState::kError) {
      failure = snap->state_message.empty() ? "Snapshot " + snap->id + " failed." : snap->state_message;
    } else if (snap->state == SnapshotState::kPending) {
      all_done = false;
    } else {
      // A copy's key is known for certain only once it completed.
      m.ebs->encrypted = snap->encrypted;
      m.ebs->kms_key_id = snap->encrypted ? snap->encryption.kms_key_arn : "";
    }
  }
  if (!failure.empty()) {
    image.state = ImageState::kFailed;
    image.state_message = failure;
  } else if (all_done) {
    image.state = ImageState::kAvailable;
  } else {
    return base::Status::Ok();
  }
  return store_->Put(image);
}

void Ec2Service::CompleteImageSnapshots(const std::string& image_id, int64_t since_ms) {
  HoldTransition(since_ms);
  std::lock_guard lock(mu_);
  const auto* image = store_->Find<ImageRecord>(image_id);
  if (!image || image->state != ImageState::kPending) return;
  Batch batch;
  for (const auto& m : image->block_device_mappings) {
    if (!m.ebs || m.ebs->snapshot_id.empty()) continue;
    const auto* snap = store_->Find<SnapshotRecord>(m.ebs->snapshot_id);
    if (!snap || snap->state != SnapshotState::kPending) continue;
    // The point-in-time block snapshot was taken when the image was created;
    // all that is left is to say so.
    SnapshotRecord done = *snap;
    if (done.engine_id != 0) {
      done.state = SnapshotState::kCompleted;
      done.progress = 100;
    } else {
      done.state = SnapshotState::kError;
      done.state_message = "The snapshot of " + done.volume_id + " was never taken.";
    }
    batch.Put(std::move(done));
  }
  base::Status s = store_->Apply(batch);
  if (s.ok()) s = SettleImage(image_id);
  LogIfFailed(s, "ec2_image_store_failed", "image", image_id);
}

void Ec2Service::CopyImageSnapshot(const std::string& image_id, const std::string& snapshot_id) {
  SnapshotRecord copy;
  {
    std::lock_guard lock(mu_);
    const auto* snap = store_->Find<SnapshotRecord>(snapshot_id);
    if (!snap || snap->state != SnapshotState::kPending) {
      LogIfFailed(SettleImage(image_id), "ec2_image_store_failed", "image", image_id);
      return;
    }
    copy = *snap;
  }
  HoldTransition(copy.start_time);
  const base::Status copied = MaterializeSnapshotCopy(copy);
  std::lock_guard lock(mu_);
  const auto* current = store_->Find<SnapshotRecord>(snapshot_id);
  if (!current || current->state != SnapshotState::kPending) {
    // Deleted while it was copied: its own block snapshot goes too.
    if (copied.ok() && copy.engine_id > 0) (void)ReleaseEngineSnapshot(copy.engine_id);
  } else {
    if (copied.ok()) {
      if (copy.state == SnapshotState::kPending) copy.state = SnapshotState::kCompleted;
      copy.progress = 100;
    } else {
      base::LogEvent(base::LogLevel::kWarn, "ec2_image_copy_failed",
                     {{"image", image_id}, {"snapshot", snapshot_id}, {"error", copied.ToString()}});
      copy.state = SnapshotState::kError;
      copy.state_message = copied.message();
    }
    LogIfFailed(store_->Put(copy), "ec2_image_store_failed", "image", image_id);
  }
  LogIfFailed(SettleImage(image_id), "ec2_image_store_failed", "image", image_id);
}

void Ec2Service::ResumeImages() {
  std::vector<std::pair<std::string, std::function<void()>>> jobs;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, image] : store_->All<ImageRecord>()) {
      if (image.state != ImageState::kPending) continue;
      if (image.source_image_id.empty()) {
        jobs.emplace_back(id, [this, id = id, since = image.creation_date] { CompleteImageSnapshots(id, since); });
        continue;
      }
      for (const auto& m : image.block_device_mappings) {
        if (!m.ebs || m.ebs->snapshot_id.empty()) continue;
        jobs.emplace_back(m.ebs->snapshot_id, [this, id = id, snap = m.ebs->snapshot_id] { CopyImageSnapshot(id, snap); });
      }
    }
  }
  for (auto& [name, job] : jobs) Submit(name, std::move(job));
}

// ---- CreateImage / RegisterImage / CopyImage ------------------------------------

base::Result<std::string> Ec2Service::CreateImage(const Caller& caller, const CreateImageRequest& request) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:CreateImage", {}));
  KURA_RETURN_IF_ERROR(CheckImageName(request.name));
  KURA_ASSIGN_OR_RETURN(std::vector<Tag> image_tags, MergeTags({}, request.tags));
  KURA_ASSIGN_OR_RETURN(std::vector<Tag> snapshot_tags, MergeTags({}, request.snapshot_tags));
  ImageRecord image;
  {
    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(InstanceRecord instance, FindInstance(caller, request.instance_id));
    if (instance.state != InstanceState::kRunning && instance.state != InstanceState::kStopped) {
      return Ec2Status(Ec2Error::kIncorrectInstanceState,
                       "The instance '" + instance.id + "' is not in a state from which it can be imaged.");
    }
    KURA_RETURN_IF_ERROR(CheckImageNameFree(caller, request.name));
    image = NewImage(caller, request.name, request.description, NowMs());
    image.root_device_name = instance.root_device_name;
    if (const auto* source = store_->Find<ImageRecord>(instance.image_id)) {
      image.architecture = source->architecture;
      image.virtualization_type = source->virtualization_type;
      image.ena_support = source->ena_support;
    }
    image.tags = image_tags;
    image.source_instance_id = instance.id;
    image.requester = caller;

    auto override_of = [&](const std::string& device) -> const BlockDeviceMapping* {
      for (const auto& m : request.block_device_mappings) {
        if (m.device_name == device) return &m;
      }
      return nullptr;
    };
    // Every volume at the same instant, under the lock: a crash-consistent image.
    Batch batch;
    std::vector<int64_t> taken;  // block snapshots to free if the image is not stored after all
    auto release_taken = [&] {
      for (int64_t engine_id : taken) (void)ReleaseEngineSnapshot(engine_id);
    };
    for (const auto& bd : instance.block_devices) {
      const BlockDeviceMapping* o = override_of(bd.device_name);
      if (o && o->no_device) continue;
      const auto* volume = store_->Find<VolumeRecord>(bd.volume_id);
      if (!volume) continue;
      auto prepared = PrepareSnapshot(caller, *volume,
                                      "Created by CreateImage(" + instance.id + ") for " + image.id + " from " +
                                          volume->id,
                                      snapshot_tags);
      if (!prepared.ok()) {
        release_taken();
        return prepared.status();
      }
      SnapshotRecord snap = std::move(prepared).value();
      taken.push_back(snap.engine_id);
      EbsBlockDevice ebs = EbsOf(snap, volume->size_gib);
      ebs.volume_type = volume->volume_type;
      // gp2 and the HDD types report a baseline, not a setting a launch could ask for.
      if (volume->volume_type == "io1" || volume->volume_type == "io2" || volume->volume_type == "gp3") {
        ebs.iops = volume->iops;
      }
      if (volume->volume_type == "gp3") ebs.throughput = volume->throughput;
      ebs.delete_on_termination = bd.delete_on_termination;
      if (o && o->ebs) {
        if (o->ebs->volume_size_gib) ebs.volume_size_gib = std::max(*o->ebs->volume_size_gib, volume->size_gib);
        if (!o->ebs->volume_type.empty()) ebs.volume_type = o->ebs->volume_type;
        if (o->ebs->iops) ebs.iops = o->ebs->iops;
        if (o->ebs->delete_on_termination) ebs.delete_on_termination = o->ebs->delete_on_termination;
      }
      image.block_device_mappings.push_back(BlockDeviceMapping{bd.device_name, false, "", ebs});
      batch.Put(std::move(snap));
    }
    // Mappings for devices the instance does not have: volumes the image adds.
    for (const auto& m : request.block_device_mappings) {
      const bool attached = std::any_of(instance.block_devices.begin(), instance.block_devices.end(),
                                        [&](const InstanceBlockDevice& bd) { return bd.device_name == m.device_name; });
      if (attached || m.no_device || !m.ebs) continue;
      if (!m.ebs->kms_key_id.empty() && m.ebs->encrypted != true) {
        release_taken();
        return KmsKeyIdNeedsEncrypted();
      }
      image.block_device_mappings.push_back(m);
    }
    batch.Put(image);
    if (base::Status stored = store_->Apply(batch); !stored.ok()) {
      release_taken();
      return stored;
    }
  }
  Submit(image.id, [this, id = image.id, since = image.creation_date] { CompleteImageSnapshots(id, since); });
  return image.id;
}

base::Status Ec2Service::CheckImageNameFree(const Caller& caller, const std::string& name) const {
  for (const auto& [id, image] : store_->All<ImageRecord>()) {
    if (image.name == name && image.account == caller.principal.account_id && image.region == caller.region &&
        image.state != ImageState::kDeregistered) {
      return Ec2Status(Ec2Error::kAmiNameDuplicate, "AMI name " + name + " is already in use by AMI " + id);
    }
  }
  return base::Status::Ok();
}

base::Result<std::string> Ec2Service::RegisterImage(const Caller& caller, const RegisterImageRequest& request) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:RegisterImage", {}));
  KURA_RETURN_IF_ERROR(CheckImageName(request.name));
  KURA_ASSIGN_OR_RETURN(std::vector<Tag> tags, MergeTags({}, request.tags));
  const std::string root = request.root_device_name.empty() ? "/dev/xvda" : request.root_device_name;
  const auto root_it = std::find_if(request.block_device_mappings.begin(), request.block_device_mappings.end(),
                                    [&](const BlockDeviceMapping& m) { return m.device_name == root; });
  if (root_it == request.block_device_mappings.end() || root_it->no_device || !root_it->ebs ||
      root_it->ebs->snapshot_id.empty()) {
    return Ec2Status(Ec2Error::kInvalidParameterValue,
                     "Value (" + root + ") for parameter rootDeviceName is invalid. The root device must be an EBS "
                     "block device mapping with a snapshot.");
  }
  std::lock_guard lock(mu_);
  KURA_RETURN_IF_ERROR(CheckImageNameFree(caller, request.name));
  ImageRecord image = NewImage(caller, request.name, request.description, NowMs());
  image.state = ImageState::kAvailable;  // registered from existing snapshots: nothing to wait for
  if (!request.architecture.empty()) image.architecture = request.architecture;
  if (!request.virtualization_type.empty()) image.virtualization_type = request.virtualization_type;
  image.root_device_name = root;
  image.ena_support = request.ena_support.value_or(true);
  image.tags = tags;
  image.requester = caller;
  for (const auto& m : request.block_device_mappings) {
    if (m.no_device || !m.ebs) continue;
    if (!m.ebs->kms_key_id.empty() && m.ebs->encrypted != true) return KmsKeyIdNeedsEncrypted();
    BlockDeviceMapping mapping = m;
    if (!m.ebs->snapshot_id.empty()) {
      const std::string& id = m.ebs->snapshot_id;
      const SnapshotRecord* snap = IsWellFormedId(id, "snap-") ? UsableSnapshot(caller, id) : nullptr;
      if (!snap) return Ec2Status(Ec2Error::kSnapshotNotFound, "The snapshot '" + id + "' does not exist.");
      if (snap->state != SnapshotState::kCompleted) {
        return Ec2Status(Ec2Error::kIncorrectState,
                         std::string("Snapshot is in invalid state - ") + Name(snap->state));
      }
      const int64_t size = m.ebs->volume_size_gib.value_or(snap->volume_size_gib);
      if (size < snap->volume_size_gib) {
        return Ec2Status(Ec2Error::kInvalidParameterValue,
                         "Volume of size " + std::to_string(size) + "GB is smaller than snapshot '" + id +
                             "', expect size >= " + std::to_string(snap->volume_size_gib) + "GB");
      }
      // The image inherits each snapshot's encryption (ebs-kms-flows.md F6).
      EbsBlockDevice ebs = EbsOf(*snap, size);
      ebs.volume_type = m.ebs->volume_type;
      ebs.iops = m.ebs->iops;
      ebs.throughput = m.ebs->throughput;
      ebs.delete_on_termination = m.ebs->delete_on_termination.value_or(true);
      mapping.ebs = ebs;
    }
    image.block_device_mappings.push_back(std::move(mapping));
  }
  KURA_RETURN_IF_ERROR(store_->Put(image));
  return image.id;
}

base::Result<std::string> Ec2Service::CopyImage(const Caller& caller, const CopyImageRequest& request) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:CopyImage", {}));
  KURA_RETURN_IF_ERROR(CheckImageName(request.name));
  if (request.source_region.empty()) {
    return Ec2Status(Ec2Error::kMissingParameter, "The request must contain the parameter SourceRegion");
  }
  if (!Contains(options_.regions, request.source_region)) {
    return Ec2Status(Ec2Error::kInvalidParameterValue, "Invalid region: " + request.source_region);
  }
  // One KmsKeyId for every snapshot; checked up front so nothing is half-made.
  if (!request.kms_key_id.empty() && request.encrypted != true) return KmsKeyIdNeedsEncrypted();
  KURA_ASSIGN_OR_RETURN(std::vector<Tag> request_tags, MergeTags({}, request.tags));
  Caller in_source = caller;
  in_source.region = request.source_region;

  ImageRecord image;
  std::vector<std::string> copies;
  {
    std::lock_guard lock(mu_);
    // ClientToken: a retry of the same copy gets the same image, a different request an error.
    if (!request.client_token.empty()) {
      for (const auto& [id, existing] : store_->All<ImageRecord>()) {
        if (existing.account != caller.principal.account_id || existing.region != caller.region ||
            existing.client_token != request.client_token) {
          continue;
        }
        if (existing.source_image_id == request.source_image_id && existing.source_region == request.source_region &&
            existing.name == request.name) {
          return existing.id;
        }
        return Ec2Status(Ec2Error::kIdempotentParameterMismatch,
                         "Client token '" + request.client_token + "' was already used with different parameters.");
      }
    }
    KURA_ASSIGN_OR_RETURN(ImageRecord source, FindImage(in_source, request.source_image_id));
    if (source.state != ImageState::kAvailable) {
      return Ec2Status(Ec2Error::kIncorrectState, "Image " + source.id + " is in invalid state - " +
                                                      std::string(Name(source.state)));
    }
    KURA_RETURN_IF_ERROR(CheckImageNameFree(caller, request.name));
    image = NewImage(caller, request.name, request.description, NowMs());
    image.architecture = source.architecture;
    image.virtualization_type = source.virtualization_type;
    image.root_device_name = source.root_device_name;
    image.ena_support = source.ena_support;
    image.source_image_id = source.id;
    image.source_region = source.region;
    image.client_token = request.client_token;
    image.requester = caller;
    // Launch permissions are not copied; tags only when asked for.
    if (request.copy_image_tags) {
      KURA_ASSIGN_OR_RETURN(image.tags, MergeTags(source.tags, request_tags));
    } else {
      image.tags = request_tags;
    }
    Batch batch;
    for (const auto& m : source.block_device_mappings) {
      BlockDeviceMapping mapping = m;
      if (m.ebs && !m.ebs->snapshot_id.empty()) {
        // A recipient of a shared image also needs read access to its snapshots.
        const SnapshotRecord* snap = UsableSnapshot(in_source, m.ebs->snapshot_id);
        if (!snap) {
          return Ec2Status(Ec2Error::kSnapshotNotFound, "The snapshot '" + m.ebs->snapshot_id + "' does not exist.");
        }
        CopySnapshotRequest copy_request;
        copy_request.source_region = request.source_region;
        copy_request.source_snapshot_id = snap->id;
        copy_request.description = "Copied for DestinationAmi " + image.id + " from SourceAmi " + source.id +
                                   " for SourceSnapshot " + snap->id;
        copy_request.encrypted = request.encrypted;
        copy_request.kms_key_id = request.kms_key_id;
        copy_request.destination_region = caller.region;
        KURA_ASSIGN_OR_RETURN(SnapshotRecord copy, PrepareSnapshotCopy(caller, *snap, copy_request));
        EbsBlockDevice ebs = EbsOf(copy, m.ebs->volume_size_gib.value_or(snap->volume_size_gib));
        ebs.volume_type = m.ebs->volume_type;
        ebs.iops = m.ebs->iops;
        ebs.throughput = m.ebs->throughput;
        ebs.delete_on_termination = m.ebs->delete_on_termination;
        mapping.ebs = ebs;
        copies.push_back(copy.id);
        batch.Put(std::move(copy));
      }
      image.block_device_mappings.push_back(std::move(mapping));
    }
    if (copies.empty()) image.state = ImageState::kAvailable;
    batch.Put(image);
    KURA_RETURN_IF_ERROR(store_->Apply(batch));
  }
  for (const auto& snap : copies) Submit(snap, [this, id = image.id, snap] { CopyImageSnapshot(id, snap); });
  return image.id;
}

// ---- DescribeImages ------------------------------------------------------------

base::Result<Page<ImageRecord>> Ec2Service::DescribeImages(const Caller& caller, const std::vector<std::string>& ids,
                                                           const std::vector<std::string>& owners,
                                                           const std::vector<std::string>& executable_by,
                                                           const std::vector<Filter>& filters,
                                                           const PageRequest& page) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DescribeImages", {}));
  const std::string& self = caller.principal.account_id;
  for (const auto& id : ids) {
    if (!IsWellFormedId(id, "ami-")) return AmiMalformed(id);
  }
  std::lock_guard lock(mu_);
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    if (!UsableImage(caller, id)) missing.push_back(id);
  }
  if (!missing.empty()) return ImagesNotFound(missing);

  auto owned_by_listed = [&](const ImageRecord& image) {
    return std::any_of(owners.begin(), owners.end(), [&](const std::string& o) {
      // "amazon" / "aws-marketplace": kura has no images of AWS's own.
      return (o == "self" && image.account == self) || o == image.account;
    });
  };
  auto executable_by_listed = [&](const ImageRecord& image) {
    return std::any_of(executable_by.begin(), executable_by.end(), [&](const std::string& e) {
      if (e == "all") return image.is_public;
      const std::string& account = e == "self" ? self : e;
      // Explicit launch permissions only; for another account, only the caller's own images shared with it.
      if (account != self && image.account != self) return false;
      return Contains(image.launch_users, account);
    });
  };

  std::vector<ImageRecord> matched;
  const auto values_of = [](const ImageRecord& image, const std::string& name) -> std::optional<std::vector<std::string>> {
          using V = std::vector<std::string>;
          if (name == "image-id") return V{image.id};
          if (name == "name") return V{image.name};
          if (name == "owner-id") return V{image.account};
          if (name == "state") return V{Name(image.state)};
          if (name == "is-public") return V{BoolText(image.is_public)};
          if (name == "architecture") return V{image.architecture};
          if (name == "description") return V{image.description};
          if (name == "virtualization-type") return V{image.virtualization_type};
          if (name == "root-device-name") return V{image.root_device_name};
          if (name == "root-device-type") return V{"ebs"};
          if (name == "image-type") return V{"machine"};
          if (name == "hypervisor") return V{"xen"};
          if (name == "ena-support") return V{BoolText(image.ena_support)};
          if (name.starts_with("block-device-mapping.")) {
            const std::string field = name.substr(std::string("block-device-mapping.").size());
            V out;
            for (const auto& m : image.block_device_mappings) {
              if (field == "device-name") out.push_back(m.device_name);
              if (!m.ebs) continue;
              if (field == "snapshot-id" && !m.ebs->snapshot_id.empty()) out.push_back(m.ebs->snapshot_id);
              if (field == "encrypted") out.push_back(BoolText(m.ebs->encrypted.value_or(false)));
              if (field == "volume-type" && !m.ebs->volume_type.empty()) out.push_back(m.ebs->volume_type);
              if (field == "volume-size" && m.ebs->volume_size_gib) out.push_back(std::to_string(*m.ebs->volume_size_gib));
              if (field == "delete-on-termination") out.push_back(BoolText(m.ebs->delete_on_termination.value_or(true)));
            }
            static const std::set<std::string> kFields = {"device-name", "snapshot-id", "encrypted", "volume-type",
                                                          "volume-size", "delete-on-termination"};
            if (!kFields.contains(field)) return std::nullopt;
            return out;
          }
          return std::nullopt;
        };
  KURA_RETURN_IF_ERROR(CheckFilterNames<ImageRecord>(filters, values_of));
  for (const auto& [id, image] : store_->All<ImageRecord>()) {
    if (!UsableImage(caller, id)) continue;
    if (!ids.empty() && !Contains(ids, id)) continue;
    if (!owners.empty() && !owned_by_listed(image)) continue;
    if (!executable_by.empty() && !executable_by_listed(image)) continue;
    KURA_ASSIGN_OR_RETURN(
        bool keep,
        MatchesFilters(filters, image.tags, [&](const std::string& name) { return values_of(image, name); }));
    if (keep) matched.push_back(image);
  }
  KURA_ASSIGN_OR_RETURN(Paging p, PageOf(matched.size(), page.max_results, page.next_token, 5, 1000));
  Page<ImageRecord> out;
  out.items.assign(std::make_move_iterator(matched.begin() + static_cast<ptrdiff_t>(p.begin)),
                   std::make_move_iterator(matched.begin() + static_cast<ptrdiff_t>(p.end)));
  out.next_token = p.next_token;
  return out;
}

// ---- DeregisterImage and attributes ------------------------------------------------

base::Result<ImageRecord> Ec2Service::OwnImage(const Caller& caller, const std::string& id) const {
  KURA_ASSIGN_OR_RETURN(ImageRecord image, FindImage(caller, id));
  // Shared and public images are visible but only their owner may change them.
  if (image.account != caller.principal.account_id) return ImagesNotFound({id});
  return image;
}

base::Result<std::vector<std::string>> Ec2Service::DeregisterImage(const Caller& caller, const std::string& image_id,
                                                                   bool delete_associated_snapshots) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DeregisterImage", {}));
  std::vector<std::string> deleted;
  std::vector<int64_t> engine_snapshots;
  {
    std::lock_guard lock(mu_);
    KURA_ASSIGN_OR_RETURN(ImageRecord image, OwnImage(caller, image_id));
    Batch batch;
    batch.Erase<ImageRecord>(KeyOf(image));
    if (delete_associated_snapshots) {
      auto used_elsewhere = [&](const std::string& snapshot_id) {
        for (const auto& [id, other] : store_->All<ImageRecord>()) {
          if (id == image.id || other.state == ImageState::kDeregistered) continue;
          for (const auto& m : other.block_device_mappings) {
            if (m.ebs && m.ebs->snapshot_id == snapshot_id) return true;
          }
        }
        return false;
      };
      for (const auto& m : image.block_device_mappings) {
        if (!m.ebs || m.ebs->snapshot_id.empty() || Contains(deleted, m.ebs->snapshot_id)) continue;
        const auto* snap = store_->Find<SnapshotRecord>(m.ebs->snapshot_id);
        if (!snap || snap->account != caller.principal.account_id || used_elsewhere(snap->id)) continue;
        batch.Erase<SnapshotRecord>(KeyOf(*snap));
        deleted.push_back(snap->id);
        if (snap->engine_id != 0) engine_snapshots.push_back(snap->engine_id);
      }
    }
    KURA_RETURN_IF_ERROR(store_->Apply(std::move(batch)));
  }
  if (base::Status s = ReleaseEngineSnapshotsWhenDurable(engine_snapshots); !s.ok()) {
    base::LogEvent(base::LogLevel::kWarn, "ec2_snapshot_release_failed", {{"image", image_id}, {"error", s.ToString()}});
  }
  return deleted;
}

base::Status Ec2Service::ModifyImageAttribute(const Caller& caller, const std::string& image_id,
                                              const std::string& attribute, const PermissionChange& change,
                                              const std::optional<std::string>& description) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:ModifyImageAttribute", {}));
  if (!attribute.empty() && attribute != "launchPermission" && attribute != "description") {
    return Ec2Status(Ec2Error::kInvalidParameterValue,
                     "Value (" + attribute + ") for parameter attribute is invalid. Unknown attribute.");
  }
  const bool permission_change = !change.add_users.empty() || !change.remove_users.empty() ||
                                 !change.add_groups.empty() || !change.remove_groups.empty();
  if (!permission_change && !description) {
    return Ec2Status(Ec2Error::kInvalidParameterCombination, "No attributes specified.");
  }
  std::lock_guard lock(mu_);
  KURA_ASSIGN_OR_RETURN(ImageRecord image, OwnImage(caller, image_id));
  if (permission_change) {
    std::vector<SnapshotRecord> snapshots;
    for (const auto& m : image.block_device_mappings) {
      if (!m.ebs || m.ebs->snapshot_id.empty()) continue;
      if (const auto* snap = store_->Find<SnapshotRecord>(m.ebs->snapshot_id)) snapshots.push_back(*snap);
    }
    KURA_RETURN_IF_ERROR(CheckLaunchPermissionChange(change, snapshots, options_.legacy_encrypted_ami_sharing));
    ApplyPermissionChange(change, image.launch_users, image.is_public);
  }
  if (description) image.description = *description;
  return store_->Put(image);
}

base::Result<ImageRecord> Ec2Service::DescribeImageAttribute(const Caller& caller, const std::string& image_id,
                                                             const std::string& attribute) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DescribeImageAttribute", {}));
  static const std::set<std::string> kAttributes = {
      "description", "kernel",   "ramdisk",          "launchPermission", "productCodes",
      "blockDeviceMapping", "sriovNetSupport", "bootMode", "tpmSupport", "uefiData",
      "lastLaunchedTime", "imdsSupport", "deregistrationProtection"};
  if (!kAttributes.contains(attribute)) {
    return Ec2Status(Ec2Error::kInvalidParameterValue,
                     "Value (" + attribute + ") for parameter attribute is invalid. Unknown attribute.");
  }
  std::lock_guard lock(mu_);
  return OwnImage(caller, image_id);
}

base::Status Ec2Service::ResetImageAttribute(const Caller& caller, const std::string& image_id,
                                             const std::string& attribute) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:ResetImageAttribute", {}));
  if (attribute != "launchPermission") {
    return Ec2Status(Ec2Error::kInvalidParameterValue,
                     "Value (" + attribute + ") for parameter attribute is invalid. Only launchPermission can be reset.");
  }
  std::lock_guard lock(mu_);
  KURA_ASSIGN_OR_RETURN(ImageRecord image, OwnImage(caller, image_id));
  image.launch_users.clear();
  image.is_public = false;
  return store_->Put(image);
}

}  // namespace kura::ec2
