// CreateTags, DeleteTags, DescribeTags (ec2-api.md §6.10) over every taggable
// record kind: volumes, snapshots, images, instances and Elastic IPs. A
// resource id names its kind by its prefix; only the owner may tag.
#include <algorithm>
#include <functional>
#include <type_traits>

#include "ec2/ec2_service.h"
#include "ec2/filters.h"
#include "ec2/ids.h"

namespace kura::ec2 {

namespace {

using TagEdit = std::function<base::Result<std::vector<Tag>>(const std::vector<Tag>&)>;

// The caller's own, live record of kind T named `id`.
template <typename T>
const T* OwnRecord(const Ec2Store& store, const Caller& caller, const std::string& id) {
  const T* r = store.Find<T>(id);
  if (!r || r->account != caller.principal.account_id || r->region != caller.region) return nullptr;
  if constexpr (std::is_same_v<T, VolumeRecord>) {
    if (r->state == VolumeState::kDeleted) return nullptr;
  }
  if constexpr (std::is_same_v<T, ImageRecord>) {
    if (r->state == ImageState::kDeregistered) return nullptr;
  }
  return r;
}

template <typename T>
base::Status NotFound(const std::string& id) {
  if constexpr (std::is_same_v<T, VolumeRecord>) {
    return Ec2Status(Ec2Error::kVolumeNotFound, "The volume '" + id + "' does not exist.");
  } else if constexpr (std::is_same_v<T, SnapshotRecord>) {
    return Ec2Status(Ec2Error::kSnapshotNotFound, "The snapshot '" + id + "' does not exist.");
  } else if constexpr (std::is_same_v<T, ImageRecord>) {
    return Ec2Status(Ec2Error::kAmiNotFound, "The image id '[" + id + "]' does not exist");
  } else if constexpr (std::is_same_v<T, InstanceRecord>) {
    return Ec2Status(Ec2Error::kInstanceNotFound, "The instance ID '" + id + "' does not exist");
  } else {
    return Ec2Status(Ec2Error::kAllocationNotFound, "The allocation ID '" + id + "' does not exist");
  }
}

template <typename T>
base::Status Retag(const Ec2Store& store, const Caller& caller, const std::string& id, const TagEdit& edit,
                   Batch& batch) {
  const T* r = OwnRecord<T>(store, caller, id);
  if (!r) return NotFound<T>(id);
  T updated = *r;
  KURA_ASSIGN_OR_RETURN(updated.tags, edit(r->tags));
  batch.Put(std::move(updated));
  return base::Status::Ok();
}

// Dispatches on the id's prefix; InvalidID for anything that is no taggable id.
base::Status RetagAny(const Ec2Store& store, const Caller& caller, const std::string& id, const TagEdit& edit,
                      Batch& batch) {
  auto is = [&id](std::string_view prefix) { return IsWellFormedId(id, prefix); };
  if (is("vol-")) return Retag<VolumeRecord>(store, caller, id, edit, batch);
  if (is("snap-")) return Retag<SnapshotRecord>(store, caller, id, edit, batch);
  if (is("ami-")) return Retag<ImageRecord>(store, caller, id, edit, batch);
  if (is("i-")) return Retag<InstanceRecord>(store, caller, id, edit, batch);
  if (is("eipalloc-")) return Retag<AddressRecord>(store, caller, id, edit, batch);
  return Ec2Status(Ec2Error::kInvalidId, "The ID '" + id + "' is not valid");
}

template <typename T>
void Collect(const Ec2Store& store, const Caller& caller, const char* type, std::vector<TagDescription>& out) {
  for (const auto& [key, r] : store.All<T>()) {
    if (!OwnRecord<T>(store, caller, key)) continue;
    for (const auto& t : r.tags) out.push_back(TagDescription{key, type, t.key, t.value});
  }
}

}  // namespace

base::Status Ec2Service::CreateTags(const Caller& caller, const std::vector<std::string>& resource_ids,
                                    const std::vector<Tag>& tags) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:CreateTags", {}));
  if (resource_ids.empty()) {
    return Ec2Status(Ec2Error::kMissingParameter, "The request must contain the parameter ResourceId");
  }
  if (tags.empty()) return Ec2Status(Ec2Error::kMissingParameter, "The request must contain the parameter Tag");
  std::lock_guard lock(mu_);
  Batch batch;
  const TagEdit merge = [&tags](const std::vector<Tag>& have) { return MergeTags(have, tags); };
  for (const auto& id : resource_ids) KURA_RETURN_IF_ERROR(RetagAny(*store_, caller, id, merge, batch));
  return store_->Apply(batch);
}

base::Status Ec2Service::DeleteTags(const Caller& caller, const std::vector<std::string>& resource_ids,
                                    const std::vector<TagFilterKey>& tags) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DeleteTags", {}));
  if (resource_ids.empty()) {
    return Ec2Status(Ec2Error::kMissingParameter, "The request must contain the parameter ResourceId");
  }
  std::lock_guard lock(mu_);
  Batch batch;
  // No tags named: every tag of the resources goes; a value given must match.
  const TagEdit remove = [&tags](const std::vector<Tag>& have) -> base::Result<std::vector<Tag>> {
    std::vector<Tag> kept;
    for (const auto& t : have) {
      const bool doomed = tags.empty() || std::any_of(tags.begin(), tags.end(), [&](const TagFilterKey& k) {
                            return k.key == t.key && (!k.value || *k.value == t.value);
                          });
      if (!doomed) kept.push_back(t);
    }
    return kept;
  };
  for (const auto& id : resource_ids) KURA_RETURN_IF_ERROR(RetagAny(*store_, caller, id, remove, batch));
  return store_->Apply(batch);
}

base::Result<Page<TagDescription>> Ec2Service::DescribeTags(const Caller& caller, const std::vector<Filter>& filters,
                                                            const PageRequest& page) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DescribeTags", {}));
  std::vector<TagDescription> all;
  {
    std::lock_guard lock(mu_);
    Collect<VolumeRecord>(*store_, caller, "volume", all);
    Collect<SnapshotRecord>(*store_, caller, "snapshot", all);
    Collect<ImageRecord>(*store_, caller, "image", all);
    Collect<InstanceRecord>(*store_, caller, "instance", all);
    Collect<AddressRecord>(*store_, caller, "elastic-ip", all);
  }
  std::sort(all.begin(), all.end(), [](const TagDescription& a, const TagDescription& b) {
    return std::tie(a.resource_id, a.key) < std::tie(b.resource_id, b.key);
  });
  std::vector<TagDescription> matched;
  const auto values_of = [](const TagDescription& d, const std::string& name) -> std::optional<std::vector<std::string>> {
          if (name == "resource-id") return std::vector<std::string>{d.resource_id};
          if (name == "resource-type") return std::vector<std::string>{d.resource_type};
          if (name == "key") return std::vector<std::string>{d.key};
          if (name == "value") return std::vector<std::string>{d.value};
          return std::nullopt;
        };
  KURA_RETURN_IF_ERROR(CheckFilterNames<TagDescription>(filters, values_of));
  for (auto& d : all) {
    KURA_ASSIGN_OR_RETURN(
        bool keep,
        MatchesFilters(filters, {Tag{d.key, d.value}}, [&](const std::string& name) { return values_of(d, name); }));
    if (keep) matched.push_back(std::move(d));
  }
  KURA_ASSIGN_OR_RETURN(Paging p, PageOf(matched.size(), page.max_results, page.next_token, 5, 1000));
  Page<TagDescription> out;
  out.items.assign(std::make_move_iterator(matched.begin() + static_cast<ptrdiff_t>(p.begin)),
                   std::make_move_iterator(matched.begin() + static_cast<ptrdiff_t>(p.end)));
  out.next_token = p.next_token;
  return out;
}

}  // namespace kura::ec2
