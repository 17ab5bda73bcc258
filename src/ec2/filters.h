// Describe* filters and paging, written once for every resource kind.
// A filter matches when any of its values matches (`*` and `?` wildcards,
// case-sensitive); all filters must match. `tag:<key>` and `tag-key` are
// answered from the record's tags; other names from the record's own values.
// Thread-safety: functions only.
#pragma once

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ec2/ec2_error.h"
#include "ec2/types.h"

namespace kura::ec2 {

// The record's values for filter `name`; nullopt when the kind has no such filter.
using FilterValues = std::function<std::optional<std::vector<std::string>>(const std::string& name)>;

bool WildcardMatch(std::string_view pattern, std::string_view text);

// InvalidParameterValue "The filter '<name>' is invalid" for an unknown filter name.
base::Result<bool> MatchesFilters(const std::vector<Filter>& filters, const std::vector<Tag>& tags,
                                  const FilterValues& values);

// Describe* checks the filter names before looking at records, so an unknown
// name is refused even when there is nothing to match: `values_of(record,
// name)` is asked about a default-constructed record.
template <typename Record, typename ValuesOf>
base::Status CheckFilterNames(const std::vector<Filter>& filters, const ValuesOf& values_of) {
  const Record probe{};
  for (const auto& filter : filters) {
    if (filter.name.rfind("tag:", 0) == 0 || filter.name == "tag-key" || filter.name == "tag-value") continue;
    if (!values_of(probe, filter.name)) {
      return Ec2Status(Ec2Error::kInvalidParameterValue, "The filter '" + filter.name + "' is invalid");
    }
  }
  return base::Status::Ok();
}

// "true"/"false" as filters compare booleans.
inline std::string BoolText(bool b) { return b ? "true" : "false"; }

// Paging by position: `next_token` is the opaque position of the first item
// of the next page. MaxResults below `min_results` -> InvalidParameterValue,
// above `max_results_limit` -> a page of the limit's size (as AWS answers);
// a token this service did not issue -> InvalidParameterValue.
struct Paging {
  size_t begin = 0;
  size_t end = 0;
  std::string next_token;
};
base::Result<Paging> PageOf(size_t total, std::optional<int> max_results, const std::string& next_token,
                            int min_results = 5, int max_results_limit = 1000);

// Tag rules for CreateTags and TagSpecifications: key 1-128, value 0-256,
// no "aws:" prefix, at most 50 per resource after merging. Returns the merged set.
base::Result<std::vector<Tag>> MergeTags(const std::vector<Tag>& existing, const std::vector<Tag>& added);

}  // namespace kura::ec2
