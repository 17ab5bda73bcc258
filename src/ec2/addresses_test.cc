#include "ec2/compute_test_fixture.h"

namespace kura::ec2::testing {
namespace {

class AddressesTest : public ComputeTest {
 protected:
  std::string Associate(const std::string& allocation_id, const std::string& instance_id, bool reassociate = false) {
    AssociateAddressRequest r;
    r.allocation_id = allocation_id;
    r.instance_id = instance_id;
    r.allow_reassociation = reassociate;
    auto id = svc_->AssociateAddress(Alice(), r);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }
};

TEST_F(AddressesTest, AllocateUpToTheLimit) {
  auto first = svc_->AllocateAddress(Alice(), {{"Name", "eip"}});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->allocation_id.rfind("eipalloc-", 0), 0u);
  EXPECT_EQ(first->allocation_id.size(), 9u + 17u);
  EXPECT_FALSE(first->public_ip.empty());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(svc_->AllocateAddress(Alice(), {}).ok());
  EXPECT_EC2_ERROR(svc_->AllocateAddress(Alice(), {}), Ec2Error::kAddressLimitExceeded);
  EXPECT_TRUE(svc_->AllocateAddress(Bob(), {}).ok());  // per account
  EXPECT_TRUE(svc_->AllocateAddress(As(Root(kAlice), kTokyo), {}).ok());  // and per region
  auto mine = svc_->DescribeAddresses(Alice(), {}, {}, {});
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->size(), 5u);
  auto tagged = svc_->DescribeAddresses(Alice(), {}, {}, {{"tag:Name", {"eip"}}});
  ASSERT_TRUE(tagged.ok());
  ASSERT_EQ(tagged->size(), 1u);
  EXPECT_EQ(tagged->at(0).allocation_id, first->allocation_id);
}

TEST_F(AddressesTest, MovesBetweenInstancesOnlyWhenAllowed) {
  const std::string image = NewImage(Alice(), "plain");
  InstanceRecord a = Launch(Alice(), image);
  InstanceRecord b = Launch(Alice(), image);
  auto eip = svc_->AllocateAddress(Alice(), {});
  ASSERT_TRUE(eip.ok());
  const std::string association = Associate(eip->allocation_id, a.id);
  EXPECT_EQ(association.rfind("eipassoc-", 0), 0u);
  EXPECT_EQ(Instance(Alice(), a.id).public_ip, eip->public_ip);

  AssociateAddressRequest move;
  move.allocation_id = eip->allocation_id;
  move.instance_id = b.id;
  auto st = StatusOf(svc_->AssociateAddress(Alice(), move));
  EXPECT_EQ(ErrorOf(st), Ec2Error::kResourceAlreadyAssociated);
  EXPECT_EQ(st.message(), "resource " + eip->allocation_id + " is already associated with associate-id " + association);

  const std::string moved = Associate(eip->allocation_id, b.id, /*reassociate=*/true);
  EXPECT_NE(moved, association);
  EXPECT_EQ(Instance(Alice(), a.id).public_ip, "");
  EXPECT_EQ(Instance(Alice(), b.id).public_ip, eip->public_ip);
  auto described = svc_->DescribeAddresses(Alice(), {}, {}, {{"instance-id", {b.id}}});
  ASSERT_TRUE(described.ok());
  ASSERT_EQ(described->size(), 1u);
  EXPECT_EQ(described->at(0).association_id, moved);
  EXPECT_EQ(described->at(0).private_ip, b.private_ip);

  // In use: not released. Disassociated: released.
  EXPECT_EC2_ERROR(svc_->ReleaseAddress(Alice(), eip->allocation_id, ""), Ec2Error::kIpAddressInUse);
  st = svc_->DisassociateAddress(Alice(), association, "");
  EXPECT_EQ(ErrorOf(st), Ec2Error::kAssociationNotFound);
  EXPECT_EQ(st.message(), "The association ID '" + association + "' does not exist");
  ASSERT_TRUE(svc_->DisassociateAddress(Alice(), moved, "").ok());
  EXPECT_EQ(Instance(Alice(), b.id).public_ip, "");
  ASSERT_TRUE(svc_->ReleaseAddress(Alice(), eip->allocation_id, "").ok());
  st = svc_->ReleaseAddress(Alice(), eip->allocation_id, "");
  EXPECT_EQ(ErrorOf(st), Ec2Error::kAllocationNotFound);
  EXPECT_EQ(st.message(), "The allocation ID '" + eip->allocation_id + "' does not exist");
}

TEST_F(AddressesTest, TerminationDisassociatesAndPendingInstancesAreRefused) {
  const std::string image = NewImage(Alice(), "plain");
  InstanceRecord a = Launch(Alice(), image);
  auto eip = svc_->AllocateAddress(Alice(), {});
  ASSERT_TRUE(eip.ok());
  Associate(eip->allocation_id, a.id);
  ASSERT_TRUE(svc_->TerminateInstances(Alice(), {a.id}).ok());
  WaitIdle();
  auto described = svc_->DescribeAddresses(Alice(), {}, {eip->allocation_id}, {});
  ASSERT_TRUE(described.ok());
  EXPECT_TRUE(described->at(0).association_id.empty());
  AssociateAddressRequest r;
  r.allocation_id = eip->allocation_id;
  r.instance_id = a.id;
  EXPECT_EC2_ERROR(svc_->AssociateAddress(Alice(), r), Ec2Error::kIncorrectInstanceState);
  r.instance_id = "i-0123456789abcdef0";
  EXPECT_EC2_ERROR(svc_->AssociateAddress(Alice(), r), Ec2Error::kInstanceNotFound);
  EXPECT_EC2_ERROR(svc_->DescribeAddresses(Alice(), {"203.0.113.250"}, {}, {}), Ec2Error::kAddressNotFound);
  EXPECT_EC2_ERROR(svc_->DescribeAddresses(Alice(), {}, {"eipalloc-0123456789abcdef0"}, {}),
                   Ec2Error::kAllocationNotFound);
  // Bob cannot see or use Alice's address.
  EXPECT_EC2_ERROR(svc_->DescribeAddresses(Bob(), {}, {eip->allocation_id}, {}), Ec2Error::kAllocationNotFound);
}

}  // namespace
}  // namespace kura::ec2::testing
