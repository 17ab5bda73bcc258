#include "ec2/instance_types.h"

#include "ec2/compute_test_fixture.h"

namespace kura::ec2::testing {
namespace {

TEST(InstanceTypeCatalogTest, BuiltInCatalogFollowsCurrentAws) {
  auto catalog = InstanceTypeCatalog::Load("");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_GT((*catalog)->all().size(), 50u);
  for (const auto& t : (*catalog)->all()) EXPECT_TRUE(t.encryption_supported) << t.instance_type;
  for (const char* name : {"t1.micro", "t2.micro", "t3.micro", "t3a.small", "m1.small", "m3.medium", "m4.large",
                           "m5.large", "m6i.large", "c1.medium", "c4.large", "c5.large", "c6i.large", "r5.large",
                           "r6i.large", "i3.large", "x1.16xlarge"}) {
    EXPECT_NE((*catalog)->Find(name), nullptr) << name;
  }
  const InstanceTypeInfo* t3 = (*catalog)->Find("t3.micro");
  EXPECT_EQ(t3->vcpus, 2);
  EXPECT_EQ(t3->memory_mib, 1024);
  EXPECT_TRUE(t3->current_generation);
  EXPECT_EQ(t3->nvme_support, "required");
  const InstanceTypeInfo* m1 = (*catalog)->Find("m1.small");
  EXPECT_FALSE(m1->current_generation);
  EXPECT_EQ(m1->ebs_optimized_support, "unsupported");
  EXPECT_EQ((*catalog)->Find("m9.mega"), nullptr);
  const auto& all = (*catalog)->all();
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.instance_type < b.instance_type;
  }));
}

TEST(InstanceTypeCatalogTest, ParseNamesTheBadEntry) {
  auto bad = InstanceTypeCatalog::Parse(R"({"instanceTypes":[{"instanceType":"a.b"},{"instanceType":"c.d","vCpus":0}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("entry 1 (c.d)"), std::string::npos) << bad.status().ToString();
  EXPECT_FALSE(InstanceTypeCatalog::Parse(R"({"instanceTypes":[{"instanceType":"a","encryptionSupport":"maybe"}]})").ok());
  EXPECT_FALSE(InstanceTypeCatalog::Parse(R"({"instanceTypes":[{"instanceType":"a"},{"instanceType":"a"}]})").ok());
  EXPECT_FALSE(InstanceTypeCatalog::Parse("not json").ok());
  EXPECT_FALSE(InstanceTypeCatalog::Parse("{}").ok());
  auto ok = InstanceTypeCatalog::Parse(R"({"instanceTypes":[{"instanceType":"t1.micro","encryptionSupport":"unsupported"}]})");
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE((*ok)->Find("t1.micro")->encryption_supported);
  EXPECT_FALSE(InstanceTypeCatalog::Load("/nonexistent/types.json").ok());
}

class DescribeInstanceTypesTest : public Ec2Test {};

TEST_F(DescribeInstanceTypesTest, NamesFiltersAndPages) {
  auto two = svc_->DescribeInstanceTypes(Alice(), {"t3.micro", "m5.large"}, {}, {});
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  ASSERT_EQ(two->items.size(), 2u);
  EXPECT_EQ(two->items[0].instance_type, "m5.large");

  auto st = StatusOf(svc_->DescribeInstanceTypes(Alice(), {"t3.micro", "x9.nano", "y1.big"}, {}, {}));
  EXPECT_EQ(ErrorOf(st), Ec2Error::kInvalidInstanceType);
  EXPECT_EQ(st.message(), "The following supplied instance types do not exist: [x9.nano, y1.big]");

  auto previous = svc_->DescribeInstanceTypes(Alice(), {}, {{"current-generation", {"false"}}, {"instance-type", {"t1.*"}}}, {});
  ASSERT_TRUE(previous.ok());
  ASSERT_EQ(previous->items.size(), 1u);
  EXPECT_EQ(previous->items[0].instance_type, "t1.micro");
  auto unsupported = svc_->DescribeInstanceTypes(Alice(), {}, {{"ebs-info.encryption-support", {"unsupported"}}}, {});
  ASSERT_TRUE(unsupported.ok());
  EXPECT_TRUE(unsupported->items.empty());
  auto small = svc_->DescribeInstanceTypes(
      Alice(), {}, {{"vcpu-info.default-vcpus", {"2"}}, {"memory-info.size-in-mib", {"1024"}}}, {});
  ASSERT_TRUE(small.ok());
  EXPECT_GE(small->items.size(), 2u);  // t3.micro, t3a.micro, ...

  PageRequest page;
  page.max_results = 5;
  std::set<std::string> seen;
  for (int pages = 0; pages < 100; ++pages) {
    auto p = svc_->DescribeInstanceTypes(Alice(), {}, {}, page);
    ASSERT_TRUE(p.ok());
    for (const auto& t : p->items) seen.insert(t.instance_type);
    if (p->next_token.empty()) break;
    page.next_token = p->next_token;
  }
  auto all = InstanceTypeCatalog::Load("");
  EXPECT_EQ(seen.size(), (*all)->all().size());
  page = {};
  page.max_results = 101;  // above the limit: a page of the limit's size (the wire model refuses it first)
  auto clamped = svc_->DescribeInstanceTypes(Alice(), {}, {}, page);
  ASSERT_TRUE(clamped.ok());
  EXPECT_EQ(clamped->items.size(), std::min<size_t>(100, (*all)->all().size()));
}

TEST_F(DescribeInstanceTypesTest, RegionsAndZones) {
  auto regions = svc_->DescribeRegions(Alice(), {}, {});
  ASSERT_TRUE(regions.ok());
  ASSERT_EQ(regions->size(), 2u);
  EXPECT_EQ(regions->at(0).name, kEast);
  EXPECT_EQ(regions->at(0).endpoint, "ec2.us-east-1.amazonaws.com");
  auto one = svc_->DescribeRegions(Alice(), {kTokyo}, {});
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  auto st = StatusOf(svc_->DescribeRegions(Alice(), {"mars-north-1"}, {}));
  EXPECT_EQ(ErrorOf(st), Ec2Error::kInvalidParameterValue);
  EXPECT_EQ(st.message(), "Invalid region: mars-north-1");

  auto zones = svc_->DescribeAvailabilityZones(Alice(), {}, {}, {});
  ASSERT_TRUE(zones.ok());
  ASSERT_EQ(zones->size(), 3u);
  EXPECT_EQ(zones->at(0).name, "us-east-1a");
  EXPECT_EQ(zones->at(0).zone_id, "use1-az1");
  EXPECT_EQ(zones->at(2).name, "us-east-1c");
  auto tokyo = svc_->DescribeAvailabilityZones(As(Root(kAlice), kTokyo), {"ap-northeast-1b"}, {}, {});
  ASSERT_TRUE(tokyo.ok());
  ASSERT_EQ(tokyo->size(), 1u);
  EXPECT_EQ(tokyo->at(0).zone_id, "apne1-az2");
  auto filtered = svc_->DescribeAvailabilityZones(Alice(), {}, {}, {{"zone-name", {"us-east-1b"}}});
  ASSERT_TRUE(filtered.ok());
  ASSERT_EQ(filtered->size(), 1u);
  st = StatusOf(svc_->DescribeAvailabilityZones(Alice(), {"us-east-1z"}, {}, {}));
  EXPECT_EQ(ErrorOf(st), Ec2Error::kInvalidParameterValue);
  EXPECT_EQ(st.message(), "The zone 'us-east-1z' does not exist.");
  EXPECT_EC2_ERROR(svc_->DescribeRegions(As(Root(kAlice), "eu-west-3"), {}, {}), Ec2Error::kUnauthorizedOperation);
}

}  // namespace
}  // namespace kura::ec2::testing
