"""Bad credentials, bad requests and hostile input get AWS's error codes, and
the server stays up."""
import socket

import pytest
from botocore.exceptions import ClientError


def error_of(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_unknown_access_key(kura):
    kms = kura.boto3("kms", "AKIAUNKNOWNUNKNOWN00", "x" * 40)
    assert error_of(lambda: kms.list_keys()) == ("UnrecognizedClientException", 400)
    sts = kura.boto3("sts", "AKIAUNKNOWNUNKNOWN00", "x" * 40)
    assert error_of(lambda: sts.get_caller_identity()) == ("InvalidClientTokenId", 403)


def test_wrong_secret(kura):
    kms = kura.boto3("kms", kura.access_key_id, "y" * 40)
    assert error_of(lambda: kms.list_keys()) == ("InvalidSignatureException", 400)
    iam = kura.boto3("iam", kura.access_key_id, "y" * 40)
    assert error_of(lambda: iam.list_users()) == ("SignatureDoesNotMatch", 403)


def test_unknown_region(kura):
    kms = kura.boto3("kms", region="mars-north-1")
    code, _ = error_of(lambda: kms.list_keys())
    assert code == "InvalidSignatureException"


def raw_request(kura, data, headers=None):
    """A raw HTTP/1.1 request: returns (status, body)."""
    with socket.create_connection(("127.0.0.1", kura.port), timeout=10) as s:
        s.sendall(data)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks):
                head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
                length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")]
                if length and len(body) >= length[0]:
                    break
        response = b"".join(chunks)
    status = int(response.split(b" ", 2)[1])
    return status, response.partition(b"\r\n\r\n")[2]


def test_missing_authentication(kura):
    body = b"{}"
    status, text = raw_request(kura, b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\n"
                                     b"Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n"
                                     b"Connection: close\r\n\r\n" + body)
    assert status == 400
    assert b"MissingAuthenticationToken" in text


def test_garbage_and_oversized_requests_do_not_hurt_the_server(kura):
    for data in (b"\x00\xff garbage\r\n\r\n", b"GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                 b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n"):
        try:
            raw_request(kura, data)
        except (ConnectionError, socket.timeout, IndexError, ValueError):
            pass
    code, out, err = kura.aws("sts", "get-caller-identity")
    assert code == 0, err


def test_malformed_json_and_unknown_operation(kura):
    import botocore.session
    from botocore.awsrequest import AWSRequest
    from botocore.auth import SigV4Auth
    from botocore.credentials import Credentials
    import urllib.request

    def signed(target, body):
        request = AWSRequest(method="POST", url=kura.endpoint + "/", data=body,
                             headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
        SigV4Auth(Credentials(kura.access_key_id, kura.secret_access_key), "kms", "us-east-1").add_auth(request)
        prepared = urllib.request.Request(kura.endpoint + "/", data=body, method="POST", headers=dict(request.headers))
        try:
            with urllib.request.urlopen(prepared, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    status, text = signed("TrentService.CreateKey", b"{not json")
    assert status == 400 and b"SerializationException" in text
    status, text = signed("TrentService.NoSuchThing", b"{}")
    assert status == 400 and b"UnknownOperationException" in text
    status, text = signed("TrentService.Encrypt", b'{"KeyId": ""}')
    assert status == 400 and b"ValidationException" in text


def test_stale_and_future_dates_are_refused(kura):
    import datetime
    import urllib.request
    from botocore.awsrequest import AWSRequest
    from botocore.auth import SigV4Auth
    from botocore.credentials import Credentials

    def call_at(when):
        body = b"{}"
        request = AWSRequest(method="POST", url=kura.endpoint + "/", data=body,
                             headers={"X-Amz-Target": "TrentService.ListKeys",
                                      "Content-Type": "application/x-amz-json-1.1"})
        # botocore signs with its own clock: give it ours for this one call.
        import botocore.auth

        class FixedClock(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return when.replace(tzinfo=None)

            @classmethod
            def now(cls, tz=None):
                return when if tz else when.replace(tzinfo=None)

        real = botocore.auth.datetime.datetime
        botocore.auth.datetime.datetime = FixedClock
        try:
            SigV4Auth(Credentials(kura.access_key_id, kura.secret_access_key), "kms", "us-east-1").add_auth(request)
        finally:
            botocore.auth.datetime.datetime = real
        headers = dict(request.headers)
        prepared = urllib.request.Request(kura.endpoint + "/", data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(prepared, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    now = datetime.datetime.now(datetime.timezone.utc)
    status, text = call_at(now)
    assert status == 200, text
    status, text = call_at(now - datetime.timedelta(minutes=20))
    assert status == 400 and b"InvalidSignatureException" in text and b"Signature expired" in text
    status, text = call_at(now + datetime.timedelta(minutes=20))
    assert status == 400 and b"InvalidSignatureException" in text and b"not yet current" in text
