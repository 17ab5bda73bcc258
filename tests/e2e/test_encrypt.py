"""`kura encrypt` against a real `kura serve`: an instance with an unencrypted
boot volume and an unencrypted gp3 data volume (custom IOPS, throughput and
tags) holding known data written through the block device, an Elastic IP and
a classic load balancer. --method snapshot encrypts both in place (data read
back, settings, tags, DeleteOnTermination and the instance id kept, content
verified through NBD); --method image launches an encrypted replacement that
gets the Elastic IP and the load balancer membership; runs killed with
SIGKILL at several steps (KURA_ENCRYPT_TEST_CRASH) resume and finish without
creating anything twice; rollback returns the original state; cleanup
deletes what was kept; a user missing kms:CreateGrant is stopped by `plan`
before anything changes, with the permission named. Also the server's
ModifyInstanceAttribute (DeleteOnTermination), which the swap relies on."""
import fcntl
import json
import os
import signal
import subprocess
import tempfile
from types import SimpleNamespace

from ec2_support import (ZONE, allow, create_user, error_code, instance, make_ami, read_volume, run_instance, wait,
                         wait_for)
from nbd_support import connect, export_of

MIB = 1 << 20
BOOT_DATA = b"kura boot sector " * 241
DATA_AT = {0: b"first block of the data volume " * 100, 300 * MIB: os.urandom(64 * 1024)}
DATA_TAGS = {"Name": "db-data", "team": "storage"}


def run_encrypt(server, *args, keys=None, env=None, journal_dir=None):
    """`kura encrypt ARGS` with only the given credentials; (code, stdout, stderr)."""
    key_id, secret = keys or (server.access_key_id, server.secret_access_key)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("KURA_ENCRYPT")}
    full_env.update({"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_DEFAULT_REGION": "us-east-1",
                     "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                     "HOME": tempfile.gettempdir()})
    full_env.update(env or {})
    command = [server.binary, "encrypt", *args, "--endpoint-url", server.endpoint]
    if journal_dir:
        command += ["--journal-dir", journal_dir]
    done = subprocess.run(command, env=full_env, capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout, done.stderr


def write_through_nbd(server, instance_id, volume_id, pieces):
    """Writes {offset: bytes} through the volume's NBD export, as the instance would, and flushes."""
    h = connect(export_of(server, instance_id, volume_id)["Uri"])
    try:
        for offset, chunk in pieces.items():
            h.pwrite(chunk, offset)
        h.flush()
    finally:
        h.shutdown()


def customer_key(server):
    return server.boto3("kms").create_key(Description="encrypt tests")["KeyMetadata"]["Arn"]


def tags_of(item):
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


def setup_instance(server, name, load_balancer=None, address=False):
    """A running instance: boot /dev/xvda (DeleteOnTermination true) and a gp3 data volume at /dev/sdf
    (DeleteOnTermination false, 4000 IOPS, 250 MiB/s, tags), both unencrypted, both holding known data."""
    ec2 = server.boto3("ec2")
    image, _ = make_ami(ec2, f"{name}-{os.urandom(3).hex()}", encrypted=False)
    iid = run_instance(ec2, image)
    data = ec2.create_volume(AvailabilityZone=ZONE, Size=8, VolumeType="gp3", Iops=4000, Throughput=250,
                             Encrypted=False,
                             TagSpecifications=[{"ResourceType": "volume",
                                                 "Tags": [{"Key": k, "Value": v} for k, v in DATA_TAGS.items()]}])
    data = data["VolumeId"]
    wait(ec2, "volume_available", VolumeIds=[data])
    ec2.attach_volume(VolumeId=data, InstanceId=iid, Device="/dev/sdf")
    assert wait_for(lambda: volume(ec2, data)["Attachments"][0]["State"] == "attached")
    boot = devices(ec2, iid)["/dev/xvda"]["VolumeId"]
    write_through_nbd(server, iid, boot, {0: BOOT_DATA})
    write_through_nbd(server, iid, data, DATA_AT)
    if load_balancer:
        elb = server.boto3("elb")
        elb.create_load_balancer(LoadBalancerName=load_balancer, AvailabilityZones=[ZONE],
                                 Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}])
        elb.register_instances_with_load_balancer(LoadBalancerName=load_balancer, Instances=[{"InstanceId": iid}])
    allocation = None
    if address:  # an account has 5 Elastic IPs: only the scenarios that move one get one
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        ec2.associate_address(AllocationId=allocation, InstanceId=iid)
    return iid, boot, data, allocation


def scenario(server, name, load_balancer=None, address=False):
    """setup_instance, a customer managed key and a journal directory of its own."""
    iid, boot, data, allocation = setup_instance(server, name, load_balancer, address)
    return SimpleNamespace(ec2=server.boto3("ec2"), iid=iid, boot=boot, data=data, allocation=allocation,
                           key=customer_key(server), journal=tempfile.mkdtemp(prefix="kura-encrypt-journal-"))


def encrypt(server, s, command, *args, env=None):
    """`kura encrypt COMMAND` on the scenario's instance, key and journal."""
    if command in ("run", "plan"):
        args = ("--kms-key-id", s.key) + args
    return run_encrypt(server, command, "--instance-ids", s.iid, *args, env=env, journal_dir=s.journal)


def audit_lines(server):
    with open(os.path.join(server.dir, "data", "audit.log")) as f:
        return f.readlines()


def kms_requests_since(server, start, key):
    """KMS calls on `key` in kura's audit log after line `start`: {operation: count}."""
    counts = {}
    for line in audit_lines(server)[start:]:
        event = json.loads(line)
        if event.get("keyArn") == key:
            counts[event["operation"]] = counts.get(event["operation"], 0) + 1
    return counts


def estimated_requests(plan):
    """What `plan --output json` says the run will ask KMS: {operation: count}."""
    counts = dict(plan["KmsRequests"]["PermissionCheck"])
    for per_volume in plan["KmsRequests"]["PerVolume"].values():
        for operation, n in per_volume.items():
            counts[operation] = counts.get(operation, 0) + n
    return counts


def assert_kms_estimate_holds(server, s, *run_args):
    """Plans, runs, and holds the plan's KMS request counts to kura's audit log of the run."""
    code, out, err = encrypt(server, s, "plan", "--output", "json", *run_args)
    assert code == 0, err
    plan = json.loads(out)
    start = len(audit_lines(server))
    code, out, err = encrypt(server, s, "run", "--yes", "--output", "json", *run_args)
    assert code == 0, err
    assert kms_requests_since(server, start, s.key) == estimated_requests(plan)
    assert plan["KmsRequests"]["Total"] == sum(estimated_requests(plan).values())
    return json.loads(out)


def devices(ec2, iid):
    return {m["DeviceName"]: m["Ebs"] for m in instance(ec2, iid)["BlockDeviceMappings"]}


def volume(ec2, vid):
    return ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]


def assert_data(server, iid, boot, data):
    assert read_volume(server, iid, boot, 0, len(BOOT_DATA)) == BOOT_DATA
    for offset, chunk in DATA_AT.items():
        assert read_volume(server, iid, data, offset, len(chunk)) == chunk


def assert_encrypted_in_place(server, iid, old_boot, old_data, key):
    """The instance runs with new encrypted volumes at the same devices, same settings, same data."""
    ec2 = server.boto3("ec2")
    assert instance(ec2, iid)["State"]["Name"] == "running"
    now = devices(ec2, iid)
    boot, data = now["/dev/xvda"]["VolumeId"], now["/dev/sdf"]["VolumeId"]
    assert boot != old_boot and data != old_data
    assert now["/dev/xvda"]["DeleteOnTermination"] is True
    assert now["/dev/sdf"]["DeleteOnTermination"] is False
    new_data, was_data = volume(ec2, data), volume(ec2, old_data)
    for v in (volume(ec2, boot), new_data):
        assert v["Encrypted"] is True and v["KmsKeyId"] == key
    for field in ("VolumeType", "Size", "Iops", "Throughput", "AvailabilityZone"):
        assert new_data[field] == was_data[field], field
    assert new_data["Iops"] == 4000 and new_data["Throughput"] == 250
    assert tags_of(new_data) == DATA_TAGS
    assert_data(server, iid, boot, data)
    return boot, data


def test_plan_stops_a_user_missing_a_kms_permission_before_anything_changes(ec2_server):
    server = ec2_server
    ec2 = server.boto3("ec2")
    iid, boot, data, _ = setup_instance(server, "plan")
    key = customer_key(server)
    keys = create_user(server, "no-grant", allow("ec2:*", "elasticloadbalancing:*", "kms:DescribeKey",
                                                 "kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt",
                                                 "kms:ReEncrypt*"))
    snapshots_before = len(ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"])
    volumes_before = len(ec2.describe_volumes()["Volumes"])
    journal_dir = tempfile.mkdtemp(prefix="kura-encrypt-journal-")

    code, out, err = run_encrypt(server, "plan", "--instance-ids", iid, "--kms-key-id", key, keys=keys,
                                 journal_dir=journal_dir)
    assert code == 1, (out, err)
    assert "missing permissions: kms:CreateGrant" in out, out
    assert "kms:CreateGrant" in err
    # The plan itself: steps, downtime, KMS requests and their price.
    assert "StopInstance" in out and "instance-stopped" in out and "CopySnapshot " + data in out
    assert "$0.03 per 10,000 requests" in out
    # `run` refuses as well, and nothing changed.
    code, out, err = run_encrypt(server, "run", "--instance-ids", iid, "--kms-key-id", key, "--yes", keys=keys,
                                 journal_dir=journal_dir)
    assert code == 1 and "kms:CreateGrant" in out, (out, err)
    assert len(ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]) == snapshots_before
    assert len(ec2.describe_volumes()["Volumes"]) == volumes_before
    assert devices(ec2, iid)["/dev/sdf"]["VolumeId"] == data
    assert instance(ec2, iid)["State"]["Name"] == "running"
    assert [f for f in os.listdir(journal_dir) if f.endswith(".json")] == []  # no run began

    # With the permission, the JSON plan is clean; alias/aws/ebs draws the sharing warning.
    # The instance chosen by tag this time.
    ec2.create_tags(Resources=[iid], Tags=[{"Key": "encrypt-plan", "Value": "yes"}])
    code, out, err = run_encrypt(server, "plan", "--filters", "Name=tag:encrypt-plan,Values=yes", "--output", "json",
                                 journal_dir=journal_dir)
    assert code == 0, err
    plan = json.loads(out)
    assert [i["instance_id"] for i in plan["Plan"]["instances"]] == [iid]
    assert plan["MissingPermissions"] == []
    assert plan["Key"]["KeyManager"] == "AWS"
    assert any("can never be shared" in w for w in plan["Warnings"])
    assert plan["KmsRequests"]["PerVolume"][data]["CreateGrant"] >= 1
    assert plan["KmsRequests"]["EstimatedCostUsd"] == plan["KmsRequests"]["Total"] * 0.03 / 10000


def test_snapshot_method_encrypts_in_place_then_cleanup(ec2_server):
    server = ec2_server
    s = scenario(server, "snap", address=True)
    ec2, iid, boot, data, allocation, key = s.ec2, s.iid, s.boot, s.data, s.allocation, s.key

    # Every KMS request the run makes is one the plan announced.
    record = assert_kms_estimate_holds(server, s)
    assert record["Run"]["state"] == "completed"
    verdicts = {v["volume_id"]: v["verification"] for v in record["Run"]["instances"][0]["volumes"]}
    assert verdicts == {boot: "match", data: "match"}, verdicts
    new_boot, new_data = assert_encrypted_in_place(server, iid, boot, data, key)
    assert ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]["InstanceId"] == iid
    # The old volumes and the snapshots stay until cleanup.
    assert volume(ec2, data)["State"] == "available"
    kept = [v["source_snapshot_id"] for v in record["Run"]["instances"][0]["volumes"]]
    kept += [v["encrypted_snapshot_id"] for v in record["Run"]["instances"][0]["volumes"]]
    assert len(ec2.describe_snapshots(SnapshotIds=kept)["Snapshots"]) == 4

    code, out, err = encrypt(server, s, "cleanup", "--yes")
    assert code == 0, err
    assert not ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [boot, data]}])["Volumes"]
    assert not ec2.describe_snapshots(Filters=[{"Name": "snapshot-id", "Values": kept}])["Snapshots"]
    assert_data(server, iid, new_boot, new_data)


def test_runs_killed_at_several_steps_resume_and_create_nothing_twice(ec2_server):
    server = ec2_server
    s = scenario(server, "crash")
    ec2, iid, boot, data, key = s.ec2, s.iid, s.boot, s.data, s.key
    # Steps: 1-3 boot snapshot/copy/volume, 4-6 data, 7-8 checksums, 9 stop, 10-12 boot swap
    # (detach, attach, DeleteOnTermination), 13-14 data swap, 15 start, 16-17 verify.
    for crash in ("2:created", "6:created", "11:started", "14:done"):
        code, out, err = encrypt(server, s, "run", "--yes", env={"KURA_ENCRYPT_TEST_CRASH": crash})
        assert code == -signal.SIGKILL, (crash, code, out, err)
    # While another process holds the journal, nobody else works on it.
    journal_path = os.path.join(s.journal, f"us-east-1-{iid}.json")
    with open(journal_path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        code, out, err = encrypt(server, s, "resume")
        assert code == 2 and "another kura encrypt" in err, (code, err)
    # resume without naming the instances: the region's only unfinished run.
    code, out, err = run_encrypt(server, "resume", "--output", "json", journal_dir=s.journal)
    assert code == 0, err
    run = json.loads(out)["Run"]
    assert run["state"] == "completed"
    assert {v["verification"] for v in run["instances"][0]["volumes"]} == {"match"}
    assert_encrypted_in_place(server, iid, boot, data, key)
    # Exactly one snapshot and one copy per volume, one new volume per volume.
    tagged = ec2.describe_snapshots(OwnerIds=["self"], Filters=[{"Name": "tag-key", "Values": ["kura-encrypt-token"]}])
    mine = [s for s in tagged["Snapshots"] if s.get("VolumeId") in (boot, data) or
            s["SnapshotId"] in [v["encrypted_snapshot_id"] for v in run["instances"][0]["volumes"]]]
    assert len(mine) == 4, mine
    encrypted = [v for v in ec2.describe_volumes()["Volumes"]
                 if v["Encrypted"] and v.get("KmsKeyId") == key]
    assert len(encrypted) == 2, encrypted


def test_rollback_returns_the_original_volumes_and_state(ec2_server):
    server = ec2_server
    s = scenario(server, "rollback")
    ec2, iid, boot, data = s.ec2, s.iid, s.boot, s.data
    # Killed with the boot volume swapped, the data volume detached and the instance stopped.
    code, out, err = encrypt(server, s, "run", "--yes", env={"KURA_ENCRYPT_TEST_CRASH": "14:started"})
    assert code == -signal.SIGKILL, (code, out, err)
    assert instance(ec2, iid)["State"]["Name"] == "stopped"

    code, out, err = encrypt(server, s, "rollback", "--yes", "--output", "json")
    assert code == 0, err
    run = json.loads(out)["Run"]
    assert run["state"] == "rolled-back"
    assert instance(ec2, iid)["State"]["Name"] == "running"
    now = devices(ec2, iid)
    assert now["/dev/xvda"]["VolumeId"] == boot and now["/dev/xvda"]["DeleteOnTermination"] is True
    assert now["/dev/sdf"]["VolumeId"] == data and now["/dev/sdf"]["DeleteOnTermination"] is False
    assert volume(ec2, data)["Encrypted"] is False
    assert_data(server, iid, boot, data)
    # A rolled-back run is not resumed; cleanup deletes what it created.
    code, out, err = encrypt(server, s, "run", "--yes")
    assert code == 2 and "rolled back" in err, (out, err)
    created = [v["new_volume_id"] for v in run["instances"][0]["volumes"] if v["new_volume_id"]]
    assert created
    code, out, err = encrypt(server, s, "cleanup", "--yes")
    assert code == 0, err
    assert not ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": created}])["Volumes"]
    assert_data(server, iid, boot, data)


def test_image_method_moves_the_elastic_ip_and_the_load_balancer(ec2_server):
    server = ec2_server
    s = scenario(server, "image", load_balancer="web-lb", address=True)
    ec2, elb, iid, allocation, key = s.ec2, server.boto3("elb"), s.iid, s.allocation, s.key

    run = assert_kms_estimate_holds(server, s, "--method", "image", "--no-reboot")["Run"]["instances"][0]
    new = run["replacement_instance_id"]
    assert new and new != iid
    assert {v["verification"] for v in run["volumes"]} == {"match"}, run["volumes"]
    assert ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]["InstanceId"] == new
    members = elb.describe_load_balancers(LoadBalancerNames=["web-lb"])["LoadBalancerDescriptions"][0]["Instances"]
    assert [m["InstanceId"] for m in members] == [new]
    replacement = instance(ec2, new)
    assert replacement["InstanceType"] == instance(ec2, iid)["InstanceType"]
    assert replacement["Placement"]["AvailabilityZone"] == ZONE
    now = devices(ec2, new)
    assert set(now) == {"/dev/xvda", "/dev/sdf"}
    assert now["/dev/xvda"]["DeleteOnTermination"] is True and now["/dev/sdf"]["DeleteOnTermination"] is False
    new_data = volume(ec2, now["/dev/sdf"]["VolumeId"])
    assert new_data["Encrypted"] is True and new_data["KmsKeyId"] == key
    assert tags_of(new_data) == DATA_TAGS
    assert new_data["Iops"] == 4000 and new_data["Throughput"] == 250
    assert_data(server, new, now["/dev/xvda"]["VolumeId"], now["/dev/sdf"]["VolumeId"])
    # The old instance keeps running: it was not asked to stop.
    assert instance(ec2, iid)["State"]["Name"] == "running"


def test_image_method_rollback_moves_traffic_back_and_terminates_the_replacement(ec2_server):
    server = ec2_server
    s = scenario(server, "image-rollback", load_balancer="api-lb", address=True)
    ec2, elb = s.ec2, server.boto3("elb")
    # Steps: 1 CreateImage, 2 CopyImage, 3 LaunchReplacement, 4 TagReplacementVolumes, 5 MoveElasticIps,
    # 6 MoveLoadBalancers, 7-8 Verify. Killed once as RunInstances answered (its ClientToken must
    # bring back the same replacement), then right after the Elastic IP moved.
    for crash in ("3:created", "5:done"):
        code, out, err = encrypt(server, s, "run", "--method", "image", "--no-reboot", "--yes",
                                 env={"KURA_ENCRYPT_TEST_CRASH": crash})
        assert code == -signal.SIGKILL, (crash, code, out, err)
    with open(os.path.join(s.journal, f"us-east-1-{s.iid}.json")) as f:
        journal = json.load(f)
    new = journal["instances"][0]["replacement_instance_id"]
    launched = ec2.describe_instances(Filters=[{"Name": "image-id",
                                                "Values": [journal["instances"][0]["encrypted_image_id"]]}])
    assert [i["InstanceId"] for r in launched["Reservations"] for i in r["Instances"]] == [new]
    assert ec2.describe_addresses(AllocationIds=[s.allocation])["Addresses"][0]["InstanceId"] == new

    code, out, err = encrypt(server, s, "rollback", "--yes")
    assert code == 0, (err, s.iid, new)
    assert ec2.describe_addresses(AllocationIds=[s.allocation])["Addresses"][0]["InstanceId"] == s.iid
    members = elb.describe_load_balancers(LoadBalancerNames=["api-lb"])["LoadBalancerDescriptions"][0]["Instances"]
    assert [m["InstanceId"] for m in members] == [s.iid]
    assert wait_for(lambda: instance(ec2, new)["State"]["Name"] == "terminated", timeout=60)
    assert instance(ec2, s.iid)["State"]["Name"] == "running"
    assert_data(server, s.iid, s.boot, s.data)
    # cleanup deregisters both images the run made.
    images = [journal["instances"][0]["plain_image_id"], journal["instances"][0]["encrypted_image_id"]]
    code, out, err = encrypt(server, s, "cleanup", "--yes")
    assert code == 0, (out, err)
    assert not ec2.describe_images(Filters=[{"Name": "image-id", "Values": images}])["Images"]


def test_modify_instance_attribute_delete_on_termination_with_boto3(ec2_server):
    """The server operation kura encrypt relies on, as boto3 sends it."""
    ec2 = ec2_server.boto3("ec2")
    image, _ = make_ami(ec2, f"dot-{os.urandom(3).hex()}")
    iid = run_instance(ec2, image)
    mapping = [{"DeviceName": "/dev/xvda", "Ebs": {"DeleteOnTermination": False}}]
    assert error_code(ec2.modify_instance_attribute, InstanceId=iid, BlockDeviceMappings=mapping,
                      DryRun=True) == "DryRunOperation"
    assert devices(ec2, iid)["/dev/xvda"]["DeleteOnTermination"] is True
    ec2.modify_instance_attribute(InstanceId=iid, BlockDeviceMappings=mapping)
    assert devices(ec2, iid)["/dev/xvda"]["DeleteOnTermination"] is False
    root = devices(ec2, iid)["/dev/xvda"]["VolumeId"]
    assert volume(ec2, root)["Attachments"][0]["DeleteOnTermination"] is False
    assert error_code(ec2.modify_instance_attribute, InstanceId=iid,
                      InstanceType={"Value": "t3.large"}) == "UnsupportedOperation"
    ec2.terminate_instances(InstanceIds=[iid])
    wait(ec2, "instance_terminated", InstanceIds=[iid])
    assert volume(ec2, root)["State"] == "available"  # kept, as the flag now says


def test_a_stopped_instance_stays_stopped_and_its_copies_are_verified(ec2_server):
    server = ec2_server
    s = scenario(server, "stopped")
    s.ec2.stop_instances(InstanceIds=[s.iid])
    wait(s.ec2, "instance_stopped", InstanceIds=[s.iid])
    record = assert_kms_estimate_holds(server, s)
    run = record["Run"]["instances"][0]
    # No NBD export while stopped: the encrypted copies are checked against the snapshots instead.
    assert {v["verification"] for v in run["volumes"]} == {"match"}, run["volumes"]
    assert "StopInstance" not in [step["kind"] for step in run["steps"]]
    assert instance(s.ec2, s.iid)["State"]["Name"] == "stopped"
    s.ec2.start_instances(InstanceIds=[s.iid])
    wait(s.ec2, "instance_running", InstanceIds=[s.iid])
    assert_encrypted_in_place(server, s.iid, s.boot, s.data, s.key)


def test_a_tag_filter_encrypts_a_fleet_in_one_journal(ec2_server):
    server = ec2_server
    ec2 = server.boto3("ec2")
    fleet = [setup_instance(server, f"fleet{n}") for n in range(2)]
    ec2.create_tags(Resources=[iid for iid, *_ in fleet], Tags=[{"Key": "fleet", "Value": "db"}])
    key = customer_key(server)
    journal_dir = tempfile.mkdtemp(prefix="kura-encrypt-journal-")
    code, out, err = run_encrypt(server, "run", "--filters", "Name=tag:fleet,Values=db", "--kms-key-id", key, "--yes",
                                 "--output", "json", journal_dir=journal_dir)
    assert code == 0, err
    run = json.loads(out)["Run"]
    assert sorted(i["instance_id"] for i in run["instances"]) == sorted(iid for iid, *_ in fleet)
    assert len([f for f in os.listdir(journal_dir) if f.endswith(".json")]) == 1
    for iid, boot, data, _ in fleet:
        assert_encrypted_in_place(server, iid, boot, data, key)
