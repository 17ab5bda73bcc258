"""Helpers for the NBD end-to-end tests: an instance with volumes attached
(through the real EC2 API), `kura admin nbd-exports` for their URIs, and the
real NBD clients (qemu-img, qemu-io, nbdinfo, nbdcopy, nbdsh/libnbd)."""
import json
import os
import subprocess

from ec2_support import ZONE, make_ami, run_instance, wait, wait_for


def kura_admin(server, *args, keys=None, check=True):
    """Runs `kura admin ARGS` against the server as its bootstrap root (or `keys`)."""
    key_id, secret = keys or (server.access_key_id, server.secret_access_key)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_CONFIG_FILE": "/dev/null"})
    done = subprocess.run([server.binary, "admin", *args, "--endpoint-url", server.endpoint], env=env,
                          capture_output=True, text=True, timeout=60)
    if check:
        assert done.returncode == 0, f"kura admin {' '.join(args)}: {done.stderr}"
    return done


def nbd_exports(server, instance_id, psk_file=None, keys=None):
    args = ["nbd-exports", "--instance-id", instance_id]
    if psk_file:
        args += ["--tls-psk-file", psk_file]
    return json.loads(kura_admin(server, *args, keys=keys).stdout)


def export_of(server, instance_id, volume_id, psk_file=None, timeout=30):
    """The Exports entry of `volume_id`, once the NBD server serves it."""
    def find():
        for e in nbd_exports(server, instance_id, psk_file)["Exports"]:
            if e["VolumeId"] == volume_id:
                return e
        return None
    found = wait_for(find, timeout=timeout)
    assert found, f"{volume_id} never became an NBD export of {instance_id}"
    return found


def instance_with_volume(ec2, size_gib=1, encrypted=True, kms_key_id=None, device="/dev/sdf", name="nbd"):
    """A running instance and one more volume attached to it: (instance id, volume id)."""
    image, _ = make_ami(ec2, f"{name}-{os.urandom(4).hex()}")
    instance_id = run_instance(ec2, image)
    return instance_id, attach_new_volume(ec2, instance_id, device, size_gib, encrypted, kms_key_id)


def run(*command, timeout=300, check=True, input=None):
    done = subprocess.run(list(command), capture_output=True, timeout=timeout, input=input)
    if check:
        assert done.returncode == 0, f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()[-2000:]}"
    return done


def nbdsh(uri, script, check=True, timeout=300):
    """Runs a Python snippet in nbdsh with `h` connected to `uri`; returns its stdout.
    nbdsh runs `python3 -m nbd` from the PATH: Debian's python3 first, which has the module."""
    env = dict(os.environ, PATH="/usr/bin:" + os.environ.get("PATH", ""))
    done = subprocess.run(["nbdsh", "-u", uri, "-c", script], capture_output=True, timeout=timeout, env=env)
    if check:
        assert done.returncode == 0, f"nbdsh -c {script!r} failed ({done.returncode}): {done.stderr.decode()[-2000:]}"
    return done.stdout.decode()


# ---- more volumes, libnbd handles, metrics, a raw protocol client ----------------------

DEVICES = [f"/dev/sd{c}" for c in "fghijklmnopqrstuvwxyz"]


def attach_new_volume(ec2, instance_id, device, size_gib=1, encrypted=True, kms_key_id=None, snapshot_id=None):
    """A new volume (from `snapshot_id` if given) attached to a running instance at `device`; its id."""
    args = {"AvailabilityZone": ZONE, "Size": size_gib, "VolumeType": "gp3", "Encrypted": encrypted}
    if kms_key_id:
        args["KmsKeyId"] = kms_key_id
    if snapshot_id:
        args["SnapshotId"] = snapshot_id
    volume_id = ec2.create_volume(**args)["VolumeId"]
    wait(ec2, "volume_available", VolumeIds=[volume_id])
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device=device)
    wait(ec2, "volume_in_use", VolumeIds=[volume_id])
    return volume_id


def connect(uri, strict=True, meta_contexts=()):
    """A libnbd handle connected to `uri` (strict=False: out-of-range requests reach the server),
    asking for `meta_contexts` ("base:allocation") during the handshake."""
    import nbd
    h = nbd.NBD()
    if not strict:
        h.set_strict_mode(0)
    for context in meta_contexts:
        h.add_meta_context(context)
    h.set_uri_allow_local_file(True)  # tls-psk-file=
    h.connect_uri(uri)
    return h


def pread_all(h, offset, length, piece=8 << 20):
    out = bytearray()
    while len(out) < length:
        n = min(piece, length - len(out))
        out += h.pread(n, offset + len(out))
    return bytes(out)


def socket_of(uri):
    """The Unix socket path of an nbd+unix:// URI."""
    return uri.split("socket=", 1)[1].split("&", 1)[0]


def metrics(server):
    """GET /_kura/metrics parsed: {(name, volume_id): value}."""
    import re
    import urllib.request
    with urllib.request.urlopen(f"{server.endpoint}/_kura/metrics", timeout=30) as response:
        assert response.status == 200
        text = response.read().decode()
    out = {}
    for line in text.splitlines():
        m = re.match(r'^(\w+)\{([^}]*)\}\s+(\S+)$', line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        out[(m.group(1), labels.get("volume_id"))] = float(m.group(3))
    return out


# A client that speaks the protocol by hand (doc/proto.md), for what libnbd will not do.
NBD_OPT_GO = 7
NBD_OPT_INFO = 6
NBD_REP_ACK = 1
NBD_REP_INFO = 3
NBD_REP_ERR_UNKNOWN = 0x80000006
NBD_REP_ERR_TLS_REQD = 0x80000005
NBD_CMD_READ, NBD_CMD_WRITE = 0, 1

RAW_CLIENT = r'''
import os, socket, struct, sys

def recvall(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("closed after %d of %d bytes" % (len(b), n))
        b += c
    return b

def handshake(s, name):
    """Fixed newstyle, NBD_OPT_GO for `name`; returns the replies [(type, data)] up to ACK or an error."""
    magic, opt, flags = struct.unpack(">8s8sH", recvall(s, 18))
    assert magic == b"NBDMAGIC" and opt == b"IHAVEOPT", (magic, opt)
    no_zeroes = flags & 2
    s.sendall(struct.pack(">I", 1 | no_zeroes))
    data = struct.pack(">I", len(name)) + name + struct.pack(">H", 0)
    s.sendall(struct.pack(">QII", 0x49484156454F5054, 7, len(data)) + data)
    replies = []
    while True:
        m, o, t, l = struct.unpack(">QIII", recvall(s, 20))
        assert m == 0x3e889045565a9 and o == 7, (hex(m), o)
        replies.append((t, recvall(s, l)))
        if t == 1 or t >= 0x80000000:
            return replies

def main():
    where, name, mode = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
    if where.startswith("tcp:"):
        s = socket.create_connection(("127.0.0.1", int(where[4:])))
    else:
        s = socket.socket(socket.AF_UNIX)
        s.connect(where)
    replies = handshake(s, name)
    print("replies " + " ".join("%x" % t for t, _ in replies), flush=True)
    if replies[-1][0] != 1:
        return
    if mode == "partial-write":
        # WRITE of 1 MiB at `offset`, only 100 KiB of payload, then the process is gone.
        offset = int(sys.argv[4])
        s.sendall(struct.pack(">IHHQQI", 0x25609513, 0, 1, 42, offset, 1 << 20) + b"\xee" * (100 << 10))
        print("sent partial", flush=True)
        os._exit(0)
    if mode == "header-only":
        offset = int(sys.argv[4])
        s.sendall(struct.pack(">IHHQQI", 0x25609513, 0, 1, 43, offset, 4096))
        print("sent header", flush=True)
        os._exit(0)

main()
'''


def raw_client(where, name, mode="handshake", *args, timeout=30):
    """Runs RAW_CLIENT in its own process: where = a Unix socket path or "tcp:PORT"; returns its stdout."""
    done = run("/usr/bin/python3", "-c", RAW_CLIENT, where, name, mode, *map(str, args), timeout=timeout)
    return done.stdout.decode()
