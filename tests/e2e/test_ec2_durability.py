"""Acknowledged EC2 writes survive kill -9: many concurrent CreateVolume calls
(which the store commits in groups) and later changes are all there after a
crash and restart, and work left in flight (volumes still creating) finishes."""
import time
from concurrent.futures import ThreadPoolExecutor

from kura_server import KuraServer

COUNT = 48


def test_acknowledged_ec2_writes_survive_kill_9():
    first = KuraServer()
    second = None
    try:
        shared = first.boto3("ec2")  # clients are thread-safe; creating them is not

        def create(i):
            return shared.create_volume(
                AvailabilityZone="us-east-1a", Size=1 + i % 3,
                TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "n", "Value": str(i)}]}])["VolumeId"]

        with ThreadPoolExecutor(8) as pool:
            volumes = list(pool.map(create, range(COUNT)))
        ec2 = first.boto3("ec2")
        ec2.enable_ebs_encryption_by_default()
        ec2.create_tags(Resources=[volumes[0]], Tags=[{"Key": "late", "Value": "yes"}])
        ec2.get_waiter("volume_available").wait(VolumeIds=[volumes[1]], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        ec2.delete_volume(VolumeId=volumes[1])
        first.kill()  # right after the last acknowledged write

        second = KuraServer(reuse_dir=first.dir)
        ec2 = second.boto3("ec2")
        kept = [v for v in volumes if v != volumes[1]]
        ec2.get_waiter("volume_available").wait(VolumeIds=kept, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        found = {v["VolumeId"]: v for v in ec2.describe_volumes(VolumeIds=kept)["Volumes"]}
        assert sorted(found) == sorted(kept)
        for i, volume_id in enumerate(volumes):
            if volume_id not in found:
                continue
            volume = found[volume_id]
            assert volume["Size"] == 1 + i % 3
            assert {"Key": "n", "Value": str(i)} in volume["Tags"]
        assert {"Key": "late", "Value": "yes"} in found[volumes[0]]["Tags"]
        # The deletion was acknowledged: the restart finishes it (deleting -> gone), never undoes it.
        for _ in range(60):
            left = ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [volumes[1]]}])["Volumes"]
            if not left:
                break
            assert left[0]["State"] in ("deleting", "deleted")
            time.sleep(0.5)
        assert left == []
        assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    finally:
        if second:
            second.stop()
        else:
            first.kill()
        first.cleanup()
