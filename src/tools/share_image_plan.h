// The pure parts of `kura encrypt share-image`: how a source AMI translates
// into the RegisterImage call that recreates it in the target account over
// the target's own copies, and how a re-run recognises what an earlier,
// interrupted run already made.
//
// Idempotency: EC2's CopySnapshot takes no ClientToken (unlike CopyImage or
// CreateVolume; AWS rejects unknown parameters), so every copy is created
// with a tag whose value is a token derived from the source region, source
// snapshot id and target account; a re-run looks that tag up in the target
// account before copying again. The tag goes on at creation (CopySnapshot's
// TagSpecifications), so no copy exists without it. RegisterImage is made
// idempotent by name: an image of that name in the target account that maps
// the same devices to the same copies is the one an earlier run registered.
// Thread-safety: pure functions on values.
#pragma once

#include <map>
#include <string>

#include "tools/aws_client.h"
#include "tools/share_image_api.h"

namespace kura::tools {

// The tag key marking a copy made by share-image; its value is ShareCopyToken().
inline constexpr char kShareCopyTokenTag[] = "kura:share-image:token";
// The tag key naming the source of a copy: "ACCOUNT/REGION/snap-…".
inline constexpr char kShareCopySourceTag[] = "kura:share-image:source";

// 32 hex digits of SHA-256 over the three values: stable across runs, distinct per source and target.
std::string ShareCopyToken(const std::string& source_region, const std::string& source_snapshot_id,
                           const std::string& target_account);

// Source snapshot id -> the target account's copy of it.
using CopyMap = std::map<std::string, std::string>;

// The RegisterImage parameters recreating `source` as `name` over `copies`:
// the same root device name, architecture, virtualization type, ENA, boot
// mode, SR-IOV, TPM and IMDS support as far as the source states them, and
// each block device mapping with the same device name, size, volume type,
// IOPS (io1, io2, gp3), throughput (gp3) and DeleteOnTermination, its
// snapshot replaced by the copy.
// An empty encrypted EBS mapping names `target_kms_key_id` (the source key is
// the other account's). InvalidArgument when a mapped snapshot has no copy.
base::Result<QueryParams> RegisterImageParams(const ImageDetail& source, const std::string& name,
                                              const CopyMap& copies, const std::string& target_kms_key_id);

// Whether `existing` maps every snapshot-backed device of `source` to that snapshot's copy.
bool ImageUsesCopies(const ImageDetail& existing, const ImageDetail& source, const CopyMap& copies);

}  // namespace kura::tools
