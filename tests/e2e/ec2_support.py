"""Helpers for the EC2 end-to-end tests: the kura admin API (signed like the
aws CLI, service name "kura"), volume bytes through ReadVolume/WriteVolume,
accounts and IAM users, fast boto3 waiters, and the small AMI every scenario
starts from (a snapshot of a fresh volume, registered as an image)."""
import base64
import json
import time
import urllib.error
import urllib.request

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

FAST = {"Delay": 1, "MaxAttempts": 60}
ZONE = "us-east-1a"


def error_code(call, *args, **kwargs):
    with pytest.raises(ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"]


def wait(client, waiter, **kwargs):
    client.get_waiter(waiter).wait(WaiterConfig=FAST, **kwargs)


def admin(server, action, body, keys=None):
    """POST /_kura/admin/<action>; returns (HTTP status, JSON body)."""
    key_id, secret = keys or (server.access_key_id, server.secret_access_key)
    url = f"{server.endpoint}/_kura/admin/{action}"
    data = json.dumps(body)
    request = AWSRequest(method="POST", url=url, data=data, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(key_id, secret), "kura", "us-east-1").add_auth(request)
    http = urllib.request.Request(url, data=data.encode(), headers=dict(request.headers.items()), method="POST")
    try:
        with urllib.request.urlopen(http, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def write_volume(server, instance_id, volume_id, offset, data, keys=None):
    status, out = admin(server, "WriteVolume", {"InstanceId": instance_id, "VolumeId": volume_id, "Offset": offset,
                                                "Data": base64.b64encode(data).decode(), "Flush": True}, keys)
    assert status == 200, out
    return out


def read_volume(server, instance_id, volume_id, offset, length, keys=None):
    status, out = admin(server, "ReadVolume", {"InstanceId": instance_id, "VolumeId": volume_id, "Offset": offset,
                                               "Length": length}, keys)
    assert status == 200, out
    return base64.b64decode(out["Data"])


def create_account(server, account_id):
    status, out = admin(server, "CreateAccount", {"AccountId": account_id, "Name": f"acct-{account_id}"})
    assert status == 200, out
    return out["AccessKeyId"], out["SecretAccessKey"]


def create_user(server, name, policy):
    """An IAM user of the server's account with an inline policy; its (key id, secret)."""
    iam = server.boto3("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def allow(*actions):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}


def make_ami(ec2, name, size=1, encrypted=None, kms_key_id=None, volume_type=None):
    """An AMI backed by one snapshot of a fresh volume: (image id, snapshot id)."""
    args = {"AvailabilityZone": ZONE, "Size": size}
    if encrypted is not None:
        args["Encrypted"] = encrypted
    if kms_key_id:
        args["KmsKeyId"] = kms_key_id
    volume = ec2.create_volume(**args)["VolumeId"]
    wait(ec2, "volume_available", VolumeIds=[volume])
    snapshot = ec2.create_snapshot(VolumeId=volume, Description=f"root of {name}")["SnapshotId"]
    wait(ec2, "snapshot_completed", SnapshotIds=[snapshot])
    ec2.delete_volume(VolumeId=volume)
    image = ec2.register_image(Name=name, RootDeviceName="/dev/xvda", VirtualizationType="hvm",
                               Architecture="x86_64",
                               BlockDeviceMappings=[{"DeviceName": "/dev/xvda",
                                                     "Ebs": dict({"SnapshotId": snapshot, "DeleteOnTermination": True},
                                                                 **({"VolumeType": volume_type} if volume_type else {}))}])
    wait(ec2, "image_available", ImageIds=[image["ImageId"]])
    return image["ImageId"], snapshot


def run_instance(ec2, image_id, instance_type="t3.micro", wait_running=True, **kwargs):
    out = ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1, InstanceType=instance_type,
                            Placement={"AvailabilityZone": ZONE}, **kwargs)
    instance = out["Instances"][0]["InstanceId"]
    if wait_running:
        wait(ec2, "instance_running", InstanceIds=[instance])
    return instance


def instance(ec2, instance_id):
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def wait_state(ec2, instance_id, state, timeout=60):
    """Polls DescribeInstances until the instance is in `state` (boto3's waiters
    give up on some intermediate states, e.g. instance_terminated on pending)."""
    return wait_for(lambda: instance(ec2, instance_id)["State"]["Name"] == state, timeout=timeout)


def volumes_of(ec2, instance_id):
    return ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])["Volumes"]


def wait_for(predicate, timeout=30, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def cli_ok(server, *args, **kwargs):
    code, out, err = server.aws(*args, **kwargs)
    assert code == 0, f"aws {' '.join(args)} failed: {err}"
    return out


def cli_error(server, *args, **kwargs):
    """The error code of a failing aws CLI call (parsed from its stderr)."""
    code, out, err = server.aws(*args, **kwargs)
    assert code != 0, f"aws {' '.join(args)} succeeded: {out}"
    start = err.find("(")
    return err[start + 1:err.find(")", start)] if start >= 0 else err
