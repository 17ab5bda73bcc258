"""Seed scenarios 3 and 4.
3: hand an encrypted AMI to account B: a key policy naming B, the snapshot
   shared with B (modify-snapshot-attribute) -> B copies it under B's own key,
   registers an AMI and launches it. The same with alias/aws/ebs fails:
   OperationNotPermitted for the snapshot, InvalidParameter for the AMI.
4: an IAM user with ec2:* but no KMS permission launches from an encrypted AMI:
   the instance ends terminated with StateReason Client.InternalError; with
   the KMS permissions added the launch works."""
import json

from ec2_support import (ZONE, allow, cli_ok, create_account, create_user, error_code, instance, make_ami,
                         run_instance, volumes_of, wait, wait_state)

ACCOUNT_B = "222233334444"


def key_policy(owner, other):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{owner}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "account B uses the key", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other}:root"},
         "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:ReEncrypt*",
                    "kms:GenerateDataKey*"], "Resource": "*"}]})


def test_share_an_encrypted_ami_with_another_account(ec2_server):
    kura = ec2_server
    a = kura.boto3("ec2")
    key_b = create_account(kura, ACCOUNT_B)
    b = kura.boto3("ec2", *key_b)
    cmk_a = kura.boto3("kms").create_key(Policy=key_policy(kura.account_id, ACCOUNT_B))["KeyMetadata"]["Arn"]
    cmk_b = kura.boto3("kms", *key_b).create_key(Description="B's key")["KeyMetadata"]["Arn"]

    image, snapshot = make_ami(a, "encrypted-app", encrypted=True, kms_key_id=cmk_a)
    # Not shared yet: B does not see it (AWS leaves such ids out of the answer).
    assert b.describe_snapshots(SnapshotIds=[snapshot])["Snapshots"] == []
    a.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"UserId": ACCOUNT_B}]})
    cli_ok(kura, "ec2", "modify-snapshot-attribute", "--snapshot-id", snapshot, "--attribute",
           "createVolumePermission", "--operation-type", "add", "--user-ids", ACCOUNT_B)
    permissions = a.describe_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission")
    assert permissions["CreateVolumePermissions"] == [{"UserId": ACCOUNT_B}]
    launch = a.describe_image_attribute(ImageId=image, Attribute="launchPermission")
    assert launch["LaunchPermissions"] == [{"UserId": ACCOUNT_B}]

    # B sees the shared snapshot and AMI, copies the snapshot under its own key and launches.
    shared = b.describe_snapshots(RestorableByUserIds=["self"], SnapshotIds=[snapshot])["Snapshots"]
    assert [s["OwnerId"] for s in shared] == [kura.account_id]
    assert [i["ImageId"] for i in b.describe_images(ExecutableUsers=["self"])["Images"]] == [image]
    copy = b.copy_snapshot(SourceRegion="us-east-1", SourceSnapshotId=snapshot, Encrypted=True,
                           KmsKeyId=cmk_b)["SnapshotId"]
    wait(b, "snapshot_completed", SnapshotIds=[copy])
    copied = b.describe_snapshots(SnapshotIds=[copy])["Snapshots"][0]
    assert copied["OwnerId"] == ACCOUNT_B and copied["KmsKeyId"] == cmk_b
    own_image = b.register_image(Name="from-a", RootDeviceName="/dev/xvda", VirtualizationType="hvm",
                                 BlockDeviceMappings=[{"DeviceName": "/dev/xvda",
                                                       "Ebs": {"SnapshotId": copy}}])["ImageId"]
    wait(b, "image_available", ImageIds=[own_image])
    launched = run_instance(b, own_image)
    volumes = volumes_of(b, launched)
    assert [v["KmsKeyId"] for v in volumes] == [cmk_b]
    assert error_code(a.describe_instances, InstanceIds=[launched]) == "InvalidInstanceID.NotFound"

    # The AWS managed key can never leave its account.
    managed_image, managed_snapshot = make_ami(a, "managed-key-app", encrypted=True)
    managed = a.describe_snapshots(SnapshotIds=[managed_snapshot])["Snapshots"][0]
    assert managed["Encrypted"] is True
    assert error_code(a.modify_snapshot_attribute, SnapshotId=managed_snapshot, Attribute="createVolumePermission",
                      OperationType="add", UserIds=[ACCOUNT_B]) == "OperationNotPermitted"
    assert error_code(a.modify_image_attribute, ImageId=managed_image,
                      LaunchPermission={"Add": [{"UserId": ACCOUNT_B}]}) == "InvalidParameter"
    # Encrypted AMIs are never public.
    assert error_code(a.modify_image_attribute, ImageId=image,
                      LaunchPermission={"Add": [{"Group": "all"}]}) == "UnsupportedOperation"


def test_launch_needs_kms_permissions(ec2_server):
    kura = ec2_server
    ec2 = kura.boto3("ec2")
    cmk = kura.boto3("kms").create_key(Description="launch key")["KeyMetadata"]["Arn"]
    image, _ = make_ami(ec2, "encrypted-for-users", encrypted=True, kms_key_id=cmk)
    iam = kura.boto3("iam")
    user = create_user(kura, "ec2-only", allow("ec2:*"))
    as_user = kura.boto3("ec2", *user)

    failed = run_instance(as_user, image, wait_running=False)
    assert wait_state(as_user, failed, "terminated"), instance(as_user, failed)
    described = instance(as_user, failed)
    assert described["State"]["Name"] == "terminated"
    assert described["StateReason"]["Code"] == "Client.InternalError", described["StateReason"]
    assert described["StateReason"]["Message"] == "Client.InternalError: Client error on launch"

    iam.put_user_policy(UserName="ec2-only", PolicyName="kms", PolicyDocument=json.dumps(
        allow("kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext",
              "kms:ReEncrypt*")))
    launched = run_instance(as_user, image)
    assert instance(as_user, launched)["State"]["Name"] == "running"
    assert [v["KmsKeyId"] for v in volumes_of(as_user, launched)] == [cmk]
