"""POST /_kura/reset: with `kura serve --auth open` it wipes every KMS key,
alias, grant and tag, every IAM user, key and policy (the default account
stays) and every block volume; a verifying server has no such route and answers
with an ordinary AWS error. Clients use dummy credentials, as local test
harnesses do."""
import json
import os
import threading
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from kura_server import KuraServer

OPEN_ACCOUNT = "123456789012"
DUMMY_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
DUMMY_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def error_code(call, *args, **kwargs):
    with pytest.raises(ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"]


def post(endpoint, path, method="POST"):
    """A plain unsigned request; returns (status, content type, body text)."""
    request = urllib.request.Request(endpoint + path, data=b"" if method == "POST" else None, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


@pytest.fixture(scope="module")
def open_server():
    if "KURA_BIN" not in os.environ:
        pytest.skip("KURA_BIN is not set (run through ctest)")
    server = KuraServer(extra_args=["--auth", "open", "--default-account-id", OPEN_ACCOUNT],
                        account_id=OPEN_ACCOUNT)
    yield server
    code = server.stop()
    log = server.server_log() if os.path.exists(server.log_path) else ""
    server.cleanup()
    assert code == 0, f"kura serve exited with {code}:\n{log[-4000:]}"


@pytest.fixture(scope="module")
def kms(open_server):
    return open_server.boto3("kms", access_key_id=DUMMY_KEY_ID, secret_access_key=DUMMY_SECRET)


@pytest.fixture(scope="module")
def iam(open_server):
    return open_server.boto3("iam", access_key_id=DUMMY_KEY_ID, secret_access_key=DUMMY_SECRET)


def reset(server):
    status, content_type, body = post(server.endpoint, "/_kura/reset")
    assert status == 200, body
    assert content_type.startswith("application/json")
    assert json.loads(body) == {"reset": True}


def customer_keys(kms):
    """Key ids listed, without the AWS managed keys AWS (and kura) create lazily."""
    ids = [k["KeyId"] for k in kms.list_keys()["Keys"]]
    return [i for i in ids if kms.describe_key(KeyId=i)["KeyMetadata"]["KeyManager"] == "CUSTOMER"]


def test_reset_wipes_keys_aliases_and_users(open_server, kms, iam):
    key_id = kms.create_key(Description="before the reset")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/e2e-reset", TargetKeyId=key_id)
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "team", "TagValue": "kura"}])
    kms.create_grant(KeyId=key_id, GranteePrincipal=f"arn:aws:iam::{OPEN_ACCOUNT}:user/reset-user",
                     Operations=["Decrypt"])
    ebs_arn = kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["Arn"]
    blob = kms.encrypt(KeyId="alias/e2e-reset", Plaintext=b"gone after the reset")["CiphertextBlob"]
    iam.create_user(UserName="reset-user")
    iam.create_access_key(UserName="reset-user")
    iam.put_user_policy(UserName="reset-user", PolicyName="all",
                        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*",'
                                       '"Resource":"*"}]}')
    code, out, err = open_server.aws("kms", "create-key", "--description", "cli key",
                                     access_key_id=DUMMY_KEY_ID, secret_access_key=DUMMY_SECRET)
    assert code == 0, err
    cli_key = out["KeyMetadata"]["KeyId"]
    assert {key_id, cli_key} <= set(customer_keys(kms))

    reset(open_server)

    # KMS: nothing left but what AWS creates lazily.
    assert customer_keys(kms) == []
    assert "alias/e2e-reset" not in [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    assert error_code(kms.describe_key, KeyId=key_id) == "NotFoundException"
    assert error_code(kms.describe_key, KeyId="alias/e2e-reset") == "NotFoundException"
    assert error_code(kms.decrypt, CiphertextBlob=blob) in ("NotFoundException", "InvalidCiphertextException")
    # IAM: the user and everything it had are gone.
    assert error_code(iam.get_user, UserName="reset-user") == "NoSuchEntity"
    assert iam.list_users()["Users"] == []
    code, out, err = open_server.aws("iam", "list-users",
                                     access_key_id=DUMMY_KEY_ID, secret_access_key=DUMMY_SECRET)
    assert code == 0, err
    assert out["Users"] == []

    # The server still serves, and the same names can be used again.
    again = kms.create_key()["KeyMetadata"]
    assert again["Arn"].startswith(f"arn:aws:kms:us-east-1:{OPEN_ACCOUNT}:key/")
    kms.create_alias(AliasName="alias/e2e-reset", TargetKeyId=again["KeyId"])
    out = kms.decrypt(CiphertextBlob=kms.encrypt(KeyId="alias/e2e-reset", Plaintext=b"after")["CiphertextBlob"])
    assert out["Plaintext"] == b"after"
    assert kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["Arn"] != ebs_arn  # created anew
    assert customer_keys(kms) == [again["KeyId"]]
    iam.create_user(UserName="reset-user")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["reset-user"]
    sts = open_server.boto3("sts", access_key_id=DUMMY_KEY_ID, secret_access_key=DUMMY_SECRET)
    assert sts.get_caller_identity()["Account"] == OPEN_ACCOUNT

    reset(open_server)
    reset(open_server)  # on an empty installation too
    assert customer_keys(kms) == []
    assert iam.list_users()["Users"] == []


def test_only_post_resets(open_server, kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    status, _, body = post(open_server.endpoint, "/_kura/reset", method="GET")
    assert status >= 400 and '"reset"' not in body
    status, _, body = post(open_server.endpoint, "/_kura/reset/more")
    assert status >= 400 and '"reset"' not in body
    assert key_id in customer_keys(kms)
    reset(open_server)
    assert customer_keys(kms) == []


def test_requests_in_flight_do_not_interleave_with_a_reset(open_server):
    failures = []
    stop = threading.Event()

    def work(n):
        client = open_server.boto3("kms", access_key_id=DUMMY_KEY_ID, secret_access_key=DUMMY_SECRET)
        i = 0
        while not stop.is_set() and i < 25:
            i += 1
            try:
                key_id = client.create_key()["KeyMetadata"]["KeyId"]
                blob = client.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
                client.decrypt(CiphertextBlob=blob)
            except ClientError as e:
                # A reset between two calls may remove the key: that is a clean NotFound, never a server fault.
                code = e.response["Error"]["Code"]
                status = e.response["ResponseMetadata"]["HTTPStatusCode"]
                if status >= 500 or code not in ("NotFoundException", "InvalidCiphertextException"):
                    failures.append(f"worker {n}: {code} {status}")
            except Exception as e:  # noqa: BLE001 - any other failure is a test failure
                failures.append(f"worker {n}: {e!r}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    try:
        for _ in range(5):
            reset(open_server)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    assert failures == []
    reset(open_server)
    kms = open_server.boto3("kms", access_key_id=DUMMY_KEY_ID, secret_access_key=DUMMY_SECRET)
    assert customer_keys(kms) == []


def test_a_verifying_server_has_no_reset(kura):
    """`kura` (conftest.py) is a default, verifying server."""
    kms = kura.boto3("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    status, content_type, body = post(kura.endpoint, "/_kura/reset")
    assert 400 <= status < 500
    assert '"reset"' not in body
    # The normal AWS routing answered, with an AWS-style error document.
    assert "xml" in content_type or "json" in content_type
    assert "<Code>" in body or "__type" in body
    assert key_id in [k["KeyId"] for k in kms.list_keys()["Keys"]]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
