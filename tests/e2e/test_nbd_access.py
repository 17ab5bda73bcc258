"""Who may open which NBD export, and how long exports live.

Isolation: each instance has its own Unix socket (0600) and its own TLS PSK;
neither opens another instance's volumes. TCP requires TLS (plain clients get
NBD_REP_ERR_TLS_REQD), a wrong key fails the handshake. Another account cannot
ask for an instance's exports.

Lifecycle: an export exists while its volume is attached to a running
instance. Stopping the instance closes the connections (after what is in
flight, and a flush), removes the socket and makes `kura admin nbd-exports`
fail; starting it brings the exports back with the data. Detaching removes one
export, terminating all of them.

Environment: KURA_BIN (set by CTest).
"""
import json
import os
import stat
import subprocess
import threading
import time

import nbd
import pytest

from ec2_support import admin, create_account, make_ami, run_instance, wait, wait_for, wait_state
from nbd_support import (NBD_REP_ERR_TLS_REQD, NBD_REP_ERR_UNKNOWN, attach_new_volume, connect, export_of,
                         kura_admin, nbd_exports, pread_all, raw_client, run, socket_of)

GIB = 1 << 30
STREAM_AT = 3 * 524288 + 17


@pytest.fixture(scope="module")
def image(ec2_server):
    image_id, _ = make_ami(ec2_server.boto3("ec2"), f"nbd-access-{os.urandom(4).hex()}")
    return image_id


def new_instance(server, image_id, volumes=1, ec2=None):
    """A running instance with `volumes` more volumes: (instance id, [volume ids])."""
    ec2 = ec2 or server.boto3("ec2")
    instance_id = run_instance(ec2, image_id)
    ids = [attach_new_volume(ec2, instance_id, f"/dev/sd{chr(ord('f') + i)}") for i in range(volumes)]
    for v in ids:
        export_of(server, instance_id, v)
    return instance_id, ids


def tcp_port(export):
    return int(export["TcpUri"].split("@", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


def write_psk(path, identity, key_hex):
    path.write_text(f"{identity}:{key_hex}\n")
    os.chmod(path, 0o600)
    return str(path)


def nbdinfo_fails(uri):
    done = run("nbdinfo", uri, check=False)
    assert done.returncode != 0, f"nbdinfo {uri} succeeded:\n{done.stdout.decode()}"
    return done.stderr.decode()


# ---- isolation ----------------------------------------------------------------------------


def test_instances_cannot_open_each_others_volumes(ec2_server, image, tmp_path):
    server = ec2_server
    a, (va,) = new_instance(server, image)
    b, (vb,) = new_instance(server, image)
    ea = export_of(server, a, va, psk_file=str(tmp_path / "a.psk"))
    eb = export_of(server, b, vb, psk_file=str(tmp_path / "b.psk"))
    sock_a, sock_b = socket_of(ea["Uri"]), socket_of(eb["Uri"])
    assert sock_a != sock_b
    assert os.path.basename(sock_a) == f"{a}.sock" and os.path.basename(sock_b) == f"{b}.sock"
    for path in (sock_a, sock_b):
        mode = os.stat(path).st_mode
        assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600, oct(mode)
    assert stat.S_IMODE(os.stat(os.path.dirname(sock_a)).st_mode) == 0o700
    assert ea["TlsPskIdentity"] == a and eb["TlsPskIdentity"] == b
    assert ea["TlsPsk"] != eb["TlsPsk"] and len(bytes.fromhex(ea["TlsPsk"])) >= 16
    for f in ("a.psk", "b.psk"):
        assert stat.S_IMODE(os.stat(tmp_path / f).st_mode) == 0o600
        assert (tmp_path / f).read_text().strip() == (f"{a}:{ea['TlsPsk']}" if f == "a.psk" else f"{b}:{eb['TlsPsk']}")

    # Each instance's own URIs work, over both transports.
    for e in (ea, eb):
        assert run("nbdinfo", "--size", e["Uri"]).stdout.decode().strip() == str(GIB)
        assert run("nbdinfo", "--size", e["TcpUri"]).stdout.decode().strip() == str(GIB)

    # A's socket, B's volume: an unknown export, to nbdinfo and at the protocol level.
    nbdinfo_fails(f"nbd+unix:///{vb}?socket={sock_a}")
    assert raw_client(sock_a, vb).split() == ["replies", f"{NBD_REP_ERR_UNKNOWN:x}"]
    assert raw_client(sock_b, va).split() == ["replies", f"{NBD_REP_ERR_UNKNOWN:x}"]
    listed = run("nbdinfo", "--list", f"nbd+unix:///?socket={sock_a}").stdout.decode()
    assert va in listed and vb not in listed

    # A's PSK (identity and key), B's volume over TLS: refused; A's volume with it: fine.
    port = tcp_port(ea)
    a_psk = str(tmp_path / "a.psk")
    nbdinfo_fails(f"nbds://{a}@127.0.0.1:{port}/{vb}?tls-psk-file={a_psk}")
    listed = run("nbdinfo", "--list", f"nbds://{a}@127.0.0.1:{port}/?tls-psk-file={a_psk}").stdout.decode()
    assert va in listed and vb not in listed
    # B's identity with A's key, A's identity with B's key: the handshake fails.
    mixed = write_psk(tmp_path / "mixed.psk", b, ea["TlsPsk"])
    err = nbdinfo_fails(f"nbds://{b}@127.0.0.1:{port}/{vb}?tls-psk-file={mixed}")
    assert "tls" in err.lower() or "handshake" in err.lower(), err
    mixed = write_psk(tmp_path / "mixed2.psk", a, eb["TlsPsk"])
    nbdinfo_fails(f"nbds://{a}@127.0.0.1:{port}/{va}?tls-psk-file={mixed}")

    # Data written through A's export is not what B's volume holds.
    h = connect(ea["Uri"])
    h.pwrite(b"instance A only", 0)
    h.flush()
    h.shutdown()
    hb = connect(eb["TcpUri"])
    assert hb.pread(15, 0) == bytes(15)
    hb.shutdown()


TLS_WRITER = r'''
import sys
import nbd
h = nbd.NBD()
h.set_uri_allow_local_file(True)
h.connect_uri(sys.argv[1])
for i in range(8):
    h.aio_pwrite(nbd.Buffer.from_bytearray(bytearray(b"k" * (32 << 20))), (64 << 20) + i * (32 << 20))
print("queued", flush=True)
while True:
    h.poll(-1)
'''


def test_tls_is_required_on_tcp(ec2_server, image, tmp_path):
    server = ec2_server
    instance_id, (volume_id,) = new_instance(server, image)
    psk = str(tmp_path / "i.psk")
    export = export_of(server, instance_id, volume_id, psk_file=psk)
    assert export["TcpUri"] == f"nbds://{instance_id}@127.0.0.1:{tcp_port(export)}/{volume_id}?tls-psk-file={psk}"
    done = run("nbdinfo", "--json", export["TcpUri"])
    info = json.loads(done.stdout)
    assert info["TLS"] is True
    assert info["exports"][0]["export-name"] == volume_id and info["exports"][0]["export-size"] == GIB
    assert "with TLS" in run("nbdinfo", export["TcpUri"]).stdout.decode()

    # Data over TLS, read back over the Unix socket.
    h = connect(export["TcpUri"])
    assert h.get_tls_negotiated()
    data = os.urandom(3 * 524288 + 77)
    h.pwrite(data, 524288 - 11)
    h.flush()
    h.shutdown()
    u = connect(export["Uri"])
    assert pread_all(u, 524288 - 11, len(data)) == data
    u.shutdown()

    # Plain NBD on the TCP port: NBD_REP_ERR_TLS_REQD on GO.
    port = tcp_port(export)
    nbdinfo_fails(f"nbd://127.0.0.1:{port}/{volume_id}")
    nbdinfo_fails(f"nbd://127.0.0.1:{port}/")
    assert raw_client(f"tcp:{port}", volume_id).split() == ["replies", f"{NBD_REP_ERR_TLS_REQD:x}"]
    # libnbd without TLS, asked not to try it: refused too.
    plain = nbd.NBD()
    plain.set_tls(nbd.TLS_DISABLE)
    with pytest.raises(nbd.Error):
        plain.connect_uri(f"nbd://127.0.0.1:{port}/{volume_id}")

    # A wrong key for the right identity, an unknown identity: the TLS handshake fails.
    wrong = write_psk(tmp_path / "wrong.psk", instance_id, os.urandom(32).hex())
    err = nbdinfo_fails(f"nbds://{instance_id}@127.0.0.1:{port}/{volume_id}?tls-psk-file={wrong}")
    assert "tls" in err.lower(), err
    unknown = write_psk(tmp_path / "unknown.psk", "i-0000000000000000a", export["TlsPsk"])
    nbdinfo_fails(f"nbds://i-0000000000000000a@127.0.0.1:{port}/{volume_id}?tls-psk-file={unknown}")
    # A TLS client killed while it is sending 32 MiB writes: the server is fine after all that.
    killed = subprocess.Popen(["/usr/bin/python3", "-c", TLS_WRITER, export["TcpUri"]], stdout=subprocess.PIPE)
    assert killed.stdout.readline() == b"queued\n"
    time.sleep(0.05)
    killed.kill()
    killed.wait()
    assert server.process.poll() is None
    assert run("nbdinfo", "--size", export["TcpUri"]).stdout.decode().strip() == str(GIB)
    h = connect(export["TcpUri"])
    assert pread_all(h, 524288 - 11, len(data)) == data  # outside what the killed client wrote
    h.shutdown()


def test_other_accounts_cannot_get_the_exports(ec2_server, image):
    server = ec2_server
    instance_id, (volume_id,) = new_instance(server, image)
    keys = create_account(server, "222222222222")
    done = kura_admin(server, "nbd-exports", "--instance-id", instance_id, keys=keys, check=False)
    assert done.returncode != 0, done.stdout
    export = export_of(server, instance_id, volume_id)
    assert export["TlsPsk"] not in done.stdout + done.stderr and volume_id not in done.stdout
    status, body = admin(server, "NbdExports", {"InstanceId": instance_id}, keys=keys)
    assert status in (403, 404), (status, body)
    assert export["TlsPsk"] not in str(body)
    status, body = admin(server, "NbdExports", {"InstanceId": instance_id, "AccountId": server.account_id}, keys=keys)
    assert status == 403, (status, body)
    # An IAM user of the owning account may not either (admin actions are for roots).
    iam = server.boto3("iam")
    iam.create_user(UserName="nbd-user")
    key = iam.create_access_key(UserName="nbd-user")["AccessKey"]
    status, body = admin(server, "NbdExports", {"InstanceId": instance_id}, keys=(key["AccessKeyId"],
                                                                                    key["SecretAccessKey"]))
    assert status == 403, (status, body)
    # The other account's own instance: its root sees its exports, and they do not open ours.
    ec2_b = server.boto3("ec2", *keys)
    image_b, _ = make_ami(ec2_b, "nbd-b")
    instance_b = run_instance(ec2_b, image_b)
    volume_b = attach_new_volume(ec2_b, instance_b, "/dev/sdf")
    out = wait_for(lambda: [e for e in nbd_exports(server, instance_b, keys=keys)["Exports"]
                            if e["VolumeId"] == volume_b])
    assert out, "account B's own export never showed up"
    assert raw_client(socket_of(out[0]["Uri"]), volume_id).split() == ["replies", f"{NBD_REP_ERR_UNKNOWN:x}"]
    # Unknown instance: NotFound.
    done = kura_admin(server, "nbd-exports", "--instance-id", "i-0123456789abcdef0", check=False)
    assert done.returncode != 0
    status, body = admin(server, "NbdExports", {"InstanceId": "i-0123456789abcdef0"})
    assert status == 404, (status, body)


# ---- lifecycle -----------------------------------------------------------------------------


def test_stop_closes_the_export_and_start_brings_it_back(ec2_server, image):
    server = ec2_server
    ec2 = server.boto3("ec2")
    instance_id, (volume_id,) = new_instance(server, image)
    export = export_of(server, instance_id, volume_id)
    socket = socket_of(export["Uri"])
    h = connect(export["Uri"])
    flushed = os.urandom(2 * 524288 + 5)
    h.pwrite(flushed, 524288 - 3)
    h.flush()
    # Acknowledged but never flushed by the client: the server flushes on stop.
    unflushed = os.urandom(100000)
    h.pwrite(unflushed, 10 * 524288 + 1)
    # Many requests in flight when the stop comes: each that succeeds must be kept.
    pieces = [(20 * 524288 + i * 70001, os.urandom(70001)) for i in range(48)]
    cookies = [h.aio_pwrite(nbd.Buffer.from_bytearray(bytearray(d)), o) for o, d in pieces]
    # And a second client writing on and on through the stop, until its connection closes.
    streamed, stream_errors = [], []

    def stream():
        s = connect(export["Uri"])
        n = 0
        try:
            while n < 20000:
                record = (b"%08d" % n) * 625  # 5000 bytes: records share sectors with their neighbours
                s.pwrite(record, 40 * 524288 + n * 5000)
                streamed.append(n)
                n += 1
        except nbd.Error as e:
            stream_errors.append(e)

    streamer = threading.Thread(target=stream)
    streamer.start()
    assert wait_for(lambda: len(streamed) >= 50, timeout=30)
    ec2.stop_instances(InstanceIds=[instance_id])
    done = {}
    try:
        while h.aio_in_flight() > 0:
            h.poll(1000)
    except nbd.Error:
        pass  # the connection closed under the last ones
    for c, (o, d) in zip(cookies, pieces):
        try:
            if h.aio_command_completed(c):
                done[o] = d
        except nbd.Error:
            pass
    streamer.join(timeout=60)
    assert stream_errors, "the streaming client's connection was never closed"
    print(f"{len(done)} of {len(pieces)} writes in flight at the stop completed; {len(streamed)} streamed")
    wait(ec2, "instance_stopped", InstanceIds=[instance_id])

    # The connection is gone, and so are the socket and the export.
    with pytest.raises(nbd.Error):
        h.pread(10, 0)
    assert wait_for(lambda: not os.path.exists(socket), timeout=10), f"{socket} is still there"
    result = kura_admin(server, "nbd-exports", "--instance-id", instance_id, check=False)
    assert result.returncode != 0, result.stdout
    status, body = admin(server, "NbdExports", {"InstanceId": instance_id})
    assert status == 409 and body.get("__type") == "IncorrectState", (status, body)
    assert run("nbdinfo", export["Uri"], check=False).returncode != 0

    ec2.start_instances(InstanceIds=[instance_id])
    wait(ec2, "instance_running", InstanceIds=[instance_id])
    again = export_of(server, instance_id, volume_id)
    assert wait_for(lambda: os.path.exists(socket), timeout=10)
    assert stat.S_IMODE(os.stat(socket).st_mode) == 0o600
    h = connect(again["Uri"])
    assert pread_all(h, 524288 - 3, len(flushed)) == flushed
    assert h.pread(len(unflushed), 10 * 524288 + 1) == unflushed
    for o, d in done.items():
        assert h.pread(len(d), o) == d, f"write at {o} was acknowledged before the stop and is lost"
    got = pread_all(h, 40 * 524288, len(streamed) * 5000)
    for n in streamed:
        assert got[n * 5000:(n + 1) * 5000] == (b"%08d" % n) * 625, f"streamed record {n} was acknowledged and is lost"
    h.shutdown()


def test_detach_removes_one_export_terminate_all(ec2_server, image):
    server = ec2_server
    ec2 = server.boto3("ec2")
    instance_id, (keep, go) = new_instance(server, image, volumes=2)
    exports = {e["VolumeId"]: e for e in nbd_exports(server, instance_id)["Exports"]}
    assert {keep, go} <= set(exports) and len(exports) == 3  # and the root volume
    socket = socket_of(exports[keep]["Uri"])
    h_keep, h_go = connect(exports[keep]["Uri"]), connect(exports[go]["Uri"])
    h_go.pwrite(b"detached data", 4096)  # acknowledged, never flushed by the client
    h_keep.pwrite(b"kept data", 0)
    # A client writing on and on through the detach: what it was told is written stays written.
    streamed, stream_errors = [], []

    def stream():
        s = connect(exports[go]["Uri"])
        try:
            for n in range(20000):
                s.pwrite((b"%08d" % n) * 625, STREAM_AT + n * 5000)
                streamed.append(n)
        except nbd.Error as e:
            stream_errors.append(e)

    streamer = threading.Thread(target=stream)
    streamer.start()
    assert wait_for(lambda: ec2.describe_volumes(VolumeIds=[go])["Volumes"][0]["Attachments"][0]["State"] == "attached")
    assert wait_for(lambda: len(streamed) >= 50, timeout=30)
    ec2.detach_volume(VolumeId=go)
    wait(ec2, "volume_available", VolumeIds=[go])
    streamer.join(timeout=60)
    assert stream_errors, "the streaming client's connection was never closed"
    assert wait_for(lambda: go not in {e["VolumeId"] for e in nbd_exports(server, instance_id)["Exports"]})
    assert {e["VolumeId"] for e in nbd_exports(server, instance_id)["Exports"]} == set(exports) - {go}
    with pytest.raises(nbd.Error):
        h_go.pread(10, 0)
    assert run("nbdinfo", exports[go]["Uri"], check=False).returncode != 0
    # The other export on the same socket is unaffected.
    assert os.path.exists(socket)
    assert h_keep.pread(9, 0) == b"kept data"
    h_keep.pwrite(b"still", 100)

    # Attached again (elsewhere on the same instance), with what was written before the detach.
    ec2.attach_volume(VolumeId=go, InstanceId=instance_id, Device="/dev/sdz")
    wait(ec2, "volume_in_use", VolumeIds=[go])
    back = export_of(server, instance_id, go)
    h = connect(back["Uri"])
    assert h.pread(13, 4096) == b"detached data"
    got = pread_all(h, STREAM_AT, len(streamed) * 5000)
    for n in streamed:
        assert got[n * 5000:(n + 1) * 5000] == (b"%08d" % n) * 625, f"streamed record {n} was acknowledged and is lost"
    h.shutdown()

    ec2.terminate_instances(InstanceIds=[instance_id])
    wait_state(ec2, instance_id, "terminated")
    with pytest.raises(nbd.Error):
        h_keep.pread(10, 0)
    assert wait_for(lambda: not os.path.exists(socket), timeout=10), f"{socket} is still there"
    assert kura_admin(server, "nbd-exports", "--instance-id", instance_id, check=False).returncode != 0
    for e in exports.values():
        assert run("nbdinfo", e["Uri"], check=False).returncode != 0
        assert run("nbdinfo", e["TcpUri"] + "?tls-psk-file=/dev/null", check=False).returncode != 0
