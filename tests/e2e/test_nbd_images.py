"""Disk images in and out: `kura admin import-image` (raw or qcow2 through
qemu-img) makes a snapshot that RegisterImage turns into an AMI an instance
boots from, and `kura admin export-snapshot` writes a snapshot back out to a
file, for its owner only. The bytes cross the NBD server, so they land
encrypted."""
import json
import os
import subprocess

from ec2_support import create_account, run_instance, wait
from nbd_support import export_of, kura_admin, run

MARK = b"KURA-IMAGE-PLAINTEXT-MARK-"


def image_bytes():
    return os.urandom(2 << 20) + b"\0" * (1 << 20) + MARK * 4096 + os.urandom(12345)


def test_a_qcow2_image_becomes_an_encrypted_snapshot_an_ami_and_a_root_volume(ec2_server, tmp_path):
    kms, ec2 = ec2_server.boto3("kms"), ec2_server.boto3("ec2")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    data = image_bytes()
    (tmp_path / "disk.raw").write_bytes(data)
    run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(tmp_path / "disk.raw"), str(tmp_path / "disk.qcow2"))
    volumes_before = {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]}

    out = json.loads(kura_admin(ec2_server, "import-image", str(tmp_path / "disk.qcow2"), "--kms-key-id", key,
                                "--description", "imported").stdout)
    snapshot = ec2.describe_snapshots(SnapshotIds=[out["SnapshotId"]])["Snapshots"][0]
    assert snapshot["State"] == "completed" and snapshot["Encrypted"] and snapshot["KmsKeyId"] == key
    assert snapshot["Description"] == "imported" and snapshot["VolumeSize"] == 1
    # The staging volume is gone; only ciphertext is on disk.
    assert {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]} == volumes_before
    grep = subprocess.run(["grep", "-rlF", MARK.decode(), os.path.join(ec2_server.dir, "data")], capture_output=True)
    assert grep.stdout == b"", grep.stdout

    image = ec2.register_image(Name="imported", RootDeviceName="/dev/xvda", VirtualizationType="hvm",
                               BlockDeviceMappings=[{"DeviceName": "/dev/xvda",
                                                     "Ebs": {"SnapshotId": out["SnapshotId"]}}])["ImageId"]
    wait(ec2, "image_available", ImageIds=[image])
    instance = run_instance(ec2, image)
    root = ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0][
        "BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    uri = export_of(ec2_server, instance, root)["Uri"]
    run("nbdcopy", uri, str(tmp_path / "root.raw"))
    booted = (tmp_path / "root.raw").read_bytes()
    assert booted[:len(data)] == data
    assert booted[len(data):] == b"\0" * (len(booted) - len(data))


def test_export_snapshot_writes_the_snapshot_to_raw_and_qcow2(ec2_server, tmp_path):
    ec2 = ec2_server.boto3("ec2")
    data = image_bytes()
    (tmp_path / "disk.raw").write_bytes(data)
    snapshot_id = json.loads(kura_admin(ec2_server, "import-image", str(tmp_path / "disk.raw"), "--format", "raw",
                                        "--encrypted").stdout)["SnapshotId"]
    assert ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]["Encrypted"]
    volumes_before = {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]}

    out = json.loads(kura_admin(ec2_server, "export-snapshot", "--snapshot-id", snapshot_id,
                                "--output", str(tmp_path / "out.raw")).stdout)
    assert out["SizeBytes"] == 1 << 30
    exported = (tmp_path / "out.raw").read_bytes()
    assert len(exported) == 1 << 30 and exported[:len(data)] == data and not exported[len(data):].strip(b"\0")

    kura_admin(ec2_server, "export-snapshot", "--snapshot-id", snapshot_id, "--output", str(tmp_path / "out.qcow2"),
               "--format", "qcow2")
    compared = run("qemu-img", "compare", "-f", "qcow2", "-F", "raw", str(tmp_path / "out.qcow2"),
                   str(tmp_path / "out.raw"))
    assert b"identical" in compared.stdout
    assert {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]} == volumes_before


def test_only_the_owner_exports_and_bad_input_fails_cleanly(ec2_server, tmp_path):
    ec2 = ec2_server.boto3("ec2")
    (tmp_path / "disk.raw").write_bytes(os.urandom(1 << 20))
    snapshot_id = json.loads(kura_admin(ec2_server, "import-image", str(tmp_path / "disk.raw")).stdout)["SnapshotId"]
    other = create_account(ec2_server, "222233334444")
    refused = kura_admin(ec2_server, "export-snapshot", "--snapshot-id", snapshot_id, "--output",
                         str(tmp_path / "x.raw"), keys=other, check=False)
    assert refused.returncode != 0 and "NotFound (HTTP 404)" in refused.stderr
    missing = kura_admin(ec2_server, "export-snapshot", "--snapshot-id", "snap-0000000000000000f", "--output",
                         str(tmp_path / "y.raw"), check=False)
    assert missing.returncode != 0 and "NotFound (HTTP 404)" in missing.stderr
    not_an_image = kura_admin(ec2_server, "import-image", str(tmp_path / "nonexistent.img"), check=False)
    assert not_an_image.returncode != 0 and "qemu-img" in not_an_image.stderr
    assert not os.path.exists(tmp_path / "x.raw")
    assert all(v["State"] != "creating" for v in ec2.describe_volumes()["Volumes"])
