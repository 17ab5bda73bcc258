"""EC2 and ELB error codes through boto3 and the aws CLI: every code the
encryption flows rely on, DryRun, IAM denial, malformed input."""
import json
import os
import shutil
import tempfile

import pytest

from kura_server import KuraServer
from ec2_support import (ZONE, allow, cli_error, create_user, error_code, make_ami, run_instance, wait,
                         wait_state)

MISSING_VOLUME = "vol-0123456789abcdef0"
MISSING_SNAPSHOT = "snap-0123456789abcdef0"
MISSING_IMAGE = "ami-0123456789abcdef0"
MISSING_INSTANCE = "i-0123456789abcdef0"


@pytest.fixture(scope="module")
def world(ec2_server):
    """A plain AMI, a running instance of it and a CMK."""
    ec2 = ec2_server.boto3("ec2")
    image, snapshot = make_ami(ec2, "errors-base")
    instance = run_instance(ec2, image)
    cmk = ec2_server.boto3("kms").create_key()["KeyMetadata"]["Arn"]
    return {"image": image, "snapshot": snapshot, "instance": instance, "cmk": cmk}


def test_not_found_and_malformed(ec2_server):
    ec2 = ec2_server.boto3("ec2")
    assert error_code(ec2.describe_volumes, VolumeIds=[MISSING_VOLUME]) == "InvalidVolume.NotFound"
    assert error_code(ec2.delete_volume, VolumeId=MISSING_VOLUME) == "InvalidVolume.NotFound"
    assert error_code(ec2.describe_snapshots, SnapshotIds=[MISSING_SNAPSHOT]) == "InvalidSnapshot.NotFound"
    assert error_code(ec2.describe_instances, InstanceIds=[MISSING_INSTANCE]) == "InvalidInstanceID.NotFound"
    assert error_code(ec2.run_instances, ImageId=MISSING_IMAGE, MinCount=1, MaxCount=1) == "InvalidAMIID.NotFound"
    assert error_code(ec2.run_instances, ImageId="ami-nothex", MinCount=1, MaxCount=1) == "InvalidAMIID.Malformed"
    assert error_code(ec2.describe_images, ImageIds=[MISSING_IMAGE]) == "InvalidAMIID.NotFound"
    assert cli_error(ec2_server, "ec2", "describe-volumes", "--volume-ids", MISSING_VOLUME) == "InvalidVolume.NotFound"
    elb = ec2_server.boto3("elb")
    assert error_code(elb.describe_load_balancers, LoadBalancerNames=["nope"]) == "LoadBalancerNotFound"
    assert cli_error(ec2_server, "elb", "describe-load-balancers", "--load-balancer-names",
                     "nope") == "LoadBalancerNotFound"


def test_bad_parameters(ec2_server, world):  # with volumes to filter (see report: empty sets skip validation)
    ec2 = ec2_server.boto3("ec2")
    assert error_code(ec2.describe_volumes, Filters=[{"Name": "no-such-filter", "Values": ["x"]}]) \
        == "InvalidParameterValue"
    assert error_code(ec2.create_volume, AvailabilityZone=ZONE, Size=0) == "InvalidParameterValue"
    assert error_code(ec2.create_volume, AvailabilityZone=ZONE, Size=20000, VolumeType="gp2") \
        == "InvalidParameterValue"
    assert error_code(ec2.create_volume, AvailabilityZone="us-east-1z", Size=1) == "InvalidParameterValue"
    assert error_code(ec2.create_volume, AvailabilityZone=ZONE, Size=1, KmsKeyId="alias/aws/ebs") \
        == "InvalidParameterDependency"
    assert cli_error(ec2_server, "ec2", "create-volume", "--availability-zone", ZONE, "--size", "1",
                     "--kms-key-id", "alias/aws/ebs") == "InvalidParameterDependency"
    assert error_code(ec2.create_volume, AvailabilityZone=ZONE, Size=1,
                      TagSpecifications=[{"ResourceType": "volume", "Tags": []}]) == "InvalidParameterValue"
    assert error_code(ec2.describe_volumes, MaxResults=1) == "InvalidParameterValue"


def test_state_errors(ec2_server, world):
    ec2 = ec2_server.boto3("ec2")
    volume = ec2.create_volume(AvailabilityZone=ZONE, Size=1)["VolumeId"]
    wait(ec2, "volume_available", VolumeIds=[volume])
    assert error_code(ec2.detach_volume, VolumeId=volume) == "IncorrectState"
    ec2.attach_volume(VolumeId=volume, InstanceId=world["instance"], Device="/dev/sdg")
    wait(ec2, "volume_in_use", VolumeIds=[volume])
    assert error_code(ec2.delete_volume, VolumeId=volume) == "VolumeInUse"
    other_zone = ec2.create_volume(AvailabilityZone="us-east-1b", Size=1)["VolumeId"]
    wait(ec2, "volume_available", VolumeIds=[other_zone])
    assert error_code(ec2.attach_volume, VolumeId=other_zone, InstanceId=world["instance"], Device="/dev/sdh") \
        == "InvalidVolume.ZoneMismatch"
    # The AMI's snapshot is in use.
    assert error_code(ec2.delete_snapshot, SnapshotId=world["snapshot"]) == "InvalidSnapshot.InUse"
    # A terminated instance cannot be started.
    doomed = run_instance(ec2, world["image"])
    ec2.terminate_instances(InstanceIds=[doomed])
    assert wait_state(ec2, doomed, "terminated")
    assert error_code(ec2.start_instances, InstanceIds=[doomed]) == "IncorrectInstanceState"


def test_sharing_rules(ec2_server, world):
    ec2 = ec2_server.boto3("ec2")
    managed_image, managed_snapshot = make_ami(ec2, "errors-managed", encrypted=True)
    assert error_code(ec2.modify_snapshot_attribute, SnapshotId=managed_snapshot,
                      CreateVolumePermission={"Add": [{"UserId": "444455556666"}]}) == "OperationNotPermitted"
    assert error_code(ec2.modify_image_attribute, ImageId=managed_image, Attribute="launchPermission",
                      OperationType="add", UserIds=["444455556666"]) == "InvalidParameter"
    assert error_code(ec2.modify_image_attribute, ImageId=managed_image,
                      LaunchPermission={"Add": [{"Group": "all"}]}) == "UnsupportedOperation"


def test_dry_run_and_iam(ec2_server, world):
    ec2 = ec2_server.boto3("ec2")
    assert error_code(ec2.create_volume, AvailabilityZone=ZONE, Size=1, DryRun=True) == "DryRunOperation"
    code, _, err = ec2_server.aws("ec2", "describe-volumes", "--dry-run")
    assert code != 0 and "DryRunOperation" in err
    user = create_user(ec2_server, "reader", allow("ec2:Describe*"))
    as_user = ec2_server.boto3("ec2", *user)
    as_user.describe_volumes()
    assert error_code(as_user.create_volume, AvailabilityZone=ZONE, Size=1) == "UnauthorizedOperation"
    assert error_code(as_user.create_volume, AvailabilityZone=ZONE, Size=1, DryRun=True) == "UnauthorizedOperation"
    assert error_code(as_user.describe_volumes, DryRun=True) == "DryRunOperation"
    assert error_code(as_user.terminate_instances, InstanceIds=[world["instance"]]) == "UnauthorizedOperation"


def test_encrypted_volumes_not_supported_by_an_old_instance_type():
    """A catalog from the era when m1.small could not use encrypted volumes."""
    if "KURA_BIN" not in os.environ:
        pytest.skip("KURA_BIN is not set (run through ctest)")
    source = os.path.join(os.path.dirname(__file__), "..", "..", "src", "ec2", "data", "instance-types.json")
    with open(source) as f:
        catalog = json.load(f)
    for entry in catalog["instanceTypes"]:
        if entry["instanceType"] == "m1.small":
            entry["encryptionSupport"] = "unsupported"
    # Write the catalog first, then start the server that reads it.
    directory = tempfile.mkdtemp(prefix="kura-e2e-types-")
    path = os.path.join(directory, "instance-types.json")
    with open(path, "w") as f:
        json.dump(catalog, f)
    server = KuraServer(extra_args=["--ec2-min-transition-ms", "0", "--instance-types", path])
    try:
        ec2 = server.boto3("ec2")
        types = ec2.describe_instance_types(InstanceTypes=["m1.small"])["InstanceTypes"]
        assert types[0]["EbsInfo"]["EncryptionSupport"] == "unsupported"
        image, _ = make_ami(ec2, "old-era")
        old = run_instance(ec2, image, instance_type="m1.small")
        cmk = server.boto3("kms").create_key()["KeyMetadata"]["Arn"]
        volume = ec2.create_volume(AvailabilityZone=ZONE, Size=1, Encrypted=True, KmsKeyId=cmk)["VolumeId"]
        wait(ec2, "volume_available", VolumeIds=[volume])
        assert error_code(ec2.attach_volume, VolumeId=volume, InstanceId=old, Device="/dev/sdf") \
            == "EncryptedVolumesNotSupported"
    finally:
        assert server.stop() == 0, server.server_log()[-4000:]
        server.cleanup()
        shutil.rmtree(directory, ignore_errors=True)
