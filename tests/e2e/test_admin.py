"""`kura admin` against a real `kura serve`: accounts and access keys through the
admin API (authenticated like the aws CLI), cross-account KMS with the real aws
CLI and boto3, the audit trail and the bill. The tests run in file order and
share one server; the last one stops it (the meter is flushed on SIGTERM)."""
import base64
import datetime
import json
import os
import subprocess
import tempfile

import pytest
from botocore.exceptions import ClientError

from kura_server import KuraServer

ACCOUNT_A = "111111111111"  # the bootstrap account: the operator
ACCOUNT_B = "222222222222"
PLAINTEXT = b"cross-account plaintext 7f3a9c"


def error_code(call, *args, **kwargs):
    with pytest.raises(ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def server():
    if "KURA_BIN" not in os.environ:
        pytest.skip("KURA_BIN is not set (run through ctest)")
    s = KuraServer(account_id=ACCOUNT_A)
    s.home = tempfile.mkdtemp(prefix="kura-e2e-home-", dir=s.dir)
    s.state = {}
    yield s
    code = s.stop()
    log = s.server_log() if os.path.exists(s.log_path) else ""
    s.cleanup()
    assert code == 0, f"kura serve exited with {code}:\n{log[-4000:]}"


def kura(server, *args, env=None):
    """Runs `kura admin ...` with a clean AWS environment plus `env`; returns (code, JSON or text, stderr)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    full_env["HOME"] = server.home  # no ~/.aws of the machine
    full_env.update(env or {})
    done = subprocess.run([server.binary, "admin", *args], env=full_env, capture_output=True, text=True, timeout=60)
    out = done.stdout
    try:
        out = json.loads(done.stdout) if done.stdout.strip().startswith("{") else done.stdout
    except ValueError:
        pass
    return done.returncode, out, done.stderr


def as_keys(key_id, secret):
    return {"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret}


def test_create_account_with_the_bootstrap_credentials(server):
    # The credentials file kura serve wrote on first start, as an operator would use it.
    code, out, err = kura(server, "create-account", "--endpoint-url", server.endpoint, "--account-id", ACCOUNT_B,
                          "--name", "team-b", env={"AWS_SHARED_CREDENTIALS_FILE": server.credentials_path})
    assert code == 0, err
    assert out["AccountId"] == ACCOUNT_B
    assert out["AccessKeyId"] and out["SecretAccessKey"]
    server.state["b_root"] = (out["AccessKeyId"], out["SecretAccessKey"])

    code, ident, err = server.aws("sts", "get-caller-identity", access_key_id=out["AccessKeyId"],
                                  secret_access_key=out["SecretAccessKey"])
    assert code == 0, err
    assert ident["Account"] == ACCOUNT_B
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT_B}:root"

    # A random id when none is given; an existing id is refused.
    code, out, err = kura(server, "create-account", "--endpoint-url", server.endpoint,
                          env=as_keys(server.access_key_id, server.secret_access_key))
    assert code == 0, err
    assert len(out["AccountId"]) == 12 and out["AccountId"] not in (ACCOUNT_A, ACCOUNT_B)
    code, out, err = kura(server, "create-account", "--endpoint-url", server.endpoint, "--account-id", ACCOUNT_B,
                          env=as_keys(server.access_key_id, server.secret_access_key))
    assert code == 1 and "EntityAlreadyExists" in err


def test_create_access_key_with_a_chosen_id(server):
    key_id, secret = "AKIAB0CHOSEN00000001", "chosen/Secret+Key0000000000000000000000"
    code, out, err = kura(server, "create-access-key", "--endpoint-url", server.endpoint, "--account-id", ACCOUNT_B,
                          "--access-key-id", key_id, "--secret-access-key", secret,
                          env=as_keys(server.access_key_id, server.secret_access_key))
    assert code == 0, err
    assert out == {"AccountId": ACCOUNT_B, "AccessKeyId": key_id, "SecretAccessKey": secret}
    code, ident, err = server.aws("sts", "get-caller-identity", access_key_id=key_id, secret_access_key=secret)
    assert code == 0, err
    assert ident["Account"] == ACCOUNT_B


def test_an_account_root_creates_keys_only_in_its_own_account(server):
    b_key, b_secret = server.state["b_root"]
    iam_b = server.boto3("iam", b_key, b_secret)
    iam_b.create_user(UserName="ops")
    # B's root, through a named profile of a shared credentials file.
    creds = os.path.join(server.home, "b-credentials")
    with open(creds, "w") as f:
        f.write(f"[default]\naws_access_key_id = AKIAWRONG0000000\naws_secret_access_key = wrong\n\n"
                f"[team-b]\naws_access_key_id = {b_key}\naws_secret_access_key = {b_secret}\n")
    env = {"AWS_SHARED_CREDENTIALS_FILE": creds}
    code, out, err = kura(server, "create-access-key", "--endpoint-url", server.endpoint, "--profile", "team-b",
                          "--account-id", ACCOUNT_B, "--user-name", "ops", env=env)
    assert code == 0, err
    assert out["AccountId"] == ACCOUNT_B and out["UserName"] == "ops"
    code, ident, err = server.aws("sts", "get-caller-identity", access_key_id=out["AccessKeyId"],
                                  secret_access_key=out["SecretAccessKey"])
    assert code == 0, err
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT_B}:user/ops"
    # AWS_PROFILE selects the profile too.
    code, out, err = kura(server, "create-access-key", "--endpoint-url", server.endpoint, "--account-id", ACCOUNT_A,
                          env={**env, "AWS_PROFILE": "team-b"})
    assert code == 1 and "AccessDenied" in err, err
    code, out, err = kura(server, "create-account", "--endpoint-url", server.endpoint, "--profile", "team-b", env=env)
    assert code == 1 and "AccessDenied" in err, err
    # The wrong key of the default profile is not known.
    code, out, err = kura(server, "create-access-key", "--endpoint-url", server.endpoint, "--account-id", ACCOUNT_B,
                          env=env)
    assert code == 1 and "InvalidClientTokenId" in err, err


def test_an_iam_user_is_refused(server):
    iam_a = server.boto3("iam")
    iam_a.create_user(UserName="admin-wannabe")
    iam_a.put_user_policy(UserName="admin-wannabe", PolicyName="everything", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    creds = iam_a.create_access_key(UserName="admin-wannabe")["AccessKey"]
    env = as_keys(creds["AccessKeyId"], creds["SecretAccessKey"])
    code, out, err = kura(server, "create-account", "--endpoint-url", server.endpoint, env=env)
    assert code == 1 and "AccessDenied" in err, err
    code, out, err = kura(server, "create-access-key", "--endpoint-url", server.endpoint, "--account-id", ACCOUNT_A,
                          env=env)
    assert code == 1 and "AccessDenied" in err, err
    assert "user/admin-wannabe" in err


def test_cross_account_kms(server):
    kms_a = server.boto3("kms")
    b_key, b_secret = server.state["b_root"]
    iam_b = server.boto3("iam", b_key, b_secret)

    shared_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_A}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "AccountB", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"], "Resource": "*"}]}
    shared = kms_a.create_key(Description="shared with B", Policy=json.dumps(shared_policy))["KeyMetadata"]
    private = kms_a.create_key(Description="A only")["KeyMetadata"]
    ebs_a = kms_a.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    assert ebs_a["KeyManager"] == "AWS"
    server.state.update(shared=shared, private=private)

    # B's users: one whose IAM policy allows KMS on any key, one without.
    iam_b.create_user(UserName="kms-user")
    iam_b.put_user_policy(UserName="kms-user", PolicyName="kms", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
            "kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "kms:CreateGrant"],
            "Resource": "*"}]}))
    allowed_creds = iam_b.create_access_key(UserName="kms-user")["AccessKey"]
    iam_b.create_user(UserName="no-kms")
    iam_b.put_user_policy(UserName="no-kms", PolicyName="iam-read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]}))
    denied_creds = iam_b.create_access_key(UserName="no-kms")["AccessKey"]
    allowed = server.boto3("kms", allowed_creds["AccessKeyId"], allowed_creds["SecretAccessKey"])
    no_kms = server.boto3("kms", denied_creds["AccessKeyId"], denied_creds["SecretAccessKey"])
    root_b = server.boto3("kms", b_key, b_secret)

    # 1. Key policy names B and B's IAM policy allows: works, by key ARN.
    blob = allowed.encrypt(KeyId=shared["Arn"], Plaintext=PLAINTEXT, EncryptionContext={"team": "b"})
    assert blob["KeyId"] == shared["Arn"]
    out = allowed.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"team": "b"})
    assert out["Plaintext"] == PLAINTEXT and out["KeyId"] == shared["Arn"]
    assert allowed.describe_key(KeyId=shared["Arn"])["KeyMetadata"]["KeyId"] == shared["KeyId"]
    # With the aws CLI as well.
    code, cli_out, err = server.aws("kms", "encrypt", "--key-id", shared["Arn"], "--plaintext",
                                    base64.b64encode(PLAINTEXT).decode(),
                                    access_key_id=allowed_creds["AccessKeyId"],
                                    secret_access_key=allowed_creds["SecretAccessKey"])
    assert code == 0, err
    assert cli_out["KeyId"] == shared["Arn"]
    # A bare key id resolves in the caller's own account.
    assert error_code(allowed.encrypt, KeyId=shared["KeyId"], Plaintext=b"x") == "NotFoundException"

    # 2. Key policy names B but the user's IAM policy does not allow KMS: denied.
    assert error_code(no_kms.encrypt, KeyId=shared["Arn"], Plaintext=PLAINTEXT) == "AccessDeniedException"
    assert error_code(no_kms.decrypt, CiphertextBlob=blob["CiphertextBlob"],
                      EncryptionContext={"team": "b"}) == "AccessDeniedException"

    # 3. The user's IAM policy allows but the key policy does not name B: denied.
    assert error_code(allowed.encrypt, KeyId=private["Arn"], Plaintext=PLAINTEXT) == "AccessDeniedException"
    assert error_code(root_b.encrypt, KeyId=private["Arn"], Plaintext=PLAINTEXT) == "AccessDeniedException"
    private_blob = kms_a.encrypt(KeyId=private["KeyId"], Plaintext=PLAINTEXT)["CiphertextBlob"]
    assert error_code(allowed.decrypt, CiphertextBlob=private_blob) == "AccessDeniedException"

    # Nobody in B can use A's AWS managed key alias/aws/ebs, whatever B's policies say.
    for who in (allowed, root_b, no_kms):
        assert error_code(who.encrypt, KeyId=ebs_a["Arn"], Plaintext=PLAINTEXT) == "AccessDeniedException"
        assert error_code(who.generate_data_key, KeyId=ebs_a["Arn"], KeySpec="AES_256") == "AccessDeniedException"
        with pytest.raises(ClientError):
            who.encrypt(KeyId=f"arn:aws:kms:us-east-1:{ACCOUNT_A}:alias/aws/ebs", Plaintext=PLAINTEXT)
    # alias/aws/ebs named by B is B's own AWS managed key, never A's.
    assert allowed.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["Arn"].split(":")[4] == ACCOUNT_B
    server.state["b_calls_ok"] = 4


def test_audit_shows_the_calls_and_no_plaintext(server):
    data_dir = os.path.join(server.dir, "data")
    shared = server.state["shared"]
    code, out, err = kura(server, "audit", "--data-dir", data_dir, "--account", ACCOUNT_B)
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    b_on_shared = [r for r in lines if r["account"] == ACCOUNT_B and r.get("keyArn") == shared["Arn"]]
    assert {(r["operation"], r["result"]) for r in b_on_shared} >= {
        ("Encrypt", "Ok"), ("Decrypt", "Ok"), ("DescribeKey", "Ok"), ("Encrypt", "AccessDenied")}
    assert any(r["principal"] == f"arn:aws:iam::{ACCOUNT_B}:user/kms-user" for r in b_on_shared)
    assert any(r["principal"] == f"arn:aws:iam::{ACCOUNT_B}:user/no-kms" and r["result"] == "AccessDenied"
               for r in b_on_shared)
    assert any(r.get("encryptionContextKeys") == ["team"] for r in b_on_shared)
    # --account A also lists B's calls on A's keys (and A's own calls).
    code, out, err = kura(server, "audit", "--data-dir", data_dir, "--account", ACCOUNT_A, "--operation", "CreateKey")
    assert code == 0, err
    created = [json.loads(line) for line in out.splitlines()]
    assert shared["Arn"] in [r.get("keyArn") for r in created]
    assert all(r["operation"] == "CreateKey" for r in created)
    # --limit keeps the newest, last.
    code, out, err = kura(server, "audit", "--data-dir", data_dir, "--limit", "2")
    assert code == 0, err
    assert len(out.splitlines()) == 2
    times = [json.loads(line)["time"] for line in out.splitlines()]
    assert times == sorted(times)
    # --since: nothing from the future, everything since an hour ago.
    future = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, out, err = kura(server, "audit", "--data-dir", data_dir, "--since", future)
    assert code == 0 and out == "", err
    past = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)).isoformat()
    code, out, err = kura(server, "audit", "--data-dir", data_dir, "--since", past)
    assert code == 0 and len(out.splitlines()) >= len(lines), err
    code, out, err = kura(server, "audit", "--data-dir", data_dir, "--since", "last tuesday")
    assert code != 0 and "ISO 8601" in err
    # No plaintext, in any form, in the audit log.
    with open(os.path.join(data_dir, "audit.log"), "rb") as f:
        raw = f.read()
    for form in (PLAINTEXT, base64.b64encode(PLAINTEXT), PLAINTEXT.hex().encode()):
        assert form not in raw


def month_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m")


def test_cost_while_running_and_after_stop(server):
    data_dir = os.path.join(server.dir, "data")
    month = month_now()
    # While the server runs (SQLite WAL): the key-months are written with the keys.
    code, bill, err = kura(server, "cost", "--data-dir", data_dir, "--account", ACCOUNT_A, "--month", month)
    assert code == 0, err
    assert bill["AccountId"] == ACCOUNT_A and bill["Month"] == month
    assert bill["KeyMonths"] > 0 and bill["KeyCostUsd"] > 0
    assert [r["Region"] for r in bill["Regions"]] == ["us-east-1"]

    # Request counts are buffered by the server and flushed on stop.
    assert server.stop() == 0
    code, bill, err = kura(server, "cost", "--data-dir", data_dir, "--account", ACCOUNT_A, "--month", month)
    assert code == 0, err
    assert bill["KeyMonths"] > 0
    assert bill["Requests"] >= 4  # CreateKey x2, DescribeKey, Encrypt by A
    assert bill["FreeRequests"] == bill["Requests"] and bill["BillableRequests"] == 0
    assert abs(bill["TotalUsd"] - (bill["KeyCostUsd"] + bill["RequestCostUsd"])) < 1e-9
    code, bill_b, err = kura(server, "cost", "--data-dir", data_dir, "--account", ACCOUNT_B, "--month", month)
    assert code == 0, err
    assert bill_b["Requests"] >= server.state["b_calls_ok"]  # the account that calls pays
    assert bill_b["KeyMonths"] == 0  # B owns no customer managed key

    code, out, err = kura(server, "cost", "--data-dir", data_dir, "--account", "999999999999", "--month", month)
    assert code != 0 and "999999999999" in err
    code, out, err = kura(server, "cost", "--data-dir", os.path.join(server.dir, "nowhere"), "--account", ACCOUNT_A,
                          "--month", month)
    assert code != 0 and not os.path.exists(os.path.join(server.dir, "nowhere"))
