// InstanceTypeCatalog: the instance types kura knows and what each supports
// (EBS encryption above all), read from a JSON data file — data, not code —
// so an operator can reproduce an older AWS era (ec2-api.md §6.8). The
// built-in catalog (data/instance-types.json, embedded at build time)
// follows current AWS: every type supports EBS encryption.
// Thread-safety: immutable after Load; share freely.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ec2/ec2_service.h"

namespace kura::ec2 {

class InstanceTypeCatalog {
 public:
  // `path` "" = the built-in catalog. InvalidArgument names the bad entry.
  static base::Result<std::unique_ptr<InstanceTypeCatalog>> Load(const std::string& path);
  static base::Result<std::unique_ptr<InstanceTypeCatalog>> Parse(std::string_view json);

  const InstanceTypeInfo* Find(const std::string& type) const;
  const std::vector<InstanceTypeInfo>& all() const { return types_; }  // sorted by name

 private:
  std::vector<InstanceTypeInfo> types_;
};

}  // namespace kura::ec2
