#include "ec2/compute_test_fixture.h"

namespace kura::ec2::testing {
namespace {

class TagsTest : public ComputeTest {};

TEST_F(TagsTest, TagsEveryKindOfResource) {
  const std::string volume = NewVolume(Alice());
  const std::string snapshot = NewSnapshot(Alice(), volume);
  const std::string image = NewImage(Alice(), "tagged");
  InstanceRecord instance = Launch(Alice(), image);
  auto eip = svc_->AllocateAddress(Alice(), {});
  ASSERT_TRUE(eip.ok());
  const std::vector<std::string> ids = {volume, snapshot, image, instance.id, eip->allocation_id};
  ASSERT_TRUE(svc_->CreateTags(Alice(), ids, {{"env", "prod"}, {"team", ""}}).ok());
  // Upsert.
  ASSERT_TRUE(svc_->CreateTags(Alice(), {volume}, {{"env", "dev"}}).ok());
  EXPECT_EQ(Volume(Alice(), volume)->tags, (std::vector<Tag>{{"env", "dev"}, {"team", ""}}));
  EXPECT_EQ(Instance(Alice(), instance.id).tags, (std::vector<Tag>{{"env", "prod"}, {"team", ""}}));

  auto all = svc_->DescribeTags(Alice(), {{"key", {"env"}}}, {});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->items.size(), 5u);
  std::set<std::string> types;
  for (const auto& t : all->items) types.insert(t.resource_type);
  EXPECT_EQ(types, (std::set<std::string>{"volume", "snapshot", "image", "instance", "elastic-ip"}));
  auto prod_instances = svc_->DescribeTags(Alice(), {{"resource-type", {"instance"}}, {"value", {"prod"}}}, {});
  ASSERT_TRUE(prod_instances.ok());
  ASSERT_EQ(prod_instances->items.size(), 1u);
  EXPECT_EQ(prod_instances->items[0].resource_id, instance.id);
  PageRequest page;
  page.max_results = 5;
  auto first = svc_->DescribeTags(Alice(), {}, page);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->items.size(), 5u);
  ASSERT_FALSE(first->next_token.empty());
  page.next_token = first->next_token;
  auto second = svc_->DescribeTags(Alice(), {}, page);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->items.size(), 5u);
  EXPECT_TRUE(svc_->DescribeTags(Bob(), {}, {})->items.empty());

  // DeleteTags: a value given must match; no tags named removes them all.
  ASSERT_TRUE(svc_->DeleteTags(Alice(), {instance.id}, {{"env", std::string("dev")}}).ok());
  EXPECT_EQ(Instance(Alice(), instance.id).tags.size(), 2u);
  ASSERT_TRUE(svc_->DeleteTags(Alice(), {instance.id}, {{"env", std::nullopt}}).ok());
  EXPECT_EQ(Instance(Alice(), instance.id).tags, (std::vector<Tag>{{"team", ""}}));
  ASSERT_TRUE(svc_->DeleteTags(Alice(), {image}, {}).ok());
  EXPECT_TRUE(Image(Alice(), image).tags.empty());
}

TEST_F(TagsTest, RefusesUnknownForeignAndTooManyTags) {
  const std::string volume = NewVolume(Alice());
  auto st = svc_->CreateTags(Alice(), {"sg-12345678"}, {{"a", "b"}});
  EXPECT_EQ(ErrorOf(st), Ec2Error::kInvalidId);
  EXPECT_EQ(st.message(), "The ID 'sg-12345678' is not valid");
  EXPECT_EC2_ERROR(svc_->CreateTags(Alice(), {"vol-0123456789abcdef0"}, {{"a", "b"}}), Ec2Error::kVolumeNotFound);
  EXPECT_EC2_ERROR(svc_->CreateTags(Alice(), {"i-0123456789abcdef0"}, {{"a", "b"}}), Ec2Error::kInstanceNotFound);
  EXPECT_EC2_ERROR(svc_->CreateTags(Bob(), {volume}, {{"a", "b"}}), Ec2Error::kVolumeNotFound);
  // One bad id: nothing is tagged.
  EXPECT_EC2_ERROR(svc_->CreateTags(Alice(), {volume, "snap-0123456789abcdef0"}, {{"a", "b"}}),
                   Ec2Error::kSnapshotNotFound);
  EXPECT_TRUE(Volume(Alice(), volume)->tags.empty());
  EXPECT_EC2_ERROR(svc_->CreateTags(Alice(), {volume}, {{"aws:reserved", "x"}}), Ec2Error::kInvalidParameterValue);
  EXPECT_EC2_ERROR(svc_->CreateTags(Alice(), {volume}, {{std::string(129, 'k'), "x"}}), Ec2Error::kInvalidParameterValue);

  std::vector<Tag> fifty;
  for (int i = 0; i < 50; ++i) fifty.push_back({"k" + std::to_string(i), "v"});
  ASSERT_TRUE(svc_->CreateTags(Alice(), {volume}, fifty).ok());
  ASSERT_TRUE(svc_->CreateTags(Alice(), {volume}, {{"k0", "changed"}}).ok());  // replacing stays at 50
  auto st2 = svc_->CreateTags(Alice(), {volume}, {{"k50", "v"}});
  EXPECT_EQ(ErrorOf(st2), Ec2Error::kTagLimitExceeded);
  EXPECT_EQ(st2.message(), "The maximum number of Tags for a resource has been reached.");
}

}  // namespace
}  // namespace kura::ec2::testing
