"""KMS through the real aws CLI and boto3 against a kura serve: every group of
operations, the main errors, and the access rules."""
import base64
import json
import os

import pytest
from botocore.exceptions import ClientError

from kura_server import aws_v1_command


def error_code(call, *args, **kwargs):
    with pytest.raises(ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def kms(kura):
    return kura.boto3("kms")


def test_create_describe_list_with_aws_cli(kura):
    code, out, err = kura.aws("kms", "create-key", "--description", "cli key")
    assert code == 0, err
    meta = out["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["KeyManager"] == "CUSTOMER"
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:{kura.account_id}:key/{meta['KeyId']}"
    code, out, err = kura.aws("kms", "describe-key", "--key-id", meta["KeyId"])
    assert code == 0, err
    assert out["KeyMetadata"]["Description"] == "cli key"
    code, out, err = kura.aws("kms", "list-keys")
    assert code == 0, err
    assert meta["KeyId"] in [k["KeyId"] for k in out["Keys"]]
    code, out, err = kura.aws("kms", "get-key-policy", "--key-id", meta["KeyId"], "--policy-name", "default")
    assert code == 0, err
    policy = json.loads(out["Policy"])
    assert policy["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{kura.account_id}:root"


def test_encrypt_decrypt_context_and_tampering(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    ctx = {"purpose": "test", "Department": "10"}
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"hello kura", EncryptionContext=ctx)["CiphertextBlob"]
    out = kms.decrypt(CiphertextBlob=blob, EncryptionContext=dict(reversed(list(ctx.items()))))
    assert out["Plaintext"] == b"hello kura"
    assert out["KeyId"].endswith(key_id)
    assert error_code(kms.decrypt, CiphertextBlob=blob, EncryptionContext={"purpose": "Test", "Department": "10"}) \
        == "InvalidCiphertextException"
    assert error_code(kms.decrypt, CiphertextBlob=blob) == "InvalidCiphertextException"
    tampered = bytearray(blob)
    tampered[-5] ^= 1
    assert error_code(kms.decrypt, CiphertextBlob=bytes(tampered), EncryptionContext=ctx) == "InvalidCiphertextException"
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    assert error_code(kms.decrypt, CiphertextBlob=blob, EncryptionContext=ctx, KeyId=other) == "IncorrectKeyException"


def test_data_keys_reencrypt_and_random(kms):
    a = kms.create_key()["KeyMetadata"]["KeyId"]
    b = kms.create_key()["KeyMetadata"]["KeyId"]
    dk = kms.generate_data_key(KeyId=a, KeySpec="AES_256")
    assert len(dk["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
    no_plain = kms.generate_data_key_without_plaintext(KeyId=a, NumberOfBytes=64,
                                                       EncryptionContext={"aws:ebs:id": "vol-0123"})
    assert "Plaintext" not in no_plain
    moved = kms.re_encrypt(CiphertextBlob=no_plain["CiphertextBlob"], SourceEncryptionContext={"aws:ebs:id": "vol-0123"},
                           DestinationKeyId=b)
    assert moved["KeyId"].endswith(b) and moved["SourceKeyId"].endswith(a)
    assert len(kms.decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"]) == 64
    assert len(kms.generate_random(NumberOfBytes=17)["Plaintext"]) == 17
    assert error_code(kms.generate_data_key, KeyId=a) == "ValidationException"


def test_aliases(kms, kura):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/e2e", TargetKeyId=key_id)
    assert kms.describe_key(KeyId="alias/e2e")["KeyMetadata"]["KeyId"] == key_id
    assert error_code(kms.create_alias, AliasName="alias/e2e", TargetKeyId=key_id) == "AlreadyExistsException"
    blob = kms.encrypt(KeyId="alias/e2e", Plaintext=b"x")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    names = [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    assert "alias/e2e" in names
    kms.delete_alias(AliasName="alias/e2e")
    assert error_code(kms.describe_key, KeyId="alias/e2e") == "NotFoundException"


def test_key_states(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    assert error_code(kms.encrypt, KeyId=key_id, Plaintext=b"x") == "DisabledException"
    kms.enable_key(KeyId=key_id)
    kms.encrypt(KeyId=key_id, Plaintext=b"x")
    sched = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert sched["KeyState"] == "PendingDeletion"
    assert error_code(kms.encrypt, KeyId=key_id, Plaintext=b"x") == "KMSInvalidStateException"
    kms.cancel_key_deletion(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    assert error_code(kms.describe_key, KeyId="1234abcd-12ab-34cd-56ef-1234567890ab") == "NotFoundException"


def test_rotation_and_tags(kms):
    key_id = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "storage"}])["KeyMetadata"]["KeyId"]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "team", "TagValue": "storage"}]
    kms.untag_resource(KeyId=key_id, TagKeys=["team"])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == []


def test_grants(kms, kura):
    iam = kura.boto3("iam")
    iam.create_user(UserName="grantee")
    creds = iam.create_access_key(UserName="grantee")["AccessKey"]
    grantee_arn = f"arn:aws:iam::{kura.account_id}:user/grantee"
    grantee = kura.boto3("kms", creds["AccessKeyId"], creds["SecretAccessKey"])
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"granted", EncryptionContext={"k": "v"})["CiphertextBlob"]
    assert error_code(grantee.decrypt, CiphertextBlob=blob, EncryptionContext={"k": "v"}) == "AccessDeniedException"
    grant = kms.create_grant(KeyId=key_id, GranteePrincipal=grantee_arn, Operations=["Decrypt"],
                             Constraints={"EncryptionContextSubset": {"k": "v"}})
    assert grantee.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})["Plaintext"] == b"granted"
    grants = kms.list_grants(KeyId=key_id)["Grants"]
    assert [g["GrantId"] for g in grants] == [grant["GrantId"]]
    kms.revoke_grant(KeyId=key_id, GrantId=grant["GrantId"])
    assert error_code(grantee.decrypt, CiphertextBlob=blob, EncryptionContext={"k": "v"}) == "AccessDeniedException"


def test_user_without_kms_decrypt_is_denied(kms, kura):
    iam = kura.boto3("iam")
    iam.create_user(UserName="reader")
    creds = iam.create_access_key(UserName="reader")["AccessKey"]
    iam.put_user_policy(UserName="reader", PolicyName="encrypt-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:DescribeKey"], "Resource": "*"}]}))
    reader = kura.boto3("kms", creds["AccessKeyId"], creds["SecretAccessKey"])
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = reader.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]
    with pytest.raises(ClientError) as e:
        reader.decrypt(CiphertextBlob=blob)
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "kms:Decrypt" in e.value.response["Error"]["Message"]


def test_aws_managed_ebs_key(kms, kura):
    meta = kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    # Direct use is refused: only EC2 may use it on the caller's behalf.
    assert error_code(kms.encrypt, KeyId="alias/aws/ebs", Plaintext=b"x") == "AccessDeniedException"
    policy = json.loads(kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"])
    assert policy["Id"] == "auto-ebs-2"


def test_regions_are_separate(kura):
    east = kura.boto3("kms", region="us-east-1")
    tokyo = kura.boto3("kms", region="ap-northeast-1")
    meta = tokyo.create_key()["KeyMetadata"]
    assert ":ap-northeast-1:" in meta["Arn"]
    assert error_code(east.describe_key, KeyId=meta["KeyId"]) == "NotFoundException"


def test_base64_on_the_wire_with_aws_cli(kura):
    code, out, err = kura.aws("kms", "create-key")
    key_id = out["KeyMetadata"]["KeyId"]
    code, out, err = kura.aws("kms", "encrypt", "--key-id", key_id, "--plaintext", base64.b64encode(b"cli").decode())
    assert code == 0, err
    code, out, err = kura.aws("kms", "decrypt", "--ciphertext-blob", out["CiphertextBlob"])
    assert code == 0, err
    assert base64.b64decode(out["Plaintext"]) == b"cli"


def test_key_lifecycle_with_aws_cli_v1(kura):
    v1 = aws_v1_command()
    if v1 is None:
        pytest.skip("no aws CLI v1 on this machine")
    code, out, err = kura.aws("kms", "create-key", "--description", "v1", cli=v1)
    assert code == 0, err
    key_id = out["KeyMetadata"]["KeyId"]
    # v1 sends a blob argument's text as raw bytes (v2 reads it as base64): binary input needs fileb://.
    code, out, err = kura.aws("kms", "encrypt", "--key-id", key_id, "--plaintext", "v1 secret",
                              "--encryption-context", "app=e2e", cli=v1)
    assert code == 0, err
    blob_path = os.path.join(kura.dir, "v1.blob")
    with open(blob_path, "wb") as f:
        f.write(base64.b64decode(out["CiphertextBlob"]))
    code, out, err = kura.aws("kms", "decrypt", "--ciphertext-blob", "fileb://" + blob_path,
                              "--encryption-context", "app=e2e", cli=v1)
    assert code == 0, err
    assert base64.b64decode(out["Plaintext"]) == b"v1 secret"
    code, out, err = kura.aws("kms", "disable-key", "--key-id", key_id, cli=v1)
    assert code == 0, err
    code, out, err = kura.aws("kms", "generate-data-key", "--key-id", key_id, "--key-spec", "AES_256", cli=v1)
    assert code != 0 and "DisabledException" in err
