// The checksum of a volume attached to a running instance (or of a
// snapshot), when the target is a kura serve: kura's admin API NbdExports (the only non-AWS call the
// tools make; AWS has no way to read a volume's bytes from outside the
// instance) gives the instance's NBD URI of the volume, and nbd_checksum.h
// reads it. Against AWS's own endpoints there is nothing to call: the
// caller reports the volume as not verified.
// Thread-safety: as AwsClient.
#pragma once

#include <string>

#include "tools/aws_client.h"
#include "tools/nbd_checksum.h"

namespace kura::tools {

// Whether the target can be verified at all (an --endpoint-url is set).
bool CanVerifyContent(const AwsClient& aws);

// A snapshot's digest: kura's ExportSnapshotStart stages a volume made from
// it for NBD reading, which is hashed and then discarded (DiscardStagedVolume,
// also when reading fails). For instances that are not running, whose
// volumes have no NBD export.
base::Result<DeviceDigest> SnapshotSha256(const AwsClient& aws, const std::string& snapshot_id);

// Waits (up to 60 s) for the volume's export to be served, then hashes it.
// Errors: the admin API's (IncorrectState when the instance is not running)
// or libnbd's, as a message.
base::Result<DeviceDigest> AttachedVolumeSha256(const AwsClient& aws, const std::string& instance_id,
                                                const std::string& volume_id);

}  // namespace kura::tools
