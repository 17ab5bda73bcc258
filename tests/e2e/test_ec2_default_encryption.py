"""Seed scenario 5: EBS encryption by default. With it on, new volumes, snapshot
copies and launches are encrypted with the default key: alias/aws/ebs until
modify-ebs-default-kms-key-id names a CMK, again after the reset."""
from ec2_support import ZONE, cli_ok, make_ami, run_instance, volumes_of, wait


def test_encryption_by_default(ec2_server):
    kura = ec2_server
    ec2 = kura.boto3("ec2")
    kms = kura.boto3("kms")
    image, plain_snapshot = make_ami(ec2, "plain")  # made before encryption by default is on
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    assert cli_ok(kura, "ec2", "enable-ebs-encryption-by-default")["EbsEncryptionByDefault"] is True
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    assert cli_ok(kura, "ec2", "get-ebs-default-kms-key-id")["KmsKeyId"] == "alias/aws/ebs"

    # The AWS managed key.
    volume = ec2.create_volume(AvailabilityZone=ZONE, Size=1)
    assert volume["Encrypted"] is True
    wait(ec2, "volume_available", VolumeIds=[volume["VolumeId"]])
    described = ec2.describe_volumes(VolumeIds=[volume["VolumeId"]])["Volumes"][0]
    aws_ebs = kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["Arn"]
    assert described["KmsKeyId"] == aws_ebs

    # A customer managed default key.
    cmk = kms.create_key(Description="default ebs key")["KeyMetadata"]
    out = cli_ok(kura, "ec2", "modify-ebs-default-kms-key-id", "--kms-key-id", cmk["KeyId"])
    assert out["KmsKeyId"] == cmk["Arn"]
    assert ec2.get_ebs_default_kms_key_id()["KmsKeyId"] == cmk["Arn"]
    volume = ec2.create_volume(AvailabilityZone=ZONE, Size=1)
    assert volume["Encrypted"] is True and volume["KmsKeyId"] == cmk["Arn"]
    copy = ec2.copy_snapshot(SourceRegion="us-east-1", SourceSnapshotId=plain_snapshot)["SnapshotId"]
    wait(ec2, "snapshot_completed", SnapshotIds=[copy])
    snapshot = ec2.describe_snapshots(SnapshotIds=[copy])["Snapshots"][0]
    assert snapshot["Encrypted"] is True and snapshot["KmsKeyId"] == cmk["Arn"]
    instance = run_instance(ec2, image)
    root = volumes_of(ec2, instance)
    assert len(root) == 1 and root[0]["Encrypted"] is True and root[0]["KmsKeyId"] == cmk["Arn"]

    # Reset: the AWS managed key again, as its ARN.
    assert cli_ok(kura, "ec2", "reset-ebs-default-kms-key-id")["KmsKeyId"] == aws_ebs
    volume = ec2.create_volume(AvailabilityZone=ZONE, Size=1)
    assert volume["Encrypted"] is True and volume["KmsKeyId"] == aws_ebs
    assert ec2.disable_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    assert ec2.create_volume(AvailabilityZone=ZONE, Size=1)["Encrypted"] is False
