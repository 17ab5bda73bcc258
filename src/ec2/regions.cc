// DescribeRegions and DescribeAvailabilityZones (ec2-api.md §6.11): the
// enabled regions of Ec2Options and three zones per region.
#include <algorithm>
#include <array>
#include <string_view>

#include "ec2/ec2_service.h"
#include "ec2/filters.h"

namespace kura::ec2 {

namespace {

// AWS's short region code used in zone ids: us-east-1 -> use1,
// ap-northeast-1 -> apne1, eu-central-1 -> euc1.
std::string RegionCode(const std::string& region) {
  const size_t first = region.find('-');
  const size_t last = region.rfind('-');
  if (first == std::string::npos || last == first) return region;
  std::string code = region.substr(0, first);
  std::string_view middle(region.data() + first + 1, last - first - 1);
  static constexpr std::array<std::pair<std::string_view, char>, 5> kDirections = {
      {{"north", 'n'}, {"south", 's'}, {"east", 'e'}, {"west", 'w'}, {"central", 'c'}}};
  while (!middle.empty()) {
    bool matched = false;
    for (const auto& [word, letter] : kDirections) {
      if (middle.starts_with(word)) {
        code += letter;
        middle.remove_prefix(word.size());
        matched = true;
        break;
      }
    }
    if (!matched) {  // an unfamiliar word (e.g. "gov"): keep it whole
      const size_t dash = middle.find('-');
      code += std::string(middle.substr(0, dash));
      middle = dash == std::string_view::npos ? std::string_view() : middle.substr(dash + 1);
    }
  }
  return code + region.substr(last + 1);
}

}  // namespace

std::vector<ZoneInfo> Ec2Service::ZonesOf(const std::string& region) const {
  if (std::find(options_.regions.begin(), options_.regions.end(), region) == options_.regions.end()) return {};
  std::vector<ZoneInfo> zones;
  const std::string code = RegionCode(region);
  for (int i = 0; i < 3; ++i) {
    zones.push_back(ZoneInfo{region + static_cast<char>('a' + i), code + "-az" + std::to_string(i + 1), region});
  }
  return zones;
}

base::Result<std::vector<RegionInfo>> Ec2Service::DescribeRegions(const Caller& caller,
                                                                  const std::vector<std::string>& names,
                                                                  const std::vector<Filter>& filters) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DescribeRegions", {}));
  for (const auto& n : names) {
    if (std::find(options_.regions.begin(), options_.regions.end(), n) == options_.regions.end()) {
      return Ec2Status(Ec2Error::kInvalidParameterValue, "Invalid region: " + n);
    }
  }
  std::vector<RegionInfo> out;
  for (const auto& r : options_.regions) {
    if (!names.empty() && std::find(names.begin(), names.end(), r) == names.end()) continue;
    RegionInfo info{r, "ec2." + r + ".amazonaws.com"};
    KURA_ASSIGN_OR_RETURN(
        bool keep, MatchesFilters(filters, {}, [&info](const std::string& f) -> std::optional<std::vector<std::string>> {
          if (f == "region-name") return std::vector<std::string>{info.name};
          if (f == "endpoint") return std::vector<std::string>{info.endpoint};
          if (f == "opt-in-status") return std::vector<std::string>{"opt-in-not-required"};
          return std::nullopt;
        }));
    if (keep) out.push_back(std::move(info));
  }
  return out;
}

base::Result<std::vector<ZoneInfo>> Ec2Service::DescribeAvailabilityZones(const Caller& caller,
                                                                          const std::vector<std::string>& names,
                                                                          const std::vector<std::string>& zone_ids,
                                                                          const std::vector<Filter>& filters) {
  KURA_RETURN_IF_ERROR(Authorize(caller, "ec2:DescribeAvailabilityZones", {}));
  const std::vector<ZoneInfo> zones = ZonesOf(caller.region);
  auto known = [&zones](const std::string& v, std::string ZoneInfo::*field) {
    return std::any_of(zones.begin(), zones.end(), [&](const ZoneInfo& z) { return z.*field == v; });
  };
  for (const auto& n : names) {
    if (!known(n, &ZoneInfo::name)) return Ec2Status(Ec2Error::kInvalidParameterValue, "The zone '" + n + "' does not exist.");
  }
  for (const auto& id : zone_ids) {
    if (!known(id, &ZoneInfo::zone_id)) {
      return Ec2Status(Ec2Error::kInvalidParameterValue, "The zone ID '" + id + "' does not exist.");
    }
  }
  std::vector<ZoneInfo> out;
  for (const auto& z : zones) {
    const bool named = std::find(names.begin(), names.end(), z.name) != names.end();
    const bool by_id = std::find(zone_ids.begin(), zone_ids.end(), z.zone_id) != zone_ids.end();
    if ((!names.empty() || !zone_ids.empty()) && !named && !by_id) continue;
    KURA_ASSIGN_OR_RETURN(
        bool keep, MatchesFilters(filters, {}, [&z](const std::string& f) -> std::optional<std::vector<std::string>> {
          if (f == "zone-name") return std::vector<std::string>{z.name};
          if (f == "zone-id") return std::vector<std::string>{z.zone_id};
          if (f == "region-name") return std::vector<std::string>{z.region};
          if (f == "state") return std::vector<std::string>{"available"};
          if (f == "zone-type") return std::vector<std::string>{"availability-zone"};
          if (f == "group-name" || f == "network-border-group") return std::vector<std::string>{z.region};
          if (f == "opt-in-status") return std::vector<std::string>{"opt-in-not-required"};
          return std::nullopt;
        }));
    if (keep) out.push_back(z);
  }
  return out;
}

}  // namespace kura::ec2
