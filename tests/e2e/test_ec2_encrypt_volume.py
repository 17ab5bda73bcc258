"""Seed scenario 1: encrypt an existing volume by snapshot copy, with the real
aws CLI v2 and boto3 against kura serve. An unencrypted data volume of a
running instance gets known bytes (admin WriteVolume) -> snapshot ->
copy-snapshot --encrypted --kms-key-id <CMK> -> create-volume from the copy ->
stop, detach the old volume, attach the new one at the same device, start.
The instance's volume is then encrypted with the CMK and holds the same bytes,
and once the plaintext volume and snapshot are deleted no file under the data
directory contains the bytes."""
import os

from ec2_support import (ZONE, cli_ok, make_ami, read_volume, run_instance, volumes_of, wait, wait_for,
                         write_volume)

MARKER = b"<kura ec2 e2e marker: this text must never be on disk in clear>\n"
assert len(MARKER) == 64
DATA = MARKER * (1 << 14)  # 1 MiB, two chunks
OFFSET = 3 * 524288 - 4096  # across a chunk boundary


def files_containing(root, needle):
    found = []
    for directory, _, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            try:
                with open(path, "rb") as f:
                    if needle in f.read():
                        found.append(os.path.relpath(path, root))
            except OSError:
                pass  # removed while scanning
    return found


def test_encrypt_a_volume_by_snapshot_copy(ec2_server):
    kura = ec2_server
    ec2 = kura.boto3("ec2")
    kms = kura.boto3("kms")
    cmk = kms.create_key(Description="volume key")["KeyMetadata"]["Arn"]
    image, _ = make_ami(ec2, "base")
    instance = run_instance(ec2, image)

    old = ec2.create_volume(AvailabilityZone=ZONE, Size=1)["VolumeId"]
    wait(ec2, "volume_available", VolumeIds=[old])
    cli_ok(kura, "ec2", "wait", "volume-available", "--volume-ids", old)
    ec2.attach_volume(VolumeId=old, InstanceId=instance, Device="/dev/sdf")
    wait(ec2, "volume_in_use", VolumeIds=[old])
    # in-use comes with the attachment still "attaching"; the instance sees the device once it is "attached".
    assert wait_for(lambda: ec2.describe_volumes(VolumeIds=[old])["Volumes"][0]["Attachments"][0]["State"] == "attached")
    write_volume(kura, instance, old, OFFSET, DATA)
    assert read_volume(kura, instance, old, OFFSET, len(DATA)) == DATA

    # Snapshot, then an encrypted copy under the CMK (the CLI, as an operator would).
    snap = cli_ok(kura, "ec2", "create-snapshot", "--volume-id", old, "--description", "plain")
    assert snap["State"] == "pending" and snap["Encrypted"] is False
    wait(ec2, "snapshot_completed", SnapshotIds=[snap["SnapshotId"]])
    cli_ok(kura, "ec2", "wait", "snapshot-completed", "--snapshot-ids", snap["SnapshotId"])
    copy = cli_ok(kura, "ec2", "copy-snapshot", "--source-region", "us-east-1", "--source-snapshot-id",
                  snap["SnapshotId"], "--encrypted", "--kms-key-id", cmk, "--description", "encrypted copy")
    wait(ec2, "snapshot_completed", SnapshotIds=[copy["SnapshotId"]])
    described = ec2.describe_snapshots(SnapshotIds=[copy["SnapshotId"]])["Snapshots"][0]
    assert described["Encrypted"] is True and described["KmsKeyId"] == cmk
    assert described["Progress"] == "100%"

    new = cli_ok(kura, "ec2", "create-volume", "--availability-zone", ZONE, "--snapshot-id", copy["SnapshotId"],
                 "--volume-type", "gp3")
    assert new["Encrypted"] is True and new["KmsKeyId"] == cmk
    wait(ec2, "volume_available", VolumeIds=[new["VolumeId"]])

    # Swap the volumes while the instance is stopped.
    ec2.stop_instances(InstanceIds=[instance])
    wait(ec2, "instance_stopped", InstanceIds=[instance])
    cli_ok(kura, "ec2", "wait", "instance-stopped", "--instance-ids", instance)
    ec2.detach_volume(VolumeId=old, InstanceId=instance)
    wait(ec2, "volume_available", VolumeIds=[old])
    attached = ec2.attach_volume(VolumeId=new["VolumeId"], InstanceId=instance, Device="/dev/sdf")
    assert attached["Device"] == "/dev/sdf"
    ec2.start_instances(InstanceIds=[instance])
    wait(ec2, "instance_running", InstanceIds=[instance])
    cli_ok(kura, "ec2", "wait", "instance-running", "--instance-ids", instance)

    by_device = {v["Attachments"][0]["Device"]: v for v in volumes_of(ec2, instance)}
    assert by_device["/dev/sdf"]["VolumeId"] == new["VolumeId"]
    assert by_device["/dev/sdf"]["Encrypted"] is True and by_device["/dev/sdf"]["KmsKeyId"] == cmk
    assert read_volume(kura, instance, new["VolumeId"], OFFSET, len(DATA)) == DATA

    # With the plaintext volume and snapshot gone, the bytes are nowhere on disk in clear.
    data_dir = os.path.join(kura.dir, "data")
    assert files_containing(data_dir, MARKER), "the scan must see the plaintext while it exists"
    ec2.delete_volume(VolumeId=old)
    ec2.delete_snapshot(SnapshotId=snap["SnapshotId"])
    leftovers = wait_for(lambda: not files_containing(data_dir, MARKER), timeout=20)
    assert leftovers, f"plaintext still on disk: {files_containing(data_dir, MARKER)}"
    assert read_volume(kura, instance, new["VolumeId"], OFFSET, len(DATA)) == DATA
