// The NBD server's per-volume counters in the Prometheus text exposition
// format (version 0.0.4): one counter family per measure, labelled with the
// volume and the instance it was last attached to.
// Thread-safety: a pure function over a snapshot of atomics.
#pragma once

#include <string>
#include <vector>

#include "net/nbd_exports.h"

namespace kura::net {

std::string RenderNbdMetrics(const std::vector<NbdVolumeCounters>& volumes);

}  // namespace kura::net
