// ComputeTest: Ec2Test plus the few steps the compute tests (images,
// instances, addresses, load balancers, tags) keep needing: a completed
// snapshot, a registered image, a running instance. Each waits for the
// asynchronous work it starts. Header-only; tests only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ec2/test_fixture.h"

namespace kura::ec2::testing {

class ComputeTest : public Ec2Test {
 protected:
  // An available volume of `caller`; encrypted under `key` ("" = the default key) when `encrypted`.
  std::string NewVolume(const Caller& caller, bool encrypted = false, const std::string& key = "", int64_t gib = 1) {
    CreateVolumeRequest r;
    r.zone = caller.region + "a";
    r.size_gib = gib;
    if (encrypted) r.encrypted = true;
    r.kms_key_id = key;
    auto v = svc_->CreateVolume(caller, r);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    WaitIdle();
    return v.ok() ? v->id : "";
  }

  std::string NewSnapshot(const Caller& caller, const std::string& volume_id) {
    auto s = svc_->CreateSnapshot(caller, volume_id, "test", {});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    WaitIdle();
    return s.ok() ? s->id : "";
  }

  // An available image whose root (/dev/xvda) is a snapshot of a fresh volume.
  std::string NewImage(const Caller& caller, const std::string& name, bool encrypted = false,
                       const std::string& key = "") {
    const std::string snap = NewSnapshot(caller, NewVolume(caller, encrypted, key));
    RegisterImageRequest r;
    r.name = name;
    r.root_device_name = "/dev/xvda";
    BlockDeviceMapping m;
    m.device_name = "/dev/xvda";
    m.ebs = EbsBlockDevice{};
    m.ebs->snapshot_id = snap;
    r.block_device_mappings.push_back(m);
    auto id = svc_->RegisterImage(caller, r);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }

  // RunInstances of one instance, then waits for the launch to finish (running or terminated).
  InstanceRecord Launch(const Caller& caller, RunInstancesRequest r) {
    auto reservation = svc_->RunInstances(caller, r);
    EXPECT_TRUE(reservation.ok()) << reservation.status().ToString();
    if (!reservation.ok() || reservation->instances.empty()) return {};
    WaitIdle();
    return Instance(caller, reservation->instances.front().id);
  }
  InstanceRecord Launch(const Caller& caller, const std::string& image_id, const std::string& type = "t3.micro") {
    RunInstancesRequest r;
    r.image_id = image_id;
    r.instance_type = type;
    return Launch(caller, r);
  }

  InstanceRecord Instance(const Caller& caller, const std::string& id) {
    auto page = svc_->DescribeInstances(caller, {id}, {}, {});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok() || page->items.empty() || page->items[0].instances.empty()) return {};
    return page->items[0].instances[0];
  }

  std::optional<VolumeRecord> Volume(const Caller& caller, const std::string& id) {
    auto page = svc_->DescribeVolumes(caller, {id}, {}, {});
    if (!page.ok() || page->items.empty()) return std::nullopt;
    return page->items[0];
  }

  std::optional<SnapshotRecord> Snapshot(const Caller& caller, const std::string& id) {
    auto page = svc_->DescribeSnapshots(caller, {id}, {}, {}, {}, {});
    if (!page.ok() || page->items.empty()) return std::nullopt;
    return page->items[0];
  }

  ImageRecord Image(const Caller& caller, const std::string& id) {
    auto page = svc_->DescribeImages(caller, {id}, {}, {}, {}, {});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() && !page->items.empty() ? page->items[0] : ImageRecord{};
  }

  kms::Caller KmsRoot(const std::string& account = kAlice, const std::string& region = kEast) {
    return kms::Caller::Direct(Root(account), region, "req-test");
  }
};

}  // namespace kura::ec2::testing
