"""`kura audit` against a real `kura serve`: every finding (unencrypted volumes,
snapshots and AMIs, resources under alias/aws/ebs, keys pending deletion or
disabled with the resources that depend on them), encryption by default both
ways, exit codes 1 then 0, JSON and CSV, a caller without permissions (exit 2,
AWS's error code named), the KMS cost through Cost Explorer equal to what
`kura admin cost` and `aws ce get-cost-and-usage` report; and Cost Explorer's
GetCostAndUsage itself with the aws CLI v2."""
import csv
import datetime
import io
import json
import os
import subprocess
import tempfile

from ec2_support import ZONE, allow, create_account, create_user, make_ami, wait

ACCOUNT = "222200000001"


def month_bounds():
    now = datetime.datetime.now(datetime.timezone.utc)
    start = now.replace(day=1)
    end = (start + datetime.timedelta(days=32)).replace(day=1)
    return start.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d"), start.strftime("%Y-%m")


def run_kura(server, *args, keys=None, env=None):
    """Runs `kura ...` with only the given credentials in a clean environment; (code, stdout, stderr)."""
    key_id, secret = keys or (server.access_key_id, server.secret_access_key)
    home = tempfile.mkdtemp(prefix="kura-audit-home-")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    full_env.update({"HOME": home, "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret,
                     "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
                     "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"})
    full_env.update(env or {})
    done = subprocess.run([server.binary, *args], env=full_env, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


def audit(server, output="json", keys=None, env=None):
    code, out, err = run_kura(server, "audit", "--endpoint-url", server.endpoint, "--output", output,
                              keys=keys, env=env)
    if output == "json" and code in (0, 1):
        return code, json.loads(out), err
    return code, out, err


def findings(report):
    return {(f["ResourceType"], f["ResourceId"], f["Finding"]) for f in report["Findings"]}


def clients(server, keys):
    return (server.boto3("ec2", access_key_id=keys[0], secret_access_key=keys[1]),
            server.boto3("kms", access_key_id=keys[0], secret_access_key=keys[1]))


def volume(ec2, **kwargs):
    vid = ec2.create_volume(AvailabilityZone=ZONE, Size=1, **kwargs)["VolumeId"]
    wait(ec2, "volume_available", VolumeIds=[vid])
    return vid


def snapshot(ec2, volume_id):
    sid = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    wait(ec2, "snapshot_completed", SnapshotIds=[sid])
    return sid


def test_every_finding_then_clean(ec2_server):
    server = ec2_server
    keys = create_account(server, ACCOUNT)
    ec2, kms = clients(server, keys)

    # A fresh account: nothing unencrypted, encryption by default off, reported as such.
    code, report, err = audit(server, keys=keys)
    assert code == 0, err
    assert report["AccountId"] == ACCOUNT and report["Region"] == "us-east-1"
    assert report["EncryptionByDefault"]["Enabled"] is False
    assert findings(report) == {("Account", ACCOUNT, "EncryptionByDefaultDisabled")}

    plain = volume(ec2, Encrypted=False)
    plain_snap = snapshot(ec2, plain)
    ami, ami_snap = make_ami(ec2, "plain-root", encrypted=False)
    managed = volume(ec2, Encrypted=True)  # the AWS managed key, alias/aws/ebs
    dying_key = kms.create_key(Description="to be deleted")["KeyMetadata"]["Arn"]
    dying = volume(ec2, Encrypted=True, KmsKeyId=dying_key)
    dying_snap = snapshot(ec2, dying)
    kms.schedule_key_deletion(KeyId=dying_key, PendingWindowInDays=7)
    off_key = kms.create_key(Description="to be disabled")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/off", TargetKeyId=off_key)
    off = volume(ec2, Encrypted=True, KmsKeyId=off_key)
    kms.disable_key(KeyId=off_key)

    code, report, err = audit(server, keys=keys)
    assert code == 1, err
    got = findings(report)
    expected = {
        ("Account", ACCOUNT, "EncryptionByDefaultDisabled"),
        ("Volume", plain, "Unencrypted"),
        ("Snapshot", plain_snap, "Unencrypted"),
        ("Snapshot", ami_snap, "Unencrypted"),
        ("Image", ami, "Unencrypted"),
        ("Volume", managed, "AwsManagedKey"),
        ("Volume", dying, "KeyPendingDeletion"),
        ("Snapshot", dying_snap, "KeyPendingDeletion"),
        ("Volume", off, "KeyDisabled"),
    }
    assert got == expected, got ^ expected
    assert report["Counts"]["Unencrypted"] == 4
    by_id = {f["ResourceId"]: f for f in report["Findings"]}
    assert by_id[dying]["KmsKeyId"] == dying_key
    assert "alias/aws/ebs" in by_id[managed]["Detail"]
    at_risk = {k["KeyArn"]: k for k in report["KeysAtRisk"]}
    assert at_risk[dying_key]["KeyState"] == "PendingDeletion" and "DeletionDate" in at_risk[dying_key]
    assert {r["ResourceId"] for r in at_risk[dying_key]["DependentResources"]} == {dying, dying_snap}
    assert at_risk[off_key]["KeyState"] == "Disabled" and at_risk[off_key]["Aliases"] == ["alias/off"]
    default = report["EncryptionByDefault"]
    assert default["KmsKeyAliases"] == ["alias/aws/ebs"] and default["KeyManager"] == "AWS"
    assert default["KmsKeyArn"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")

    # CSV: the same findings, one row each.
    code, out, err = audit(server, output="csv", keys=keys)
    assert code == 1, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["ResourceType", "ResourceId", "Finding", "KmsKeyId", "Detail"]
    assert {(r[0], r[1], r[2]) for r in rows[1:]} == expected and len(rows) == 1 + len(expected)

    # Text for a terminal.
    code, out, err = audit(server, output="text", keys=keys)
    assert code == 1, err
    assert "Encryption by default: off" in out and plain in out and "Keys at risk:" in out

    # The month's KMS cost, through Cost Explorer, equals the bill kura admin cost computes.
    code, report, err = audit(server, keys=keys)
    cost = report["KmsCost"]
    assert cost["Available"] is True and cost["Unit"] == "USD", cost
    start, end, month = month_bounds()
    assert cost["Month"] == month
    code, out, err = run_kura(server, "admin", "cost", "--data-dir", os.path.join(server.dir, "data"),
                              "--account", ACCOUNT, "--month", month)
    assert code == 0, err
    bill = json.loads(out)
    assert abs(float(cost["Amount"]) - bill["TotalUsd"]) < 1e-6, (cost, bill)
    assert bill["TotalUsd"] > 0  # two customer managed keys this month
    code, ce, err = server.aws("ce", "get-cost-and-usage", "--time-period", f"Start={start},End={end}",
                               "--granularity", "MONTHLY", "--metrics", "UnblendedCost",
                               access_key_id=keys[0], secret_access_key=keys[1])
    assert code == 0, err
    assert ce["ResultsByTime"][0]["Total"]["UnblendedCost"]["Amount"] == cost["Amount"]

    # Everything encrypted, by default too, under a customer managed key: exit 0.
    ec2.deregister_image(ImageId=ami)
    for sid in (plain_snap, ami_snap, dying_snap):
        ec2.delete_snapshot(SnapshotId=sid)
    for vid in (plain, dying, off, managed):
        ec2.delete_volume(VolumeId=vid)
    good_key = kms.create_key(Description="default")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/ebs-default", TargetKeyId=good_key)
    ec2.enable_ebs_encryption_by_default()
    ec2.modify_ebs_default_kms_key_id(KmsKeyId=good_key)
    good = volume(ec2)  # encrypted by default under good_key
    code, report, err = audit(server, keys=keys)
    assert code == 0, err
    assert report["Findings"] == [], report["Findings"]
    assert report["EncryptionByDefault"]["Enabled"] is True
    assert report["EncryptionByDefault"]["KmsKeyArn"] == good_key
    assert report["EncryptionByDefault"]["KmsKeyAliases"] == ["alias/ebs-default"]
    assert report["Counts"]["Volumes"] == 1 and good
    code, out, err = audit(server, output="text", keys=keys)
    assert code == 0 and "Encryption by default: on" in out and "No findings." in out, out + err


def test_callers_without_permissions(ec2_server):
    server = ec2_server
    nobody = create_user(server, "audit-nobody", allow("sts:GetCallerIdentity"))
    code, out, err = audit(server, keys=nobody)
    assert code == 2, (out, err)
    assert "UnauthorizedOperation" in err and "request id" in err, err

    # Everything the inventory needs, but not Cost Explorer: the report goes on and says so.
    reader = create_user(server, "audit-reader", allow("ec2:Describe*", "ec2:GetEbs*", "kms:DescribeKey",
                                                       "kms:ListAliases"))
    code, report, err = audit(server, keys=reader)
    assert code in (0, 1), err
    assert report["KmsCost"]["Available"] is False
    assert report["KmsCost"]["Reason"].startswith("AccessDeniedException")
    code, out, err = audit(server, output="text", keys=reader)
    assert "KMS cost" in out and "not available (AccessDeniedException" in out, out

    # With ce:GetCostAndUsage in its policy, the user sees the account's bill.
    billing = create_user(server, "audit-billing", allow("ec2:Describe*", "ec2:GetEbs*", "kms:DescribeKey",
                                                         "kms:ListAliases", "ce:GetCostAndUsage"))
    code, report, err = audit(server, keys=billing)
    assert code in (0, 1) and report["KmsCost"]["Available"] is True, err

    # No region anywhere: exit 2 saying how to set one.
    code, out, err = run_kura(server, "audit", "--endpoint-url", server.endpoint,
                              env={"AWS_DEFAULT_REGION": ""})
    assert code == 2 and "--region" in err and "AWS_REGION" in err, err
    # Nothing listening: exit 2 after the retries, naming the endpoint.
    code, out, err = run_kura(server, "audit", "--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1")
    assert code == 2 and "127.0.0.1:9" in err, err


def test_cost_explorer_with_the_aws_cli(ec2_server):
    server = ec2_server
    start, end, month = month_bounds()
    code, out, err = server.aws("ce", "get-cost-and-usage", "--time-period", f"Start={start},End={end}",
                                "--granularity", "MONTHLY", "--metrics", "UnblendedCost", "UsageQuantity",
                                "--filter", json.dumps({"Dimensions": {"Key": "SERVICE",
                                                                       "Values": ["AWS Key Management Service"]}}),
                                "--group-by", "Type=DIMENSION,Key=SERVICE")
    assert code == 0, err
    result = out["ResultsByTime"][0]
    assert result["TimePeriod"] == {"Start": start, "End": end} and result["Estimated"] is True
    group = result["Groups"][0]
    assert group["Keys"] == ["AWS Key Management Service"]
    assert group["Metrics"]["UnblendedCost"]["Unit"] == "USD"
    assert float(group["Metrics"]["UsageQuantity"]["Amount"]) > 0  # this module's KMS requests
    assert out["GroupDefinitions"] == [{"Type": "DIMENSION", "Key": "SERVICE"}]

    code, out, err = server.aws("ce", "get-cost-and-usage", "--time-period", f"Start={start},End={end}",
                                "--granularity", "DAILY", "--metrics", "UnblendedCost")
    assert code != 0 and "ValidationException" in err and "MONTHLY" in err, err
    code, out, err = server.aws("ce", "get-cost-and-usage", "--time-period", f"Start={end},End={start}",
                                "--granularity", "MONTHLY", "--metrics", "UnblendedCost")
    assert code != 0 and "ValidationException" in err, err
    denied = create_user(server, "ce-denied", allow("ec2:Describe*"))
    code, out, err = server.aws("ce", "get-cost-and-usage", "--time-period", f"Start={start},End={end}",
                                "--granularity", "MONTHLY", "--metrics", "UnblendedCost",
                                access_key_id=denied[0], secret_access_key=denied[1])
    assert code != 0 and "AccessDeniedException" in err and "ce:GetCostAndUsage" in err, err
