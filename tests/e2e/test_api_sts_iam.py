"""STS and IAM through the real aws CLI and boto3 against a kura serve."""
import pytest
from botocore.exceptions import ClientError

from kura_server import aws_v1_command


def test_get_caller_identity_with_aws_cli_v2(kura):
    code, out, err = kura.aws("sts", "get-caller-identity")
    assert code == 0, err
    assert out["Account"] == kura.account_id
    assert out["Arn"] == f"arn:aws:iam::{kura.account_id}:root"
    assert out["UserId"] == kura.account_id


def test_get_caller_identity_with_aws_cli_v1(kura):
    v1 = aws_v1_command()
    if v1 is None:
        pytest.skip("no aws CLI v1 on this machine")
    code, out, err = kura.aws("sts", "get-caller-identity", cli=v1)
    assert code == 0, err
    assert out["Account"] == kura.account_id


def test_users_keys_and_policies_with_boto3(kura):
    iam = kura.boto3("iam")
    user = iam.create_user(UserName="alice")["User"]
    assert user["Arn"] == f"arn:aws:iam::{kura.account_id}:user/alice"
    assert user["UserId"].startswith("AIDA")
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="alice")
    assert e.value.response["Error"]["Code"] == "EntityAlreadyExists"

    key = iam.create_access_key(UserName="alice")["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40
    listed = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]

    # The new key authenticates as alice.
    sts = kura.boto3("sts", key["AccessKeyId"], key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == user["Arn"]

    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}'
    iam.put_user_policy(UserName="alice", PolicyName="kms-all", PolicyDocument=policy)
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["kms-all"]
    got = iam.get_user_policy(UserName="alice", PolicyName="kms-all")
    assert got["PolicyDocument"]["Statement"][0]["Action"] == "kms:*"

    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName="alice", PolicyName="bad", PolicyDocument='{"Statement": [{"Effect": "Maybe"}]}')
    assert e.value.response["Error"]["Code"] == "MalformedPolicyDocument"

    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="alice")
    assert e.value.response["Error"]["Code"] == "DeleteConflict"
    iam.delete_user_policy(UserName="alice", PolicyName="kms-all")
    iam.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName="alice")
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName="alice")
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_iam_user_needs_a_policy_for_iam_calls(kura):
    iam = kura.boto3("iam")
    iam.create_user(UserName="bob")
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    bob = kura.boto3("iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        bob.list_users()
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    code, out, err = kura.aws("iam", "list-users")
    assert code == 0, err
    assert "bob" in [u["UserName"] for u in out["Users"]]
