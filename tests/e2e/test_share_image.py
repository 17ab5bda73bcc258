"""`kura encrypt share-image` against a real `kura serve` with two accounts,
each with its own profile in a temporary AWS_SHARED_CREDENTIALS_FILE:
- a key policy that lets the target use the key: the target gets its own AMI
  over its own copies, encrypted under its key, launches it and reads the data
  written in the source account; a re-run reuses everything;
- a key policy that does not: exit 1, the exact statement to add on stdout,
  nothing shared; --update-key-policy --yes adds it and the share goes through;
- an AMI under alias/aws/ebs: refused with the reason, nothing shared;
- a --target-profile of another account: exit 2, named, nothing shared;
- a run killed by SIGKILL right after its copy started: the re-run reuses
  that copy and registers once;
- --target-region: the copies and the AMI land in the target's other region."""
import json
import os
import signal
import subprocess
import tempfile

import pytest

from ec2_support import (create_account, make_ami, read_volume, run_instance, volumes_of, wait, wait_state,
                         write_volume)

TARGET = "222233334444"
OTHER = "333344445555"
DATA = b"kura share-image: bytes written in the source account\n" * 100


def key_policy(owner, other):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{owner}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "target uses the key", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other}:root"},
         "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncrypt*", "kms:GenerateDataKey*"], "Resource": "*"},
        {"Sid": "target attaches", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other}:root"},
         "Action": "kms:CreateGrant", "Resource": "*",
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}]})


class Accounts:
    """The source (the server's bootstrap account), the target and a third
    account, with a shared-credentials file holding a profile for each."""

    def __init__(self, server):
        self.server = server
        self.source_keys = (server.access_key_id, server.secret_access_key)
        self.target_keys = create_account(server, TARGET)
        self.other_keys = create_account(server, OTHER)
        self.home = tempfile.mkdtemp(prefix="kura-share-home-")
        self.credentials = os.path.join(self.home, "credentials")
        with open(self.credentials, "w") as f:
            for name, (key_id, secret) in (("source", self.source_keys), ("target", self.target_keys),
                                           ("other", self.other_keys)):
                f.write(f"[{name}]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")
        self.a = server.boto3("ec2")
        self.a_kms = server.boto3("kms")
        self.b = server.boto3("ec2", *self.target_keys)
        self.b_kms = server.boto3("kms", *self.target_keys)

    def command(self, image_id, extra, profile="target"):
        """share-image's command line and a clean environment holding only the credentials file."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"HOME": self.home, "AWS_SHARED_CREDENTIALS_FILE": self.credentials,
                    "AWS_CONFIG_FILE": "/dev/null", "AWS_DEFAULT_REGION": "us-east-1"})
        return [self.server.binary, "encrypt", "share-image", "--endpoint-url", self.server.endpoint,
                "--profile", "source", "--image-id", image_id, "--target-account-id", TARGET,
                "--target-profile", profile, *extra], env

    def share(self, image_id, *extra, profile="target"):
        """Runs share-image; (exit code, stdout, stderr)."""
        args, env = self.command(image_id, extra, profile)
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        return done.returncode, done.stdout, done.stderr

    def share_killed_after(self, image_id, line_start, *extra):
        """Starts share-image and SIGKILLs it as soon as a stderr line starts with `line_start`."""
        args, env = self.command(image_id, extra)
        process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seen = []
        for line in process.stderr:
            seen.append(line)
            if line.startswith(line_start):
                process.send_signal(signal.SIGKILL)
                break
        process.wait(timeout=60)
        process.stderr.close()
        assert process.returncode == -signal.SIGKILL, "".join(seen)
        return "".join(seen)

    def shared_with(self, snapshot_id):
        attribute = self.a.describe_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission")
        return [p.get("UserId") for p in attribute["CreateVolumePermissions"]]

    def target_owns(self):
        """The target's own snapshots and images (ids)."""
        snapshots = {s["SnapshotId"] for s in self.b.describe_snapshots(OwnerIds=["self"])["Snapshots"]}
        images = {i["ImageId"] for i in self.b.describe_images(Owners=["self"])["Images"]}
        return snapshots, images


@pytest.fixture(scope="module")
def accounts(ec2_server):
    return Accounts(ec2_server)


def image_with_data(server, accounts, key, name):
    """An AMI of the source account whose root snapshot holds DATA (written
    through a running instance), plus an empty gp3 data disk kept on termination."""
    a = accounts.a
    base_image, data_snapshot = make_ami(a, f"{name}-base", encrypted=True, kms_key_id=key)
    instance = run_instance(a, base_image)
    root = volumes_of(a, instance)[0]["VolumeId"]
    write_volume(server, instance, root, 0, DATA)
    root_snapshot = a.create_snapshot(VolumeId=root)["SnapshotId"]
    wait(a, "snapshot_completed", SnapshotIds=[root_snapshot])
    a.terminate_instances(InstanceIds=[instance])
    image = a.register_image(Name=name, RootDeviceName="/dev/xvda", VirtualizationType="hvm", Architecture="x86_64",
                             EnaSupport=True, BlockDeviceMappings=[
                                 {"DeviceName": "/dev/xvda",
                                  "Ebs": {"SnapshotId": root_snapshot, "DeleteOnTermination": True}},
                                 {"DeviceName": "/dev/sdf",
                                  "Ebs": {"SnapshotId": data_snapshot, "DeleteOnTermination": False,
                                          "VolumeType": "gp3", "VolumeSize": 2}}])["ImageId"]
    wait(a, "image_available", ImageIds=[image])
    return image, [root_snapshot, data_snapshot]


def test_share_under_a_key_the_target_may_use(ec2_server, accounts):
    server = ec2_server
    key_a = accounts.a_kms.create_key(Policy=key_policy(server.account_id, TARGET))["KeyMetadata"]["Arn"]
    key_b = accounts.b_kms.create_key(Description="target's key")["KeyMetadata"]["Arn"]
    image, snapshots = image_with_data(server, accounts, key_a, "shared-app")

    code, out, err = accounts.share(image, "--target-kms-key-id", key_b, "--output", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["Result"] == "Shared" and result["TargetAccountId"] == TARGET
    assert result["SourceAccountId"] == server.account_id and result["LaunchPermissionShared"] is False
    assert [s["SourceSnapshotId"] for s in result["Snapshots"]] == snapshots
    assert all(not s["Reused"] for s in result["Snapshots"])
    # Conditions the tool cannot decide are said, not guessed.
    assert "kms:GrantIsForAWSResource" in err
    for snapshot in snapshots:
        assert accounts.shared_with(snapshot) == [TARGET]
    # The source AMI itself stays private: the target has an AMI of its own.
    launch = accounts.a.describe_image_attribute(ImageId=image, Attribute="launchPermission")
    assert launch["LaunchPermissions"] == []

    new_image = accounts.b.describe_images(ImageIds=[result["ImageId"]])["Images"][0]
    assert new_image["OwnerId"] == TARGET and new_image["Name"] == "shared-app"
    assert new_image["RootDeviceName"] == "/dev/xvda" and new_image["Architecture"] == "x86_64"
    assert new_image["VirtualizationType"] == "hvm" and new_image["EnaSupport"] is True
    mappings = {m["DeviceName"]: m["Ebs"] for m in new_image["BlockDeviceMappings"]}
    assert set(mappings) == {"/dev/xvda", "/dev/sdf"}
    assert mappings["/dev/xvda"]["DeleteOnTermination"] is True
    assert mappings["/dev/sdf"]["DeleteOnTermination"] is False
    assert mappings["/dev/sdf"]["VolumeType"] == "gp3" and mappings["/dev/sdf"]["VolumeSize"] == 2
    copies = [mappings["/dev/xvda"]["SnapshotId"], mappings["/dev/sdf"]["SnapshotId"]]
    assert copies == [s["SnapshotId"] for s in result["Snapshots"]]
    for copy in accounts.b.describe_snapshots(SnapshotIds=copies)["Snapshots"]:
        assert copy["OwnerId"] == TARGET and copy["Encrypted"] is True and copy["KmsKeyId"] == key_b
        assert copy["State"] == "completed"

    # The target launches its AMI and reads what the source wrote.
    instance = run_instance(accounts.b, result["ImageId"])
    volumes = {v["Attachments"][0]["Device"]: v for v in volumes_of(accounts.b, instance)}
    assert {v["KmsKeyId"] for v in volumes.values()} == {key_b}
    root = volumes["/dev/xvda"]["VolumeId"]
    assert read_volume(server, instance, root, 0, len(DATA), keys=accounts.target_keys) == DATA
    accounts.b.terminate_instances(InstanceIds=[instance])
    wait_state(accounts.b, instance, "terminated")

    # Run again (as after an interruption): the same copies and image, nothing new.
    owned_before = accounts.target_owns()
    code, out, err = accounts.share(image, "--target-kms-key-id", key_b)
    assert code == 0, err
    assert out.startswith(f"{result['ImageId']} \"shared-app\" in account {TARGET}"), out
    assert out.count("(reused)") == 3, out
    assert accounts.target_owns() == owned_before


def test_a_key_policy_without_the_target_is_refused_with_the_statement(ec2_server, accounts):
    server = ec2_server
    key = accounts.a_kms.create_key(Description="owner only")["KeyMetadata"]["Arn"]
    image, snapshot = make_ami(accounts.a, "owner-only-key", encrypted=True, kms_key_id=key)
    owned_before = accounts.target_owns()

    code, out, err = accounts.share(image)
    assert code == 1, err
    assert json.loads(out) == {
        "Sid": f"AllowAccount{TARGET}ToCopySharedSnapshots",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{TARGET}:root"},
        "Action": ["kms:DescribeKey", "kms:CreateGrant", "kms:Decrypt", "kms:ReEncrypt*",
                   "kms:GenerateDataKeyWithoutPlaintext"],
        "Resource": "*"}
    assert f"the policy of {key} does not let account {TARGET} use it" in err
    assert "nothing was shared" in err
    assert accounts.shared_with(snapshot) == []
    assert accounts.target_owns() == owned_before

    # In JSON, the same statement in a machine-readable refusal.
    code, out, err = accounts.share(image, "--output", "json")
    assert code == 1
    refusal = json.loads(out)
    assert refusal["Result"] == "Refused" and refusal["KeyPolicyStatements"][0]["KeyArn"] == key

    # --update-key-policy needs --yes off a terminal; with it the statement is added and the share goes through.
    code, out, err = accounts.share(image, "--update-key-policy")
    assert code == 1 and "needs --yes" in err
    assert accounts.shared_with(snapshot) == []
    code, out, err = accounts.share(image, "--update-key-policy", "--yes", "--share-launch-permission",
                                    "--name", "owner-only-key-copy")
    assert code == 0, err
    policy = json.loads(accounts.a_kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    assert policy["Statement"][-1]["Sid"] == f"AllowAccount{TARGET}ToCopySharedSnapshots"
    assert accounts.shared_with(snapshot) == [TARGET]
    launch = accounts.a.describe_image_attribute(ImageId=image, Attribute="launchPermission")
    assert launch["LaunchPermissions"] == [{"UserId": TARGET}]
    names = [i["Name"] for i in accounts.b.describe_images(Owners=["self"])["Images"]]
    assert "owner-only-key-copy" in names


def test_the_aws_managed_key_is_refused_with_the_reason(ec2_server, accounts):
    server = ec2_server
    image, snapshot = make_ami(accounts.a, "managed-key-app", encrypted=True)  # alias/aws/ebs
    owned_before = accounts.target_owns()
    code, out, err = accounts.share(image)
    assert code == 1, err
    assert f"{snapshot} is encrypted under the AWS managed key alias/aws/ebs" in err
    assert "AWS never lets a snapshot under an AWS managed key be shared" in err
    assert f"aws ec2 copy-image --source-region us-east-1 --source-image-id {image}" in err
    assert "nothing was shared" in err
    assert accounts.shared_with(snapshot) == []
    assert accounts.target_owns() == owned_before


def test_a_target_profile_of_another_account_is_a_configuration_error(ec2_server, accounts):
    server = ec2_server
    key = accounts.a_kms.create_key(Policy=key_policy(server.account_id, TARGET))["KeyMetadata"]["Arn"]
    image, snapshot = make_ami(accounts.a, "wrong-profile-app", encrypted=True, kms_key_id=key)
    code, out, err = accounts.share(image, profile="other")
    assert code == 2, err
    assert f"--target-profile other is account {OTHER}" in err and f"not --target-account-id {TARGET}" in err
    assert accounts.shared_with(snapshot) == []
    code, out, err = accounts.share(image, profile="missing")
    assert code == 2 and "--target-profile missing" in err
    # AWS's own errors come through with their code and message.
    code, out, err = accounts.share("ami-00000000000000000")
    assert code == 1 and "InvalidAMIID" in err, err


def test_a_run_killed_after_the_copy_started_resumes_without_duplicates(ec2_server, accounts):
    server = ec2_server
    key_a = accounts.a_kms.create_key(Policy=key_policy(server.account_id, TARGET))["KeyMetadata"]["Arn"]
    image, snapshot = make_ami(accounts.a, "interrupted-app", encrypted=True, kms_key_id=key_a)
    owned_before = accounts.target_owns()
    seen = accounts.share_killed_after(image, "copying snap-")
    started = seen.splitlines()[-1].split()[-1]  # "copying snap-src as snap-copy"
    owned_killed = accounts.target_owns()
    assert owned_killed[0] - owned_before[0] == {started}
    assert owned_killed[1] == owned_before[1]  # killed before RegisterImage

    code, out, err = accounts.share(image, "--output", "json")
    assert code == 0, err
    result = json.loads(out)
    assert [(s["SnapshotId"], s["Reused"]) for s in result["Snapshots"]] == [(started, True)]
    assert result["ImageReused"] is False
    owned_after = accounts.target_owns()
    assert owned_after[0] == owned_killed[0]
    assert owned_after[1] - owned_before[1] == {result["ImageId"]}


def test_into_another_region_of_the_target(ec2_server, accounts):
    server = ec2_server
    key_a = accounts.a_kms.create_key(Policy=key_policy(server.account_id, TARGET))["KeyMetadata"]["Arn"]
    image, snapshot = make_ami(accounts.a, "regional-app", encrypted=True, kms_key_id=key_a)
    b_tokyo = server.boto3("ec2", *accounts.target_keys, region="ap-northeast-1")
    key_b = server.boto3("kms", *accounts.target_keys, region="ap-northeast-1").create_key()["KeyMetadata"]["Arn"]
    code, out, err = accounts.share(image, "--target-region", "ap-northeast-1", "--target-kms-key-id", key_b,
                                    "--output", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["Region"] == "ap-northeast-1"
    copy = b_tokyo.describe_snapshots(SnapshotIds=[result["Snapshots"][0]["SnapshotId"]])["Snapshots"][0]
    assert copy["OwnerId"] == TARGET and copy["KmsKeyId"] == key_b
    assert b_tokyo.describe_images(ImageIds=[result["ImageId"]])["Images"][0]["Name"] == "regional-app"
