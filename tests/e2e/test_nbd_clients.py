"""The NBD server with real clients: nbdinfo, qemu-img, qemu-io, nbdsh/libnbd,
nbdcopy and nbdkit against the volumes of a running instance of one
`kura serve`, over the instance's Unix socket.

Covered: what the server advertises; byte-exact round trips at unaligned
offsets across 512 KiB chunk boundaries; flush, FUA, trim, write-zeroes
(with and without NO_HOLE), cache; out-of-range requests; many requests in
flight and many connections at once (multi-conn); a client that vanishes in
the middle of a write; encryption at rest of what NBD clients write (checked
by decrypting the chunk objects independently, docs/formats/block-volume.md);
snapshots of NBD-written data; the /_kura/metrics counters and the
connection log lines.

Environment: KURA_BIN (set by CTest).
"""
import filecmp
import json
import os
import random
import re
import socket as socket_module
import sqlite3
import struct
import threading
import urllib.request

import nbd
import pytest

from ec2_support import make_ami, run_instance, volumes_of, wait, wait_for
from nbd_support import (DEVICES, NBD_REP_ERR_UNKNOWN, attach_new_volume, connect, export_of, metrics, nbdsh,
                         pread_all, raw_client, run, socket_of)
from test_format import FOREVER, DataDir
from test_no_plaintext_on_disk import key_needles, pattern, pattern_needles, scan

CHUNK = 512 << 10
GIB = 1 << 30


class Vm:
    """A running instance of the module's server that hands out freshly attached volumes."""

    def __init__(self, server):
        self.server = server
        self.ec2 = server.boto3("ec2")
        self.image, _ = make_ami(self.ec2, f"nbd-clients-{os.urandom(4).hex()}")
        self.instance_id = None
        self.devices = []

    def _instance(self):
        if not self.devices:  # out of device names: another instance
            self.instance_id = run_instance(self.ec2, self.image)
            self.devices = list(DEVICES)
        return self.instance_id

    def volume(self, **kwargs):
        """(volume id, Unix URI) of a new volume attached to the instance."""
        instance_id = self._instance()
        volume_id = attach_new_volume(self.ec2, instance_id, self.devices.pop(0), **kwargs)
        return volume_id, export_of(self.server, instance_id, volume_id)["Uri"]


@pytest.fixture(scope="module")
def vm(ec2_server):
    return Vm(ec2_server)


def data_of(seed, length):
    return random.Random(seed).randbytes(length)


def nbdinfo_json(*args):
    return json.loads(run("nbdinfo", "--json", *args).stdout)


# ---- what the server advertises -----------------------------------------------------------


def test_nbdinfo_shows_size_and_capabilities(vm):
    volume_id, uri = vm.volume(size_gib=2)
    info = nbdinfo_json(uri)
    assert info["TLS"] is False and info["structured"] is True
    [export] = info["exports"]
    assert export["export-name"] == volume_id
    assert export["export-size"] == 2 * GIB
    for flag in ("can_multi_conn", "can_fua", "can_trim", "can_zero", "can_flush", "can_cache", "can_df"):
        assert export[flag] is True, (flag, export)
    assert export["is_read_only"] is False
    assert export["contexts"] == ["base:allocation"]
    assert (export["block_size_minimum"], export["block_size_preferred"], export["block_size_maximum"]) == (
        1, 4096, 32 << 20)
    assert run("nbdinfo", "--size", uri).stdout.decode().strip() == str(2 * GIB)


def test_nbdinfo_list_shows_exactly_the_instances_volumes(vm):
    vm.volume()
    vm.volume()
    instance_id = vm.instance_id
    # Another instance with volumes of its own: none of them may show up.
    other = run_instance(vm.ec2, vm.image)
    other_volume = attach_new_volume(vm.ec2, other, "/dev/sdf")
    export_of(vm.server, other, other_volume)
    try:
        sizes = {v["VolumeId"]: v["Size"] * GIB for v in volumes_of(vm.ec2, instance_id)}
        mine = set(sizes)
        theirs = {v["VolumeId"] for v in volumes_of(vm.ec2, other)}
        assert len(mine) >= 3 and len(theirs) == 2 and not mine & theirs
        socket = socket_of(export_of(vm.server, instance_id, sorted(mine)[0])["Uri"])
        listed = nbdinfo_json("--list", f"nbd+unix:///?socket={socket}")
        assert {e["export-name"] for e in listed["exports"]} == mine
        for e in listed["exports"]:
            assert e["export-size"] == sizes[e["export-name"]]
        other_socket = socket_of(export_of(vm.server, other, other_volume)["Uri"])
        assert other_socket != socket
        listed = nbdinfo_json("--list", f"nbd+unix:///?socket={other_socket}")
        assert {e["export-name"] for e in listed["exports"]} == theirs
        # An export name the socket does not serve: NBD_REP_ERR_UNKNOWN, as for any unknown name.
        out = raw_client(socket, other_volume)
        assert out.split() == ["replies", f"{NBD_REP_ERR_UNKNOWN:x}"], out
        assert run("nbdinfo", f"nbd+unix:///vol-0123456789abcdef0?socket={socket}", check=False).returncode != 0
    finally:
        vm.ec2.terminate_instances(InstanceIds=[other])


def test_block_status_maps_written_chunks_and_holes(vm):
    volume_id, uri = vm.volume()
    h = connect(uri)
    h.pwrite(b"d" * 100, CHUNK + 10)          # part of chunk 1
    h.pwrite(data_of(7, 2 * CHUNK), 3 * CHUNK)  # chunks 3 and 4
    h.zero(CHUNK, 4 * CHUNK)                    # chunk 4 again reads as zeros and stores nothing
    h.pwrite(b"\0" * CHUNK, 6 * CHUNK)          # written zeros are data: the chunk is stored
    h.flush()
    h.shutdown()
    hole, data = 3, 0  # NBD_STATE_HOLE|NBD_STATE_ZERO, allocated
    expected = [(0, CHUNK, hole), (CHUNK, CHUNK, data), (2 * CHUNK, CHUNK, hole), (3 * CHUNK, CHUNK, data),
                (4 * CHUNK, 2 * CHUNK, hole), (6 * CHUNK, CHUNK, data), (7 * CHUNK, GIB - 7 * CHUNK, hole)]

    mapped = json.loads(run("nbdinfo", "--map", "--json", uri).stdout)
    assert [(e["offset"], e["length"], e["type"]) for e in mapped] == expected

    # qemu reads the same map through its NBD driver.
    qemu = json.loads(run("qemu-img", "map", "-f", "raw", "--output=json", uri).stdout)
    assert [(e["start"], e["length"], e["data"]) for e in qemu] == [(o, n, t == data) for o, n, t in expected]

    # libnbd: one request at an unaligned offset, with and without REQ_ONE.
    h = connect(uri, meta_contexts=["base:allocation"])
    assert h.can_meta_context("base:allocation")
    seen = []
    h.block_status(2 * CHUNK, CHUNK + 5, lambda context, offset, entries, err: seen.append((context, offset, entries)))
    assert seen == [("base:allocation", CHUNK + 5, [CHUNK - 5, data, CHUNK, hole, 5, data])]
    seen.clear()
    h.block_status(2 * CHUNK, CHUNK + 5, lambda context, offset, entries, err: seen.append(entries),
                   nbd.CMD_FLAG_REQ_ONE)
    assert seen == [[CHUNK - 5, data]]
    h.shutdown()

    # Without base:allocation selected, BLOCK_STATUS is refused (EINVAL) and the connection goes on.
    h = connect(uri, strict=False)
    assert not h.can_meta_context("base:allocation")
    with pytest.raises(nbd.Error) as refused:
        h.block_status(CHUNK, 0, lambda *args: 0)
    assert "command failed" in str(refused.value) and refused.value.errno == "EINVAL", refused.value
    assert h.pread(100, CHUNK + 10) == b"d" * 100
    h.shutdown()


# ---- qemu ---------------------------------------------------------------------------------


def test_qemu_img_convert_compare_and_back(vm, tmp_path):
    volume_id, uri = vm.volume()
    source = tmp_path / "source.raw"
    source.write_bytes(data_of(1, 5 * CHUNK + 7 * 512))  # qemu's raw sizes are whole 512-byte sectors
    run("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", str(source), uri)
    # The volume is larger: compare checks the common part and that the rest reads as zeros.
    done = run("qemu-img", "compare", "-f", "raw", "-F", "raw", str(source), uri)
    assert b"Images are identical" in done.stdout

    # The same through qemu's raw driver at an offset (a window of the export), and back out.
    socket = socket_of(uri)
    window = (f"driver=raw,offset={7 * CHUNK + 3 * 512},size={source.stat().st_size},file.driver=nbd,"
              f"file.server.type=unix,file.server.path={socket},file.export={volume_id}")
    run("qemu-img", "convert", "-n", "-f", "raw", "--target-image-opts", str(source), window)
    local = f"driver=raw,file.driver=file,file.filename={source}"
    assert b"Images are identical" in run("qemu-img", "compare", "-s", "--image-opts", window, local).stdout
    back = tmp_path / "back.raw"
    run("qemu-img", "convert", "--image-opts", window, "-O", "raw", str(back))
    assert filecmp.cmp(source, back, shallow=False)

    # A difference is seen: one byte changed in the middle of the export.
    h = connect(uri)
    h.pwrite(b"\x00" if source.read_bytes()[3 * CHUNK] else b"\x01", 3 * CHUNK)
    h.shutdown()
    done = run("qemu-img", "compare", "-f", "raw", "-F", "raw", str(source), uri, check=False)
    assert done.returncode == 1 and b"Content mismatch at offset" in done.stdout, done.stdout


def qemu_io(uri, *commands, check=True):
    args = ["qemu-io", "-f", "raw"]
    for c in commands:
        args += ["-c", c]
    done = run(*args, uri, check=check)
    out = done.stdout.decode()
    if check:
        assert "failed" not in out.lower(), out
    return out


def test_qemu_io_unaligned_io_flush_discard_and_zero(vm):
    _, uri = vm.volume()
    boundary = 3 * CHUNK
    qemu_io(uri,
            "write -P 0xab 1000 5000",  # inside the first chunk, partial sectors at both ends
            "read -P 0xab 1000 5000",
            "read -P 0 0 1000",
            "read -P 0 6000 10000",
            f"write -P 0xcd {boundary - 777} 2000",  # across a chunk boundary
            "flush",
            f"read -P 0xcd {boundary - 777} 2000",
            f"read -P 0 {boundary - 4096} {4096 - 777}",
            f"read -P 0 {boundary + 2000 - 777} 3000")
    # A fresh connection sees the same bytes.
    qemu_io(uri, "read -P 0xab 1000 5000", f"read -P 0xcd {boundary - 777} 2000")
    # A wrong pattern is noticed (so the reads above proved something).
    out = qemu_io(uri, "read -P 0xac 1000 5000", check=False)
    assert "Pattern verification failed" in out

    # Write zeroes at unaligned offsets: zeros exactly there, the rest untouched.
    qemu_io(uri, "write -z 1500 3000", "read -P 0xab 1000 500", "read -P 0 1500 3000", "read -P 0xab 4500 1500")
    qemu_io(uri, f"write -z {boundary - 100} 200", f"read -P 0xcd {boundary - 777} 677",
            f"read -P 0 {boundary - 100} 200", f"read -P 0xcd {boundary + 100} {2000 - 777 - 100}")

    # Discard of whole sectors across a chunk boundary reads back as zeros; neighbours stay.
    qemu_io(uri, f"write -P 0x5a {boundary - 65536} 131072", "flush")
    qemu_io(uri, f"discard {boundary - 8192} 16384", "flush",
            f"read -P 0 {boundary - 8192} 16384",
            f"read -P 0x5a {boundary - 65536} {65536 - 8192}",
            f"read -P 0x5a {boundary + 8192} {65536 - 8192}")
    # Discard of whole chunks.
    qemu_io(uri, f"write -P 0x77 {8 * CHUNK} {2 * CHUNK}", f"discard {8 * CHUNK} {2 * CHUNK}",
            f"read -P 0 {8 * CHUNK} {2 * CHUNK}")


# ---- libnbd (in this process and through nbdsh) ------------------------------------------------


def test_libnbd_unaligned_writes_across_chunk_boundaries(vm):
    _, uri = vm.volume()
    h = connect(uri)
    model = bytearray(12 * CHUNK)
    writes = [
        (CHUNK - 12345, data_of(2, CHUNK + 24690 + 7)),  # three chunks, odd everywhere
        (3 * CHUNK - 1, b"\x01\x02"),  # two bytes straddling a boundary
        (4 * CHUNK + 4095, b"\xff"),  # one byte before a sector boundary
        (5 * CHUNK + 511, data_of(3, 3 * CHUNK + 2)),  # several whole chunks, unaligned ends
        (CHUNK - 100, data_of(4, 300)),  # overwrite inside the first write, across its chunk boundary
    ]
    for offset, data in writes:
        h.pwrite(data, offset)
        model[offset:offset + len(data)] = data
    h.flush()
    assert pread_all(h, 0, len(model)) == bytes(model)
    # Reads at odd offsets and sizes return the same bytes as the model.
    rng = random.Random(5)
    for _ in range(40):
        offset = rng.randrange(len(model) - 1)
        length = rng.randrange(1, min(len(model) - offset, 3 * CHUNK))
        assert h.pread(length, offset) == bytes(model[offset:offset + length]), (offset, length)
    h.shutdown()
    # Another connection sees them.
    other = connect(uri)
    assert pread_all(other, 0, len(model)) == bytes(model)
    other.shutdown()


def test_libnbd_fua_flush_trim_zero_and_cache(vm):
    _, uri = vm.volume()
    h = connect(uri)
    assert h.can_fua() and h.can_flush() and h.can_trim() and h.can_zero() and h.can_cache() and h.can_multi_conn()
    base = 2 * CHUNK
    data = data_of(6, 2 * CHUNK + 999)
    h.pwrite(data, base - CHUNK // 2 + 17, nbd.CMD_FLAG_FUA)
    start = base - CHUNK // 2 + 17
    expected = bytearray(4 * CHUNK)
    expected[start:start + len(data)] = data
    assert h.pread(len(expected), 0) == bytes(expected)

    # WRITE_ZEROES with NO_HOLE, unaligned, across a chunk boundary.
    zero_at, zero_len = base - 3000, 7001
    h.zero(zero_len, zero_at, nbd.CMD_FLAG_NO_HOLE)
    expected[zero_at:zero_at + zero_len] = bytes(zero_len)
    assert h.pread(len(expected), 0) == bytes(expected)
    # WRITE_ZEROES that may punch a hole, and with FUA.
    h.zero(CHUNK, base + CHUNK // 4)
    expected[base + CHUNK // 4:base + CHUNK // 4 + CHUNK] = bytes(CHUNK)
    h.zero(513, base - CHUNK // 4 + 3, nbd.CMD_FLAG_FUA)
    expected[base - CHUNK // 4 + 3:base - CHUNK // 4 + 516] = bytes(513)
    assert h.pread(len(expected), 0) == bytes(expected)

    # TRIM of whole sectors reads as zeros; an unaligned trim never touches bytes outside its range.
    h.trim(8192, base - 4096)
    expected[base - 4096:base + 4096] = bytes(8192)
    assert h.pread(len(expected), 0) == bytes(expected)
    h.trim(4096 * 3 - 1001, start + 1001)
    got = h.pread(len(expected), 0)
    assert got[:start + 1001] == bytes(expected[:start + 1001])
    assert got[start + 4096 * 3:] == bytes(expected[start + 4096 * 3:])
    region = got[start + 1001:start + 4096 * 3]
    for i, byte in enumerate(region):  # each byte is either trimmed (zero) or as it was
        assert byte in (0, expected[start + 1001 + i]), i
    expected[start + 1001:start + 4096 * 3] = region

    h.flush()
    h.cache(2 * CHUNK, base - CHUNK)
    h.cache(1, GIB - 1)
    assert h.pread(len(expected), 0) == bytes(expected)
    h.shutdown()
    other = connect(uri)
    assert other.pread(len(expected), 0) == bytes(expected)
    other.shutdown()


def test_out_of_range_requests_fail_and_the_connection_goes_on(vm):
    _, uri = vm.volume()
    h = connect(uri, strict=False)  # libnbd would refuse these itself
    h.pwrite(b"tail", GIB - 4)
    for call in (lambda: h.pread(4096, GIB - 100), lambda: h.pread(1, GIB), lambda: h.pread(512, 2 * GIB),
                 lambda: h.pwrite(b"x" * 200, GIB - 100), lambda: h.pwrite(b"x", GIB),
                 lambda: h.zero(4096, GIB - 1), lambda: h.trim(8192, GIB - 4096)):
        with pytest.raises(nbd.Error) as e:
            call()
        assert e.value.errno in ("EINVAL", "ENOSPC"), e.value
    # The connection still works and nothing past the end was written, nothing before it lost.
    assert h.pread(4, GIB - 4) == b"tail"
    assert h.pread(100, GIB - 100) == bytes(96) + b"tail"
    h.pwrite(b"ok", 0)
    assert h.pread(2, 0) == b"ok"
    h.shutdown()


def test_block_size_limits(vm):
    """32 MiB reads and writes (the advertised maximum) work, larger zeroes, trims and caches too
    (the maximum is for payloads); a larger read is refused, a larger write ends only its connection."""
    _, uri = vm.volume()
    h = connect(uri, strict=False)
    big = data_of(30, 32 << 20)
    h.pwrite(big, 1001)
    assert h.pread(32 << 20, 1001) == big
    assert h.pread(5000, 1001 + (32 << 20) - 2500, nbd.CMD_FLAG_DF) == big[-2500:] + bytes(2500)
    h.zero(64 << 20, 100 << 20, nbd.CMD_FLAG_NO_HOLE)
    h.trim(64 << 20, 200 << 20)
    h.cache(64 << 20, 0)
    h.zero(16 << 20, 1001 + (8 << 20))
    assert h.pread(8 << 20, 1001) == big[:8 << 20]
    assert h.pread(16 << 20, 1001 + (8 << 20)) == bytes(16 << 20)
    assert h.pread(1000, 1001 + (24 << 20)) == big[24 << 20:(24 << 20) + 1000]
    with pytest.raises(nbd.Error) as e:
        h.pread((32 << 20) + 1, 0)
    assert e.value.errno == "EINVAL", e.value
    assert h.pread(10, 1001) == big[:10]  # the connection goes on
    h.shutdown()
    other = connect(uri, strict=False)
    with pytest.raises(nbd.Error):
        other.pwrite(b"z" * ((32 << 20) + 1), 0)  # the server may not read that payload: it may hang up
    assert vm.server.process.poll() is None
    again = connect(uri)
    assert again.pread(100, 1001) == big[:100]
    again.shutdown()


def test_many_requests_in_flight(vm):
    _, uri = vm.volume()
    h = connect(uri)
    rng = random.Random(7)
    # 96 writes of odd sizes, laid end to end from an odd offset across ~8 chunks, all in flight at once.
    writes, offset = [], CHUNK - 4321
    for i in range(96):
        length = rng.randrange(1, 90000)
        writes.append((offset, data_of(100 + i, length)))
        offset += length
    cookies = [h.aio_pwrite(nbd.Buffer.from_bytearray(bytearray(d)), o) for o, d in writes]
    assert h.aio_in_flight() > 1
    while h.aio_in_flight() > 0:
        h.poll(-1)
    for c in cookies:
        assert h.aio_command_completed(c)
    h.flush()
    # Reads in flight too, answered out of order or not: each buffer gets its own bytes.
    buffers = [nbd.Buffer(len(d)) for _, d in writes]
    cookies = [h.aio_pread(b, o) for b, (o, _) in zip(buffers, writes)]
    while h.aio_in_flight() > 0:
        h.poll(-1)
    for c in cookies:
        assert h.aio_command_completed(c)
    for b, (o, d) in zip(buffers, writes):
        assert bytes(b.to_bytearray()) == d, o
    # Mixed: writes, zeroes and reads of distinct regions in flight together.
    zero_from = writes[10][0]
    cookies = [h.aio_zero(len(writes[10][1]), zero_from, flags=nbd.CMD_FLAG_NO_HOLE),
               h.aio_pwrite(nbd.Buffer.from_bytearray(bytearray(b"\x99" * 70000)), offset + 1000,
                            flags=nbd.CMD_FLAG_FUA),
               h.aio_flush()]
    read_back = nbd.Buffer(len(writes[20][1]))
    cookies.append(h.aio_pread(read_back, writes[20][0]))
    while h.aio_in_flight() > 0:
        h.poll(-1)
    for c in cookies:
        assert h.aio_command_completed(c)
    assert bytes(read_back.to_bytearray()) == writes[20][1]
    assert h.pread(len(writes[10][1]), zero_from) == bytes(len(writes[10][1]))
    assert h.pread(70000, offset + 1000) == b"\x99" * 70000
    h.shutdown()


def test_nbdsh_script(vm):
    _, uri = vm.volume()
    script = f"""
import nbd
base = {4 * CHUNK - 3}
data = bytes(range(256)) * 4099
h.pwrite(data, base)
h.pwrite(b"fua!", base - 4, nbd.CMD_FLAG_FUA)
h.flush()
h.zero(100, base + 1000, nbd.CMD_FLAG_NO_HOLE)
h.cache(len(data), base)
got = h.pread(len(data) + 4, base - 4)
want = b"fua!" + data[:1000] + bytes(100) + data[1100:]
print("same" if got == want else "DIFFERENT")
print(h.get_size(), h.can_multi_conn(), h.get_structured_replies_negotiated())
"""
    out = nbdsh(uri, script).split("\n")
    assert out[0] == "same", out
    assert out[1] == f"{GIB} True True", out
    # What nbdsh wrote is there for the next client.
    h = connect(uri)
    assert h.pread(4, 4 * CHUNK - 7) == b"fua!"
    assert h.pread(10, 4 * CHUNK - 3) == bytes(range(10))
    h.shutdown()


# ---- nbdcopy, nbdkit and many connections ----------------------------------------------------


@pytest.mark.parametrize("connections", [1, 4])
def test_nbdcopy_to_the_export_and_back(vm, tmp_path, connections):
    volume_id, uri = vm.volume()
    source = tmp_path / "source.bin"
    source.write_bytes(data_of(8 + connections, 6 * CHUNK + 1234))  # not a whole number of sectors
    before = metrics(vm.server)
    # (nbdcopy uses at most --threads connections, by default one per CPU)
    run("nbdcopy", f"--connections={connections}", f"--threads={connections}", "--flush", str(source), uri)
    after = metrics(vm.server)
    opened = after[("kura_nbd_connections_total", volume_id)] - before.get(("kura_nbd_connections_total", volume_id), 0)
    assert opened >= connections  # multi-conn: nbdcopy really used that many
    size = source.stat().st_size
    h = connect(uri)
    assert pread_all(h, 0, size + 5000) == source.read_bytes() + bytes(5000)
    h.shutdown()
    # Back out through nbdkit (its nbd plugin as the client of kura), a window the size of the file.
    back = tmp_path / "back.bin"
    run("nbdkit", "-U", "-", "--filter=truncate", "nbd", f"uri={uri}", f"truncate={size}",
        "--run", f'nbdcopy --connections={connections} --threads={connections} "$uri" {back}')
    assert filecmp.cmp(source, back, shallow=False)
    # And the whole export into a sparse local file: the file, then zeros.
    whole = tmp_path / "whole.img"
    run("nbdcopy", f"--connections={connections}", f"--threads={connections}", uri, str(whole))
    assert whole.stat().st_size == GIB
    with open(whole, "rb") as f:
        assert f.read(size) == source.read_bytes()
        assert f.read(8 << 20) == bytes(8 << 20)
    whole.unlink()


def test_many_connections_at_once(vm):
    _, uri = vm.volume()
    # Eight clients, each writing its own region; the regions abut at odd offsets, so
    # neighbours share sectors and chunks and their read-modify-writes race.
    clients, region, base = 8, 300001, CHUNK - 77777
    errors = []
    barrier = threading.Barrier(clients)

    def client(i):
        try:
            h = connect(uri)
            barrier.wait(timeout=30)
            data = data_of(200 + i, region)
            rng = random.Random(i)
            pos = 0
            while pos < region:
                n = min(region - pos, rng.randrange(1, 40000))
                h.pwrite(data[pos:pos + n], base + i * region + pos)
                pos += n
            h.flush()
            assert h.pread(region, base + i * region) == data
            h.shutdown()
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append((i, repr(e)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    h = connect(uri)
    got = pread_all(h, base - 1000, clients * region + 2000)
    h.shutdown()
    assert got[:1000] == bytes(1000) and got[-1000:] == bytes(1000)
    for i in range(clients):
        piece = got[1000 + i * region:1000 + (i + 1) * region]
        want = data_of(200 + i, region)
        if piece != want:
            first = next(k for k in range(region) if piece[k] != want[k])
            pytest.fail(f"client {i}'s region differs at volume offset {base + i * region + first}")


def test_client_gone_in_the_middle_of_a_write(vm):
    volume_id, uri = vm.volume()
    # Another client, connected before and after, with data of its own.
    h = connect(uri)
    h.pwrite(b"\x11" * (2 << 20), CHUNK)
    h.flush()
    socket = socket_of(uri)
    for round in range(3):
        out = raw_client(socket, volume_id, "partial-write", CHUNK + 4096 * round + 5)
        assert "sent partial" in out, out
    out = raw_client(socket, volume_id, "header-only", CHUNK)
    assert "sent header" in out, out
    assert vm.server.process.poll() is None, "kura serve died"
    # The half-sent writes wrote nothing, the old connection works, new ones too.
    assert h.pread(2 << 20, CHUNK) == b"\x11" * (2 << 20)
    h.pwrite(b"after", 0)
    h.flush()
    h.shutdown()
    other = connect(uri)
    assert other.pread(5, 0) == b"after"
    assert other.pread(2 << 20, CHUNK) == b"\x11" * (2 << 20)
    other.shutdown()
    assert nbdinfo_json(uri)["exports"][0]["export-name"] == volume_id

    def closed_lines():
        return [line for line in vm.server.server_log().splitlines()
                if "nbd_connection_close" in line and f"volume={volume_id}" in line]
    assert wait_for(lambda: len(closed_lines()) >= 6, timeout=10), closed_lines()
    gone = [line for line in closed_lines() if "written_bytes=0" in line and "requests=0" in line]
    assert len(gone) >= 4, closed_lines()


class Raw:
    """The protocol by hand over the Unix socket (doc/proto.md), for what libnbd will not send."""
    OPT_MAGIC, REPLY_MAGIC, REQUEST_MAGIC, SIMPLE_REPLY_MAGIC = 0x49484156454F5054, 0x3e889045565a9, 0x25609513, \
        0x67446698

    def __init__(self, path):
        self.s = socket_module.socket(socket_module.AF_UNIX)
        self.s.settimeout(10)
        self.s.connect(path)
        magic, opt, self.flags = struct.unpack(">8s8sH", self.recv(18))
        assert (magic, opt) == (b"NBDMAGIC", b"IHAVEOPT")

    def recv(self, n):
        b = b""
        while len(b) < n:
            c = self.s.recv(n - len(b))
            if not c:
                raise EOFError(f"closed after {len(b)} of {n} bytes")
            b += c
        return b

    def closed(self):
        """True when the server hangs up (whatever it sends first is skipped)."""
        try:
            while True:
                if not self.s.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False

    def option(self, option, data=b""):
        self.s.sendall(struct.pack(">QII", self.OPT_MAGIC, option, len(data)) + data)
        replies = []
        while True:
            magic, opt, kind, length = struct.unpack(">QIII", self.recv(20))
            assert magic == self.REPLY_MAGIC and opt == option, (hex(magic), opt)
            replies.append((kind, self.recv(length)))
            if kind == 1 or kind >= 0x80000000:
                return replies

    def request(self, kind, offset, length, flags=0, handle=1, payload=b""):
        self.s.sendall(struct.pack(">IHHQQI", self.REQUEST_MAGIC, flags, kind, handle, offset, length) + payload)
        magic, error, got = struct.unpack(">IIQ", self.recv(16))
        assert magic == self.SIMPLE_REPLY_MAGIC and got == handle, (hex(magic), got)
        return error, (self.recv(length) if kind == 0 and error == 0 else b"")


def test_protocol_misuse_ends_only_that_connection(vm):
    volume_id, uri = vm.volume()
    path = socket_of(uri)
    h = connect(uri)  # a well-behaved client all along
    h.pwrite(b"steady", 0)

    r = Raw(path)  # not fixed-newstyle, then garbage: hung up on
    r.s.sendall(os.urandom(64))
    assert r.closed()
    r = Raw(path)  # an option claiming 4 GiB of data: hung up on, nothing allocated
    r.s.sendall(struct.pack(">I", 3) + struct.pack(">QII", Raw.OPT_MAGIC, 7, 0xFFFFFFF0))
    assert r.closed()
    assert vm.server.process.poll() is None

    r = Raw(path)
    r.s.sendall(struct.pack(">I", 3))  # FIXED_NEWSTYLE | NO_ZEROES
    [(kind, _)] = r.option(99)  # an unknown option: NBD_REP_ERR_UNSUP, and haggling goes on
    assert kind == 0x80000001
    listed = r.option(3)  # NBD_OPT_LIST: NBD_REP_SERVER per export, then ACK
    names = {data[4:4 + struct.unpack(">I", data[:4])[0]].decode() for kind, data in listed if kind == 2}
    assert volume_id in names and listed[-1][0] == 1
    info = r.option(6, struct.pack(">I", len(volume_id)) + volume_id.encode() + struct.pack(">H", 0))  # NBD_OPT_INFO
    assert info[-1][0] == 1
    # NBD_OPT_EXPORT_NAME (no structured replies asked for): size and flags, no DF without them.
    r.s.sendall(struct.pack(">QII", Raw.OPT_MAGIC, 1, len(volume_id)) + volume_id.encode())
    size, flags = struct.unpack(">QH", r.recv(10))
    assert size == GIB
    for bit in (0x1, 0x4, 0x8, 0x20, 0x40, 0x100, 0x400):  # HAS_FLAGS FLUSH FUA TRIM ZEROES MULTI_CONN CACHE
        assert flags & bit, hex(flags)
    assert not flags & 0x80 and not flags & 0x2  # no DF without structured replies; not read-only
    assert r.request(0, 0, 6) == (0, b"steady")
    assert r.request(77, 0, 10, handle=2)[0] == 22  # an unknown command: EINVAL
    assert r.request(0, 0, 10, flags=0x8000, handle=3)[0] == 22  # an unknown flag: EINVAL
    assert r.request(0, 0, 10, flags=4, handle=4)[0] == 22  # DF without structured replies: EINVAL
    assert r.request(1, 6, 3, handle=5, payload=b"raw") == (0, b"")
    assert r.request(3, 0, 0, handle=6) == (0, b"")  # FLUSH
    # A bad request magic: the server cannot find the next request and hangs up.
    r.s.sendall(struct.pack(">IHHQQI", 0x12345678, 0, 0, 7, 0, 10))
    assert r.closed()

    assert vm.server.process.poll() is None
    assert h.pread(9, 0) == b"steadyraw"
    h.shutdown()


# ---- encryption at rest and snapshots -----------------------------------------------------------


def volume_record(data_dir, volume_id):
    db = sqlite3.connect(f"file:{data_dir}/metadata.db?mode=ro", uri=True)
    try:
        (doc,) = db.execute("SELECT doc FROM ec2_records WHERE record_key = ?", (volume_id,)).fetchone()
    finally:
        db.close()
    return json.loads(doc)


def test_what_nbd_clients_write_is_encrypted_at_rest(vm):
    server = vm.server
    data_dir = os.path.join(server.dir, "data")
    kms = server.boto3("kms")
    key_arn = kms.create_key(Description="nbd at rest")["KeyMetadata"]["Arn"]  # ours: root may Decrypt
    volume_id, uri = vm.volume(kms_key_id=key_arn)
    plain_id, plain_uri = vm.volume(encrypted=False)
    writes = [(0, pattern(2 * CHUNK)), (5 * CHUNK - 1234, pattern(CHUNK + 5000)),
              (GIB - 3 * 4096 - 5, pattern(3 * 4096 + 5))]
    for target in (uri, plain_uri):
        h = connect(target)
        for offset, data in writes:
            h.pwrite(data, offset)
        h.flush()
        h.shutdown()

    # The encrypted volume: no 64-byte window of the marker anywhere under the data directory,
    # nor its data key; the unencrypted one: the scan sees its plaintext.
    record = volume_record(data_dir, volume_id)
    assert record["encrypted"] and record["encryption"]["kms_key_arn"] == key_arn
    data_key = kms.decrypt(CiphertextBlob=bytes.fromhex(record["encryption"]["wrapped_key"]),
                           EncryptionContext={"aws:ebs:id": record["encryption"]["context_id"]})["Plaintext"]
    assert len(data_key) == 64
    plain_record = volume_record(data_dir, plain_id)
    lineage, plain_lineage = record["engine_id"], plain_record["engine_id"]

    disk = DataDir(data_dir)
    try:
        assert disk.lineage(lineage)["encrypted"] and not disk.lineage(plain_lineage)["encrypted"]
        plain_objects = {disk.object_path(disk.object_of(plain_lineage, FOREVER, i))
                         for i in range(GIB // CHUNK) if disk.object_of(plain_lineage, FOREVER, i)}
        objects = {disk.object_path(disk.object_of(lineage, FOREVER, i))
                   for i in range(GIB // CHUNK) if disk.object_of(lineage, FOREVER, i)}
        assert len(objects) >= 6 and len(plain_objects) >= 6
        found, scanned = scan(data_dir, pattern_needles() + key_needles("data key", data_key))
        assert "metadata.db" in scanned
        leaked = [(path, at, what) for path, at, what in found
                  if os.path.join(data_dir, path) not in plain_objects]
        assert not leaked, "plaintext or key material of the encrypted volume on disk:\n" + "\n".join(
            f"  {path} at byte {at}: {what}" for path, at, what in leaked[:20])
        assert {os.path.join(data_dir, p) for p, _, _ in found} == plain_objects  # the control: the scan sees

        # Decrypted independently (AES-256-XTS, tweak = sector number) the chunks hold what was written.
        for offset, data in writes:
            assert disk.read(lineage, FOREVER, offset, len(data), data_key) == data, offset
            assert disk.read(plain_lineage, FOREVER, offset, len(data), None) == data, offset
        assert disk.read(lineage, FOREVER, 2 * CHUNK, 4096, data_key) == bytes(4096)
    finally:
        disk.close()


def test_snapshot_captures_what_was_written_over_nbd(vm):
    ec2 = vm.ec2
    volume_id, uri = vm.volume()
    writes = [(CHUNK - 999, data_of(20, 3 * CHUNK)), (40 * CHUNK + 1, data_of(21, 5000))]
    h = connect(uri)
    for offset, data in writes:
        h.pwrite(data, offset)
    h.flush()
    snapshot = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    wait(ec2, "snapshot_completed", SnapshotIds=[snapshot])
    # Writes after the snapshot stay out of it.
    h.pwrite(b"\xaa" * 10000, CHUNK)
    h.flush()
    h.shutdown()

    other = run_instance(ec2, vm.image)
    try:
        restored = attach_new_volume(ec2, other, "/dev/sdf", snapshot_id=snapshot)
        restored_uri = export_of(vm.server, other, restored)["Uri"]
        r = connect(restored_uri)
        for offset, data in writes:
            assert pread_all(r, offset, len(data)) == data, offset
        assert r.pread(CHUNK - 999, 0) == bytes(CHUNK - 999)
        # The restored volume is writable without touching the snapshot's source.
        r.pwrite(b"restored", CHUNK)
        r.flush()
        r.shutdown()
        h = connect(uri)
        assert h.pread(10000, CHUNK) == b"\xaa" * 10000
        h.shutdown()
    finally:
        ec2.terminate_instances(InstanceIds=[other])


# ---- metrics and logs ---------------------------------------------------------------------------


def test_metrics_count_what_clients_do(vm):
    server = vm.server
    volume_id, uri = vm.volume()
    instance_id = vm.instance_id

    def counter(name):
        return metrics(server).get((f"kura_nbd_{name}", volume_id))

    assert counter("written_bytes_total") == 0 and counter("connections_total") == 0
    h = connect(uri, meta_contexts=["base:allocation"])
    assert wait_for(lambda: counter("connections_open") == 1, timeout=5)
    sizes = [1, 4096, 100000, 3 * CHUNK + 17]
    offset = 0
    for n in sizes:
        h.pwrite(b"m" * n, offset)
        offset += n
    h.flush()
    h.pread(12345, 7)
    h.pread(CHUNK, 0)
    h.trim(8192, 2 * CHUNK)
    h.zero(5000, 3 * CHUNK)
    h.cache(4096, 0)
    h.block_status(CHUNK, 0, lambda *args: 0)
    m = metrics(server)
    assert m[("kura_nbd_written_bytes_total", volume_id)] == sum(sizes)
    assert m[("kura_nbd_write_ops_total", volume_id)] == len(sizes)
    assert m[("kura_nbd_read_bytes_total", volume_id)] == 12345 + CHUNK
    assert m[("kura_nbd_read_ops_total", volume_id)] == 2
    assert m[("kura_nbd_flush_ops_total", volume_id)] == 1
    assert m[("kura_nbd_trim_ops_total", volume_id)] == 1
    assert m[("kura_nbd_write_zeroes_ops_total", volume_id)] == 1
    assert m[("kura_nbd_cache_ops_total", volume_id)] == 1
    assert m[("kura_nbd_block_status_ops_total", volume_id)] == 1
    assert m[("kura_nbd_errors_total", volume_id)] == 0
    assert m[("kura_nbd_connections_total", volume_id)] == 1
    # An error is counted.
    with pytest.raises(nbd.Error):
        connect(uri, strict=False).pread(10, GIB)
    h.shutdown()
    assert wait_for(lambda: counter("connections_open") == 0, timeout=5)
    m = metrics(server)
    assert m[("kura_nbd_errors_total", volume_id)] == 1
    assert m[("kura_nbd_connections_total", volume_id)] == 2
    # The metrics text names the instance too, in the Prometheus format.
    with urllib.request.urlopen(f"{server.endpoint}/_kura/metrics") as response:
        text = response.read().decode()
    assert f'kura_nbd_written_bytes_total{{volume_id="{volume_id}",instance_id="{instance_id}"}} {sum(sizes)}' in text
    assert "# TYPE kura_nbd_connections_open gauge" in text

    # The connection's log line (written up to a second late) has the same totals.
    def closed():
        return [line for line in server.server_log().splitlines()
                if "nbd_connection_close" in line and f"volume={volume_id}" in line]
    assert wait_for(lambda: len(closed()) >= 2, timeout=10), closed()
    line = next(line for line in closed() if f"written_bytes={sum(sizes)}" in line)
    assert f"instance={instance_id}" in line
    assert re.search(rf"\bread_bytes={12345 + CHUNK}\b", line), line
    assert re.search(r"\brequests=(\d+)\b", line) and int(re.search(r"\brequests=(\d+)\b", line).group(1)) >= 10
    assert "reason=" in line
    opened = [line for line in server.server_log().splitlines() if "nbd_connection_open" in line]
    assert opened
