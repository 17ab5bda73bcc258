// Idempotency tokens for the EC2 calls that create things (CreateVolume,
// CopySnapshot, CopyImage, RunInstances take ClientToken): a caller makes one
// per intended resource, keeps it (a journal, so a resumed run sends the same
// one again) and passes it in the QueryParams; AwsClient's retries resend the
// request unchanged, so a retried create never makes a second resource.
// Thread-safety: safe from any thread.
#pragma once

#include <string>

#include "base/status.h"

namespace kura::tools {

// 32 random hex digits (EC2 accepts up to 64 ASCII characters).
base::Result<std::string> NewClientToken();

}  // namespace kura::tools
