#include "ec2/compute_test_fixture.h"

namespace kura::ec2::testing {
namespace {

class LoadBalancersTest : public ComputeTest {
 protected:
  CreateLoadBalancerRequest Request(const std::string& name) {
    CreateLoadBalancerRequest r;
    r.name = name;
    r.listeners = {Listener{"http", 80, "", 8080, ""}};
    r.zones = {kZoneA};
    return r;
  }
  std::vector<std::string> Registered(const std::string& name) {
    auto page = svc_->DescribeLoadBalancers(Alice(), {name}, {});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() && !page->items.empty() ? page->items[0].instances : std::vector<std::string>{};
  }
};

TEST_F(LoadBalancersTest, CreateIsIdempotentForTheSameConfiguration) {
  auto dns = svc_->CreateLoadBalancer(Alice(), Request("web-lb"));
  ASSERT_TRUE(dns.ok()) << dns.status().ToString();
  EXPECT_EQ(dns->rfind("web-lb-", 0), 0u);
  EXPECT_EQ(dns->size(), std::string("web-lb-0123456789.us-east-1.elb.amazonaws.com").size());
  EXPECT_NE(dns->find(".us-east-1.elb.amazonaws.com"), std::string::npos);
  auto again = svc_->CreateLoadBalancer(Alice(), Request("web-lb"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *dns);
  auto different = Request("web-lb");
  different.listeners[0].instance_port = 9090;
  EXPECT_EC2_ERROR(svc_->CreateLoadBalancer(Alice(), different), Ec2Error::kDuplicateLoadBalancerName);

  auto internal = Request("inner");
  internal.scheme = "internal";
  auto inner = svc_->CreateLoadBalancer(Alice(), internal);
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(inner->rfind("internal-inner-", 0), 0u);

  auto page = svc_->DescribeLoadBalancers(Alice(), {}, {});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[1].listeners[0].protocol, "HTTP");
  EXPECT_EQ(page->items[1].listeners[0].instance_protocol, "HTTP");
  PageRequest one;
  one.max_results = 1;
  auto first = svc_->DescribeLoadBalancers(Alice(), {}, one);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->items.size(), 1u);
  EXPECT_FALSE(first->next_token.empty());
}

TEST_F(LoadBalancersTest, ValidatesNamesListenersAndZones) {
  for (const std::string& name : std::vector<std::string>{"-lead", "trail-", "under_score", std::string(33, 'a'), ""}) {
    EXPECT_EC2_ERROR(svc_->CreateLoadBalancer(Alice(), Request(name)), Ec2Error::kElbValidation);
  }
  auto r = Request("ok");
  r.listeners[0].protocol = "UDP";
  EXPECT_EC2_ERROR(svc_->CreateLoadBalancer(Alice(), r), Ec2Error::kInvalidConfigurationRequest);
  r = Request("ok");
  r.listeners.clear();
  EXPECT_EC2_ERROR(svc_->CreateLoadBalancer(Alice(), r), Ec2Error::kElbValidation);
  r = Request("ok");
  r.zones = {"us-east-1q"};
  EXPECT_EC2_ERROR(svc_->CreateLoadBalancer(Alice(), r), Ec2Error::kElbValidation);
  auto st = StatusOf(svc_->DescribeLoadBalancers(Alice(), {"nope"}, {}));
  EXPECT_EQ(ErrorOf(st), Ec2Error::kLoadBalancerNotFound);
  EXPECT_EQ(st.message(), "There is no ACTIVE Load Balancer named 'nope'");
  EXPECT_TRUE(svc_->DeleteLoadBalancer(Alice(), "nope").ok());  // idempotent
}

TEST_F(LoadBalancersTest, SwapsOneInstanceForAnother) {
  ASSERT_TRUE(svc_->CreateLoadBalancer(Alice(), Request("web")).ok());
  const std::string image = NewImage(Alice(), "plain");
  InstanceRecord old_one = Launch(Alice(), image);
  InstanceRecord new_one = Launch(Alice(), image);
  auto registered = svc_->RegisterInstancesWithLoadBalancer(Alice(), "web", {old_one.id});
  ASSERT_TRUE(registered.ok()) << registered.status().ToString();
  registered = svc_->RegisterInstancesWithLoadBalancer(Alice(), "web", {new_one.id, old_one.id});
  ASSERT_TRUE(registered.ok());
  EXPECT_EQ(*registered, (std::vector<std::string>{old_one.id, new_one.id}));
  auto remaining = svc_->DeregisterInstancesFromLoadBalancer(Alice(), "web", {old_one.id});
  ASSERT_TRUE(remaining.ok());
  EXPECT_EQ(*remaining, std::vector<std::string>{new_one.id});
  EXPECT_EQ(Registered("web"), std::vector<std::string>{new_one.id});
  EXPECT_EC2_ERROR(svc_->DeregisterInstancesFromLoadBalancer(Alice(), "web", {old_one.id}), Ec2Error::kInvalidInstance);

  // Unknown, foreign and terminated instances are refused; termination deregisters.
  auto st = StatusOf(svc_->RegisterInstancesWithLoadBalancer(Alice(), "web", {"i-0123456789abcdef0"}));
  EXPECT_EQ(ErrorOf(st), Ec2Error::kInvalidInstance);
  EXPECT_EQ(st.message(), "The specified EC2 Instance ID does not exist: i-0123456789abcdef0");
  InstanceRecord bobs = Launch(Bob(), NewImage(Bob(), "bobs"));
  EXPECT_EC2_ERROR(svc_->RegisterInstancesWithLoadBalancer(Alice(), "web", {bobs.id}), Ec2Error::kInvalidInstance);
  ASSERT_TRUE(svc_->TerminateInstances(Alice(), {new_one.id}).ok());
  WaitIdle();
  EXPECT_TRUE(Registered("web").empty());
  EXPECT_EC2_ERROR(svc_->RegisterInstancesWithLoadBalancer(Alice(), "web", {new_one.id}), Ec2Error::kInvalidInstance);
  EXPECT_EC2_ERROR(svc_->RegisterInstancesWithLoadBalancer(Alice(), "missing", {old_one.id}),
                   Ec2Error::kLoadBalancerNotFound);

  ASSERT_TRUE(svc_->DeleteLoadBalancer(Alice(), "web").ok());
  EXPECT_EC2_ERROR(svc_->DescribeLoadBalancers(Alice(), {"web"}, {}), Ec2Error::kLoadBalancerNotFound);
}

}  // namespace
}  // namespace kura::ec2::testing
