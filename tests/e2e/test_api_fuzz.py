"""Malformed and mistyped requests to every KMS, IAM and STS operation kura serves:
each gets a 4xx (or a 200 when it happens to be valid), never a 5xx, and the
server keeps serving. Bounded: a fixed number of requests, seeded randomness."""
import json
import random
import urllib.error
import urllib.parse
import urllib.request

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SEED = 20261129
WEIRD_VALUES = [None, True, 0, -1, 2**63, 1.5, "", "x" * 5000, "\u0000\uffff", [], {}, [1, "a"], {"a": {"b": []}},
                "!!not-base64!!", "alias/", "arn:aws:kms:us-east-1:000000000000:key/", "mrk-", "1" * 64]


def send(kura, service, headers, body, query=""):
    request = AWSRequest(method="POST", url=kura.endpoint + "/" + query, data=body, headers=headers)
    SigV4Auth(Credentials(kura.access_key_id, kura.secret_access_key), service, "us-east-1").add_auth(request)
    prepared = urllib.request.Request(kura.endpoint + "/" + query, data=body, method="POST",
                                      headers=dict(request.headers))
    try:
        with urllib.request.urlopen(prepared, timeout=20) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def operations(service):
    model = botocore.session.get_session().get_service_model(service)
    ops = {}
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        ops[name] = list(shape.members) if shape is not None else []
    return ops


def test_kms_json_fuzz(kura):
    rng = random.Random(SEED)
    served = served_operations("kms")
    for op, members in operations("kms").items():
        if op not in served:
            continue
        bodies = [b"", b"[]", b"null", b"{", b'{"a":', b"\xff\xfe", json.dumps({m: None for m in members}).encode()]
        for _ in range(6):
            doc = {m: rng.choice(WEIRD_VALUES) for m in members if rng.random() < 0.7}
            bodies.append(json.dumps(doc).encode())
        for body in bodies:
            status, text = send(kura, "kms", {"X-Amz-Target": f"TrentService.{op}",
                                              "Content-Type": "application/x-amz-json-1.1"}, body)
            assert status < 500, (op, body[:200], status, text[:300])
    code, out, err = kura.aws("sts", "get-caller-identity")
    assert code == 0, err


def test_query_fuzz(kura):
    rng = random.Random(SEED + 1)
    for service, version in (("iam", "2010-05-08"), ("sts", "2011-06-15")):
        served = served_operations(service)
        for op, members in operations(service).items():
            if op not in served:
                continue
            for _ in range(5):
                params = [("Action", op), ("Version", version)]
                for m in members:
                    if rng.random() < 0.7:
                        value = rng.choice(WEIRD_VALUES)
                        params.append((rng.choice([m, m + ".member.1", m + ".1", m + ".member.x"]),
                                       json.dumps(value)[:3000]))
                body = urllib.parse.urlencode(params).encode()
                status, text = send(kura, service, {"Content-Type": "application/x-www-form-urlencoded"}, body)
                assert status < 500, (service, op, body[:200], status, text[:300])
    code, out, err = kura.aws("sts", "get-caller-identity")
    assert code == 0, err


def served_operations(service):
    """The operation names in src/api/models/<service>.ops ('#' starts a comment)."""
    import os
    path = os.path.join(os.path.dirname(__file__), "..", "..", "src", "api", "models", f"{service}.ops")
    with open(path) as f:
        return {line.split("#", 1)[0].strip() for line in f} - {""}
