#include "ec2/instance_types.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "ec2/filters.h"
#include "env/filesystem.h"

// The built-in catalog: data/instance-types.json, embedded by instance_types_data.S (.incbin).
extern "C" const char kura_ec2_instance_types_begin[];
extern "C" const char kura_ec2_instance_types_end[];

namespace kura::ec2 {

namespace {

using nlohmann::json;

bool OneOf(const std::string& v, std::initializer_list<const char*> allowed) {
  return std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return v == a; });
}

// One catalog entry; InvalidArgument names the entry and the field at fault.
base::Result<InstanceTypeInfo> ParseEntry(const json& e, size_t index) {
  const std::string where = "instance type catalog entry " + std::to_string(index);
  if (!e.is_object()) return base::InvalidArgumentError(where + " is not an object");
  auto str = [&](const char* field, const std::string& fallback) -> base::Result<std::string> {
    auto it = e.find(field);
    if (it == e.end()) return fallback;
    if (!it->is_string()) return base::InvalidArgumentError(where + ": " + field + " must be a string");
    return it->get<std::string>();
  };
  InstanceTypeInfo t;
  KURA_ASSIGN_OR_RETURN(t.instance_type, str("instanceType", ""));
  if (t.instance_type.empty()) return base::InvalidArgumentError(where + " has no instanceType");
  const std::string named = where + " (" + t.instance_type + ")";
  if (auto it = e.find("currentGeneration"); it != e.end()) {
    if (!it->is_boolean()) return base::InvalidArgumentError(named + ": currentGeneration must be a boolean");
    t.current_generation = it->get<bool>();
  }
  if (auto it = e.find("vCpus"); it != e.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 4096) {
      return base::InvalidArgumentError(named + ": vCpus must be an integer in 1..4096");
    }
    t.vcpus = it->get<int>();
  }
  if (auto it = e.find("memoryMiB"); it != e.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1) {
      return base::InvalidArgumentError(named + ": memoryMiB must be a positive integer");
    }
    t.memory_mib = it->get<int64_t>();
  }
  KURA_ASSIGN_OR_RETURN(t.ebs_optimized_support, str("ebsOptimizedSupport", "default"));
  if (!OneOf(t.ebs_optimized_support, {"unsupported", "supported", "default"})) {
    return base::InvalidArgumentError(named + ": ebsOptimizedSupport must be unsupported, supported or default");
  }
  KURA_ASSIGN_OR_RETURN(std::string encryption, str("encryptionSupport", "supported"));
  if (!OneOf(encryption, {"unsupported", "supported"})) {
    return base::InvalidArgumentError(named + ": encryptionSupport must be supported or unsupported");
  }
  t.encryption_supported = encryption == "supported";
  KURA_ASSIGN_OR_RETURN(t.nvme_support, str("nvmeSupport", "required"));
  if (!OneOf(t.nvme_support, {"unsupported", "supported", "required"})) {
    return base::InvalidArgumentError(named + ": nvmeSupport must be unsupported, supported or required");
  }
  if (auto it = e.find("architectures"); it != e.end()) {
    if (!it->is_array() || it->empty()) {
      return base::InvalidArgumentError(named + ": architectures must be a non-empty array");
    }
    t.architectures.clear();
    for (const auto& a : *it) {
      if (!a.is_string()) return base::InvalidArgumentError(named + ": architectures must hold strings");
      t.architectures.push_back(a.get<std::string>());
    }
  }
  return t;
}

}  // namespace

base::Result<std::unique_ptr<InstanceTypeCatalog>> InstanceTypeCatalog::Load(const std::string& path) {
  if (path.empty()) {
    return Parse(std::string_view(kura_ec2_instance_types_begin,
                                  static_cast<size_t>(kura_ec2_instance_types_end - kura_ec2_instance_types_begin)));
  }
  KURA_ASSIGN_OR_RETURN(auto bytes, env::PosixFilesystem()->ReadFile(path));
  auto catalog = Parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (!catalog.ok()) return catalog.status().WithContext(path);
  return catalog;
}

base::Result<std::unique_ptr<InstanceTypeCatalog>> InstanceTypeCatalog::Parse(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return base::InvalidArgumentError("instance type catalog is not valid JSON");
  auto list = doc.find("instanceTypes");
  if (!doc.is_object() || list == doc.end() || !list->is_array()) {
    return base::InvalidArgumentError("instance type catalog has no instanceTypes array");
  }
  auto catalog = std::unique_ptr<InstanceTypeCatalog>(new InstanceTypeCatalog());
  std::set<std::string> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    KURA_ASSIGN_OR_RETURN(InstanceTypeInfo t, ParseEntry((*list)[i], i));
    if (!seen.insert(t.instance_type).second) {
      return base::InvalidArgumentError("instance type catalog lists " + t.instance_type + " twice");
    }
    catalog->types_.push_back(std::move(t));
  }
  std::sort(catalog->types_.begin(), catalog->types_.end(),
            [](const InstanceTypeInfo& a, const InstanceTypeInfo& b) { return a.instance_type < b.instance_type; });
  return catalog;
}

const InstanceTypeInfo* InstanceTypeCatalog::Find(const std::string& type) const {
  auto it = std::lower_bound(types_.begin(), types_.end(), type,
                             [](const InstanceTypeInfo& t, const std::string& name) { return t.instance_type < name; });
  return it != types_.end() && it->instance_type == type ? &*it : nullptr;
}

base::Result<Page<InstanceTypeInfo>> Ec2Service::DescribeInstanceTypes(const Caller& caller,
                                                                       const std::vector<std::string>& types,
                                                                       const std::vector<Filter>& filters,
                                                                       const PageRequest& page) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DescribeInstanceTypes", {}));
  std::vector<std::string> missing;
  for (const auto& t : types) {
    if (!instance_types_->Find(t)) missing.push_back(t);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return Ec2Status(Ec2Error::kInvalidInstanceType,
                     "The following supplied instance types do not exist: [" + list + "]");
  }
  std::vector<InstanceTypeInfo> matched;
  const auto values_of = [](const InstanceTypeInfo& t, const std::string& name) -> std::optional<std::vector<std::string>> {
          if (name == "instance-type") return std::vector<std::string>{t.instance_type};
          if (name == "current-generation") return std::vector<std::string>{BoolText(t.current_generation)};
          if (name == "ebs-info.encryption-support") {
            return std::vector<std::string>{t.encryption_supported ? "supported" : "unsupported"};
          }
          if (name == "ebs-info.ebs-optimized-support") return std::vector<std::string>{t.ebs_optimized_support};
          if (name == "ebs-info.nvme-support") return std::vector<std::string>{t.nvme_support};
          if (name == "vcpu-info.default-vcpus") return std::vector<std::string>{std::to_string(t.vcpus)};
          if (name == "memory-info.size-in-mib") return std::vector<std::string>{std::to_string(t.memory_mib)};
          if (name == "processor-info.supported-architecture") return t.architectures;
          return std::nullopt;
        };
  KURA_RETURN_IF_ERROR(CheckFilterNames<InstanceTypeInfo>(filters, values_of));
  for (const auto& t : instance_types_->all()) {
    if (!types.empty() && std::find(types.begin(), types.end(), t.instance_type) == types.end()) continue;
    KURA_ASSIGN_OR_RETURN(
        bool keep, MatchesFilters(filters, {}, [&](const std::string& name) { return values_of(t, name); }));
    if (keep) matched.push_back(t);
  }
  KURA_ASSIGN_OR_RETURN(Paging p, PageOf(matched.size(), page.max_results, page.next_token, 5, 100));
  Page<InstanceTypeInfo> out;
  out.items.assign(matched.begin() + static_cast<ptrdiff_t>(p.begin), matched.begin() + static_cast<ptrdiff_t>(p.end));
  out.next_token = p.next_token;
  return out;
}

}  // namespace kura::ec2
