#include "api/http.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace kura::api {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(HttpRequestTest, HeaderFindsFirstMatch) {
  HttpRequest req;
  req.headers = {{"host", "example"}, {"x-amz-date", "1"}, {"x-amz-date", "2"}};
  ASSERT_NE(req.Header("x-amz-date"), nullptr);
  EXPECT_EQ(*req.Header("x-amz-date"), "1");
  EXPECT_EQ(*req.Header("host"), "example");
  EXPECT_EQ(req.Header("authorization"), nullptr);
}

TEST(HttpRequestTest, PathAndQuery) {
  HttpRequest req;
  req.target = "/a/b?Action=List&x=%20y";
  EXPECT_EQ(req.Path(), "/a/b");
  EXPECT_EQ(req.Query(), "Action=List&x=%20y");

  req.target = "/";
  EXPECT_EQ(req.Path(), "/");
  EXPECT_EQ(req.Query(), "");

  req.target = "/x?";
  EXPECT_EQ(req.Path(), "/x");
  EXPECT_EQ(req.Query(), "");

  req.target = "/x?a=1?b";
  EXPECT_EQ(req.Path(), "/x");
  EXPECT_EQ(req.Query(), "a=1?b");

  req.target = "";
  EXPECT_EQ(req.Path(), "");
  EXPECT_EQ(req.Query(), "");
}

TEST(HttpResponseTest, SetHeaderAppendsNew) {
  HttpResponse res;
  res.SetHeader("Content-Type", "text/xml");
  res.SetHeader("X-Amzn-RequestId", "r1");
  EXPECT_EQ(res.headers, (Pairs{{"Content-Type", "text/xml"}, {"X-Amzn-RequestId", "r1"}}));
}

TEST(HttpResponseTest, SetHeaderReplacesCaseInsensitively) {
  HttpResponse res;
  res.headers = {{"content-type", "a"}, {"X-Other", "o"}, {"CONTENT-TYPE", "b"}};
  res.SetHeader("Content-Type", "application/json");
  EXPECT_EQ(res.headers, (Pairs{{"Content-Type", "application/json"}, {"X-Other", "o"}}));
}

TEST(PercentDecodeTest, DecodesEscapes) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc%2fd", false), "a b/c/d");
  EXPECT_EQ(PercentDecode("%41%42%43", false), "ABC");
  EXPECT_EQ(PercentDecode("", false), "");
  EXPECT_EQ(PercentDecode("%00", false), std::string(1, '\0'));
  EXPECT_EQ(PercentDecode("%E2%82%AC", false), "\xE2\x82\xAC");
}

TEST(PercentDecodeTest, PlusIsSpaceOnlyWhenAsked) {
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("a%2Bb", true), "a+b");
}

TEST(PercentDecodeTest, MalformedEscapesStayLiteral) {
  EXPECT_EQ(PercentDecode("%", false), "%");
  EXPECT_EQ(PercentDecode("%4", false), "%4");
  EXPECT_EQ(PercentDecode("a%zzb", false), "a%zzb");
  EXPECT_EQ(PercentDecode("%%41", false), "%A");
  EXPECT_EQ(PercentDecode("100%", true), "100%");
}

TEST(ParseFormEncodedTest, SplitsAndDecodes) {
  EXPECT_EQ(ParseFormEncoded("Action=CreateKey&Version=2014-11-01", false),
            (Pairs{{"Action", "CreateKey"}, {"Version", "2014-11-01"}}));
  EXPECT_EQ(ParseFormEncoded("a=x+y&b%5B1%5D=%3D", true), (Pairs{{"a", "x y"}, {"b[1]", "="}}));
  EXPECT_EQ(ParseFormEncoded("a=x+y", false), (Pairs{{"a", "x+y"}}));
}

TEST(ParseFormEncodedTest, EdgeCases) {
  EXPECT_EQ(ParseFormEncoded("", true), Pairs{});
  EXPECT_EQ(ParseFormEncoded("&&", true), Pairs{});
  EXPECT_EQ(ParseFormEncoded("flag", true), (Pairs{{"flag", ""}}));
  EXPECT_EQ(ParseFormEncoded("a=&=b&c=1=2", true), (Pairs{{"a", ""}, {"", "b"}, {"c", "1=2"}}));
  EXPECT_EQ(ParseFormEncoded("a=1&", true), (Pairs{{"a", "1"}}));
  EXPECT_EQ(ParseFormEncoded("b=2&a=1&b=3", true), (Pairs{{"b", "2"}, {"a", "1"}, {"b", "3"}}));
}

}  // namespace
}  // namespace kura::api
