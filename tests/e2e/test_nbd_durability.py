"""What an NBD client flushed survives kill -9 of the server.

A writer process writes numbered 5000-byte records end to end (so records share
4096-byte sectors and 512 KiB chunks with their neighbours), eight in flight at
a time, and after each batch flushes and reports the batch as acknowledged.
While it is still writing, `kura serve` is killed with SIGKILL and started again
on the same data directory: the instance comes back running, its export comes
back (on the same socket path, left behind by the dead server), and every
record of every acknowledged batch reads back exactly. Five rounds: each writes
on from where the last one's acknowledgements ended, is killed after a random
number of batches (and a random few milliseconds more), and every round's
records so far must be intact after the restart.

And an operator's SIGTERM with clients connected: a prompt exit 0, and every
write acknowledged before it (never flushed by the client) is kept.

Environment: KURA_BIN (set by CTest); KURA_NBD_SEED replays the kill timing of a failed run.
"""
import os
import random
import subprocess
import sys
import time

import nbd
import pytest

from ec2_support import instance as describe_instance
from ec2_support import wait_for
from kura_server import KuraServer
from nbd_support import connect, export_of, instance_with_volume, pread_all, socket_of

RECORD = 5000
BATCH = 8
BASE = 524288 - 1234  # the records start just before a chunk boundary
ROUNDS = 5

WRITER = r'''
import sys
import nbd

uri, first, count, base, size, batch = sys.argv[1], *map(int, sys.argv[2:7])
h = nbd.NBD()
h.connect_uri(uri)
n = first
while n < first + count:
    cookies = []
    for k in range(n, n + batch):
        data = (b"%08d" % k) * (size // 8)
        cookies.append(h.aio_pwrite(nbd.Buffer.from_bytearray(bytearray(data)), base + k * size))
    while h.aio_in_flight() > 0:
        h.poll(-1)
    for c in cookies:
        assert h.aio_command_completed(c)
    h.flush()
    n += batch
    print("acked", n, flush=True)
print("done", flush=True)
'''


def record(n):
    return (b"%08d" % n) * (RECORD // 8)


def start(reuse_dir=None):
    return KuraServer(extra_args=["--ec2-min-transition-ms", "0"], reuse_dir=reuse_dir)


def write_until_killed(server, uri, first, kill_after_batches, delay):
    """Runs the writer from record `first`; SIGKILLs the server `delay` seconds after that many
    batches are acknowledged, while the writer is still writing. Returns the first record not
    acknowledged."""
    writer = subprocess.Popen(["/usr/bin/python3", "-c", WRITER, uri, str(first), "1000000", str(BASE),
                               str(RECORD), str(BATCH)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    acked = first
    try:
        deadline = time.monotonic() + 60
        while acked < first + kill_after_batches * BATCH:
            line = writer.stdout.readline().decode()
            assert line.startswith("acked "), (
                f"writer stopped early: {line!r} {writer.stderr.read().decode()[-2000:]}")
            acked = int(line.split()[1])
            assert time.monotonic() < deadline, "the writer is too slow"
        time.sleep(delay)
        assert writer.poll() is None, "the writer finished before the kill"
        server.kill()  # in the middle of the next batch (or its flush)
        for line in writer.stdout:  # acknowledgements that raced the kill count too
            line = line.decode()
            if line.startswith("acked "):
                acked = int(line.split()[1])
        writer.wait(timeout=30)
        assert writer.returncode != 0, "the writer did not notice the crash"
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    return acked


def check(uri, count, context):
    h = connect(uri)
    got = pread_all(h, BASE, count * RECORD)
    h.shutdown()
    lost = [n for n in range(count) if got[n * RECORD:(n + 1) * RECORD] != record(n)]
    assert not lost, (f"{context}: {len(lost)} acknowledged records differ after the crash, first {lost[:10]}; "
                      f"record {lost[0]} reads {got[lost[0] * RECORD:lost[0] * RECORD + 32]!r}")


def test_flushed_nbd_writes_survive_kill_9():
    if "KURA_BIN" not in os.environ:
        pytest.skip("KURA_BIN is not set (run through ctest)")
    servers = [start()]
    try:
        ec2 = servers[0].boto3("ec2")
        instance_id, volume_id = instance_with_volume(ec2)
        export = export_of(servers[0], instance_id, volume_id)
        socket = socket_of(export["Uri"])

        acked = 0
        seed = int(os.environ.get("KURA_NBD_SEED", random.SystemRandom().randrange(1 << 31)))
        rng = random.Random(seed)
        print(f"KURA_NBD_SEED={seed}", file=sys.stderr)
        for round in range(ROUNDS):
            acked = write_until_killed(servers[-1], export["Uri"], acked, kill_after_batches=rng.randrange(10, 60),
                                       delay=rng.uniform(0, 0.03))
            servers.append(start(reuse_dir=servers[0].dir))
            ec2 = servers[-1].boto3("ec2")
            assert wait_for(lambda: describe_instance(ec2, instance_id)["State"]["Name"] == "running", timeout=60)
            export = export_of(servers[-1], instance_id, volume_id)
            assert socket_of(export["Uri"]) == socket
            check(export["Uri"], acked, f"round {round}, KURA_NBD_SEED={seed}")
            print(f"round {round}: {acked} records acknowledged and intact", file=sys.stderr)
        # The volume is still an ordinary, writable export.
        h = connect(export["Uri"])
        h.pwrite(b"after", 0)
        h.flush()
        assert h.pread(5, 0) == b"after"
        h.shutdown()
        assert servers[-1].stop() == 0, servers[-1].server_log()[-3000:]
    finally:
        for s in servers:
            s.kill()
        servers[0].cleanup()


STREAMER = r'''
import sys
import nbd

uri, base, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
h = nbd.NBD()
h.connect_uri(uri)
n = 0
try:
    while True:
        h.pwrite((b"%08d" % n) * (size // 8), base + n * size)  # never flushed by the client
        n += 1
        print("acked", n, flush=True)
except nbd.Error as e:
    print("error", e, flush=True)
'''


def test_sigterm_with_clients_connected_keeps_what_they_were_told_is_written():
    """An operator's stop (SIGTERM) while clients are connected: kura serve exits 0 promptly,
    the connections end, and every write acknowledged before — never flushed by the
    client — is there after the restart (shutdown flushes each export)."""
    if "KURA_BIN" not in os.environ:
        pytest.skip("KURA_BIN is not set (run through ctest)")
    servers = [start()]
    try:
        ec2 = servers[0].boto3("ec2")
        instance_id, volume_id = instance_with_volume(ec2)
        uri = export_of(servers[0], instance_id, volume_id)["Uri"]
        idle = connect(uri)  # connected, doing nothing
        streamer = subprocess.Popen(["/usr/bin/python3", "-c", STREAMER, uri, str(BASE), str(RECORD)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        acked = 0
        while acked < 300:
            line = streamer.stdout.readline().decode()
            assert line.startswith("acked "), (line, streamer.stderr.read().decode()[-2000:])
            acked = int(line.split()[1])
        started = time.monotonic()
        assert servers[0].stop() == 0, servers[0].server_log()[-3000:]
        assert time.monotonic() - started < 10, "kura serve took long to stop with clients connected"
        for line in streamer.stdout:
            line = line.decode()
            if line.startswith("acked "):
                acked = int(line.split()[1])
        streamer.wait(timeout=30)
        with pytest.raises(nbd.Error):
            idle.pread(1, 0)

        servers.append(start(reuse_dir=servers[0].dir))
        ec2 = servers[-1].boto3("ec2")
        assert wait_for(lambda: describe_instance(ec2, instance_id)["State"]["Name"] == "running", timeout=60)
        check(export_of(servers[-1], instance_id, volume_id)["Uri"], acked, f"SIGTERM after {acked} records")
        assert servers[-1].stop() == 0
    finally:
        for s in servers:
            s.kill()
        servers[0].cleanup()
