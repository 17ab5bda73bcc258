#include "ec2/filters.h"

#include <gtest/gtest.h>

namespace kura::ec2 {
namespace {

FilterValues Values() {
  return [](const std::string& name) -> std::optional<std::vector<std::string>> {
    if (name == "status") return std::vector<std::string>{"available"};
    if (name == "encrypted") return std::vector<std::string>{"true"};
    return std::nullopt;
  };
}

TEST(FiltersTest, AllFiltersMustMatchAnyValue) {
  std::vector<Tag> tags = {{"Name", "web-1"}, {"env", "prod"}};
  EXPECT_TRUE(*MatchesFilters({{"status", {"in-use", "available"}}, {"encrypted", {"true"}}}, tags, Values()));
  EXPECT_FALSE(*MatchesFilters({{"status", {"in-use"}}}, tags, Values()));
  EXPECT_TRUE(*MatchesFilters({{"tag:Name", {"web-*"}}}, tags, Values()));
  EXPECT_FALSE(*MatchesFilters({{"tag:Name", {"db-*"}}}, tags, Values()));
  EXPECT_TRUE(*MatchesFilters({{"tag-key", {"env"}}}, tags, Values()));
  EXPECT_FALSE(*MatchesFilters({{"tag:missing", {"*"}}}, tags, Values()));
}

TEST(FiltersTest, UnknownFilterIsInvalidParameterValue) {
  auto r = MatchesFilters({{"colour", {"red"}}}, {}, Values());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorOf(r.status()), Ec2Error::kInvalidParameterValue);
  EXPECT_EQ(r.status().message(), "The filter 'colour' is invalid");
}

TEST(PagingTest, PagesAndTokens) {
  auto first = PageOf(12, 5, "");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->begin, 0u);
  EXPECT_EQ(first->end, 5u);
  ASSERT_FALSE(first->next_token.empty());
  auto second = PageOf(12, 5, first->next_token);
  EXPECT_EQ(second->begin, 5u);
  auto third = PageOf(12, 5, second->next_token);
  EXPECT_EQ(third->begin, 10u);
  EXPECT_EQ(third->end, 12u);
  EXPECT_TRUE(third->next_token.empty());
  auto all = PageOf(12, std::nullopt, "");
  EXPECT_EQ(all->end, 12u);
  EXPECT_TRUE(all->next_token.empty());
}

TEST(PagingTest, BadInput) {
  EXPECT_EQ(ErrorOf(PageOf(10, 4, "").status()), Ec2Error::kInvalidParameterValue);
  auto clamped = PageOf(2000, 5000, "");
  ASSERT_TRUE(clamped.ok());
  EXPECT_EQ(clamped->end, 1000u);  // above the limit: a page of the limit's size
  EXPECT_EQ(ErrorOf(PageOf(10, 5, "garbage").status()), Ec2Error::kInvalidParameterValue);
  EXPECT_EQ(ErrorOf(PageOf(10, 5, "p99999999999999").status()), Ec2Error::kInvalidParameterValue);
}

TEST(TagsTest, MergeRules) {
  auto merged = MergeTags({{"a", "1"}}, {{"a", "2"}, {"b", ""}});
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(*merged, (std::vector<Tag>{{"a", "2"}, {"b", ""}}));
  EXPECT_EQ(ErrorOf(MergeTags({}, {{"", "x"}}).status()), Ec2Error::kInvalidParameterValue);
  EXPECT_EQ(ErrorOf(MergeTags({}, {{"aws:x", "x"}}).status()), Ec2Error::kInvalidParameterValue);
  EXPECT_EQ(ErrorOf(MergeTags({}, {{std::string(129, 'k'), "x"}}).status()), Ec2Error::kInvalidParameterValue);
  EXPECT_EQ(ErrorOf(MergeTags({}, {{"k", std::string(257, 'v')}}).status()), Ec2Error::kInvalidParameterValue);
  std::vector<Tag> fifty;
  for (int i = 0; i < 50; ++i) fifty.push_back({"k" + std::to_string(i), ""});
  EXPECT_TRUE(MergeTags({}, fifty).ok());
  EXPECT_EQ(ErrorOf(MergeTags(fifty, {{"one-more", ""}}).status()), Ec2Error::kTagLimitExceeded);
  EXPECT_TRUE(MergeTags(fifty, {{"k1", "replaced"}}).ok());
}

}  // namespace
}  // namespace kura::ec2
