// The JSON form of each EC2 record as the store keeps it in the metadata
// database. Missing members read as their defaults, so records written by an
// older kura load after a field is added.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "ec2/store.h"

namespace kura::ec2 {

std::string RecordToJson(const AnyRecord& record);
// `kind` is the AnyRecord index the text was written for.
base::Result<AnyRecord> RecordFromJson(size_t kind, std::string_view text);

}  // namespace kura::ec2
