#include "ec2/filters.h"

#include "base/wildcard.h"

namespace kura::ec2 {

bool WildcardMatch(std::string_view pattern, std::string_view text) { return base::WildcardMatch(pattern, text); }

namespace {

bool AnyMatches(const std::vector<std::string>& patterns, const std::vector<std::string>& values) {
  for (const auto& pattern : patterns) {
    for (const auto& value : values) {
      if (WildcardMatch(pattern, value)) return true;
    }
  }
  return false;
}

}  // namespace

base::Result<bool> MatchesFilters(const std::vector<Filter>& filters, const std::vector<Tag>& tags,
                                  const FilterValues& values) {
  for (const auto& filter : filters) {
    std::vector<std::string> have;
    if (filter.name.rfind("tag:", 0) == 0) {
      const std::string key = filter.name.substr(4);
      for (const auto& tag : tags) {
        if (tag.key == key) have.push_back(tag.value);
      }
    } else if (filter.name == "tag-key") {
      for (const auto& tag : tags) have.push_back(tag.key);
    } else if (filter.name == "tag-value") {
      for (const auto& tag : tags) have.push_back(tag.value);
    } else {
      auto own = values(filter.name);
      if (!own) return Ec2Status(Ec2Error::kInvalidParameterValue, "The filter '" + filter.name + "' is invalid");
      have = std::move(*own);
    }
    if (!AnyMatches(filter.values, have)) return false;
  }
  return true;
}

base::Result<Paging> PageOf(size_t total, std::optional<int> max_results, const std::string& next_token,
                            int min_results, int max_results_limit) {
  Paging page;
  if (!next_token.empty()) {
    // Tokens are "p" + decimal position: opaque to clients, checked here.
    size_t pos = 0;
    bool ok = next_token.size() > 1 && next_token[0] == 'p' && next_token.size() < 12;
    for (size_t i = 1; ok && i < next_token.size(); ++i) {
      if (next_token[i] < '0' || next_token[i] > '9') ok = false;
      else pos = pos * 10 + static_cast<size_t>(next_token[i] - '0');
    }
    if (!ok) return Ec2Status(Ec2Error::kInvalidParameterValue, "Invalid value '" + next_token + "' for nextToken.");
    page.begin = std::min(pos, total);
  }
  size_t limit = total;
  if (max_results) {
    if (*max_results < min_results) {
      return Ec2Status(Ec2Error::kInvalidParameterValue,
                       "Value ( " + std::to_string(*max_results) + " ) for parameter maxResults is invalid. Expecting a value greater than " +
                           std::to_string(min_results - 1) + ".");
    }
    // Above the limit AWS answers with a full page of the limit's size, not an error.
    limit = static_cast<size_t>(std::min(*max_results, max_results_limit));
  }
  page.end = std::min(total, page.begin + limit);
  if (page.end < total) page.next_token = "p" + std::to_string(page.end);
  return page;
}

base::Result<std::vector<Tag>> MergeTags(const std::vector<Tag>& existing, const std::vector<Tag>& added) {
  std::vector<Tag> merged = existing;
  for (const auto& tag : added) {
    if (tag.key.empty() || tag.key.size() > 128) {
      return Ec2Status(Ec2Error::kInvalidParameterValue,
                       "Tag key must be between 1 and 128 characters long: '" + tag.key + "'");
    }
    if (tag.value.size() > 256) {
      return Ec2Status(Ec2Error::kInvalidParameterValue, "Tag value exceeds the maximum length of 256 characters");
    }
    if (tag.key.rfind("aws:", 0) == 0) {
      return Ec2Status(Ec2Error::kInvalidParameterValue,
                       "Tag keys starting with 'aws:' are reserved for internal use");
    }
    bool replaced = false;
    for (auto& have : merged) {
      if (have.key == tag.key) {
        have.value = tag.value;
        replaced = true;
      }
    }
    if (!replaced) merged.push_back(tag);
  }
  if (merged.size() > 50) {
    return Ec2Status(Ec2Error::kTagLimitExceeded, "The maximum number of Tags for a resource has been reached.");
  }
  return merged;
}

}  // namespace kura::ec2
