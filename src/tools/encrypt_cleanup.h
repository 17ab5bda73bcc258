// `kura encrypt cleanup` (or `run --cleanup`): deletes what a finished run
// kept for safety, once the user says so (--yes):
//  - after a completed --method snapshot run: the old, now detached,
//    unencrypted volumes and both intermediate snapshots (the plain snapshot
//    and its encrypted copy, which the new volume no longer needs);
//  - after a completed --method image run: the unencrypted intermediate
//    image and its snapshots (the encrypted image is the product and stays);
//  - after a rollback: everything the run created (new volumes, copies,
//    images and their snapshots).
// Something already gone counts as deleted, so cleanup can be repeated.
// A volume still attached is refused, never forced.
// Thread-safety: as AwsClient.
#pragma once

#include "tools/encrypt_runner.h"

namespace kura::tools {

AwsStatus ExecuteCleanup(RunContext& ctx);

}  // namespace kura::tools
