"""The on-disk format of block volumes, checked from outside kura.

blocktool (tests/tools/blocktool.cc) writes recognisable patterns through the
engine; this test then reads the data directory on its own, knowing only the
documented layout (docs/formats/block-volume.md):

  DIR/metadata.db        SQLite; blocks_lineages, blocks_chunks, blocks_snapshots
  DIR/chunks/<xx>/chunk-<16 hex id>, xx = last two hex digits, 524288 bytes each

Chunk i of a reader at (lineage L, generation g) is the newest blocks_chunks row
with lineage = L, chunk_index = i, generation <= g, else the same lookup in
parent_lineage at parent_generation; no row or object_id 0 reads as zeros. In an
encrypted lineage each 4096-byte sector is AES-256-XTS under the 64-byte data key
with tweak = logical sector number (little-endian, 16 bytes); an all-zero stored
sector is a hole (zeros). The result must equal both the pattern and what
blocktool reads.

Environment: KURA_BLOCKTOOL, the blocktool binary (set by CTest).
"""

import os
import sqlite3
import subprocess

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCKTOOL = os.environ.get("KURA_BLOCKTOOL")
pytestmark = pytest.mark.skipif(not BLOCKTOOL, reason="KURA_BLOCKTOOL is not set (run through ctest -L e2e)")

CHUNK = 524288
SECTOR = 4096
GIB = 1 << 30
FOREVER = 1 << 62  # a volume reads at generation +infinity


# ---- driving kura through blocktool ---------------------------------------------------


class Kura:
    def __init__(self, tmp_path):
        self.data_dir = str(tmp_path / "data")
        self.scratch = tmp_path / "scratch"  # keys and I/O files live outside the data directory
        self.scratch.mkdir()
        self.counter = 0

    def _file(self, content=None):
        self.counter += 1
        path = self.scratch / f"f{self.counter}"
        if content is not None:
            path.write_bytes(content)
        return str(path)

    def new_key(self):
        while True:
            key = os.urandom(64)
            if key[:32] != key[32:]:
                return key

    def run(self, *args, key=None):
        cmd = [BLOCKTOOL, "--data-dir", self.data_dir]
        if key is not None:
            cmd += ["--key-file", self._file(key)]
        cmd += [str(a) for a in args]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stderr}"
        return result.stdout.strip()

    def create_volume(self, key, size_gib=1):
        return int(self.run("create-volume", "--size-gib", size_gib, key=key))

    def write(self, volume, offset, data, key):
        self.run("write", "--volume", volume, "--offset", offset, "--input", self._file(data), key=key)

    def read(self, volume, offset, length, key):
        out = self._file()
        self.run("read", "--volume", volume, "--offset", offset, "--length", length, "--output", out, key=key)
        with open(out, "rb") as f:
            return f.read()

    def snapshot(self, volume):
        return int(self.run("snapshot", "--volume", volume))

    def volume_from_snapshot(self, snapshot, key):
        return int(self.run("volume-from-snapshot", "--snapshot", snapshot, key=key))

    def copy(self, snapshot, source_key, target_key, to_volume):
        args = ["copy", "--snapshot", snapshot]
        if source_key is not None:
            args += ["--source-key-file", self._file(source_key)]
        if target_key is not None:
            args += ["--target-key-file", self._file(target_key)]
        if to_volume:
            args.append("--to-volume")
        return int(self.run(*args))


# ---- reading the data directory independently ---------------------------------------


class DataDir:
    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.db = sqlite3.connect(os.path.join(data_dir, "metadata.db"))

    def close(self):
        self.db.close()

    def lineage(self, lineage):
        row = self.db.execute("SELECT encrypted, parent_lineage, parent_generation FROM blocks_lineages WHERE id = ?",
                              (lineage,)).fetchone()
        assert row is not None, f"no lineage {lineage}"
        return {"encrypted": bool(row[0]), "parent_lineage": row[1], "parent_generation": row[2]}

    def snapshot_reader(self, snapshot):
        row = self.db.execute("SELECT lineage, generation FROM blocks_snapshots WHERE id = ?", (snapshot,)).fetchone()
        assert row is not None, f"no snapshot {snapshot}"
        return row[0], row[1]

    def object_of(self, lineage, generation, index):
        while lineage is not None:
            row = self.db.execute(
                "SELECT object_id FROM blocks_chunks WHERE lineage = ? AND chunk_index = ? AND generation <= ? "
                "ORDER BY generation DESC LIMIT 1", (lineage, index, generation)).fetchone()
            if row is not None:
                return row[0]
            parent = self.lineage(lineage)
            lineage, generation = parent["parent_lineage"], parent["parent_generation"]
        return 0

    def object_path(self, object_id):
        return os.path.join(self.data_dir, "chunks", f"{object_id & 0xff:02x}", f"chunk-{object_id:016x}")

    def raw_object(self, object_id):
        path = self.object_path(object_id)
        assert os.path.getsize(path) == CHUNK, f"{path} is not {CHUNK} bytes"
        with open(path, "rb") as f:
            return f.read()

    def chunk_plaintext(self, lineage, generation, index, key):
        """Chunk `index` as the reader (lineage, generation) sees it; key None = unencrypted."""
        object_id = self.object_of(lineage, generation, index)
        if object_id == 0:
            return bytes(CHUNK)
        raw = self.raw_object(object_id)
        if key is None:
            return raw
        out = bytearray()
        for s in range(CHUNK // SECTOR):
            sector = raw[s * SECTOR:(s + 1) * SECTOR]
            if sector == bytes(SECTOR):
                out += sector  # a hole
                continue
            tweak = (index * (CHUNK // SECTOR) + s).to_bytes(8, "little") + bytes(8)
            decryptor = Cipher(algorithms.AES(key), modes.XTS(tweak)).decryptor()
            out += decryptor.update(sector) + decryptor.finalize()
        return bytes(out)

    def read(self, lineage, generation, offset, length, key):
        out = bytearray()
        pos = offset
        while pos < offset + length:
            index = pos // CHUNK
            chunk = self.chunk_plaintext(lineage, generation, index, key)
            start = pos - index * CHUNK
            piece = min(CHUNK - start, offset + length - pos)
            out += chunk[start:start + piece]
            pos += piece
        return bytes(out)


# ---- expected content ----------------------------------------------------------------


def pattern(tag, offset, length):
    """16-byte records '<tag><15-digit record number>' at absolute volume offsets: recognisable and placed."""
    first = offset // 16
    last = (offset + length + 15) // 16
    text = b"".join(b"%s%015d" % (tag, n) for n in range(first, last))
    start = offset - first * 16
    return text[start:start + length]


class Model:
    """The expected bytes of a volume, as (offset -> bytes) writes applied in order."""

    def __init__(self, writes=()):
        self.writes = list(writes)

    def write(self, offset, data):
        self.writes.append((offset, data))

    def copy(self):
        return Model(self.writes)

    def read(self, offset, length):
        out = bytearray(length)
        for w_offset, data in self.writes:
            lo = max(offset, w_offset)
            hi = min(offset + length, w_offset + len(data))
            if lo < hi:
                out[lo - offset:hi - offset] = data[lo - w_offset:hi - w_offset]
        return bytes(out)


def regions_of(model, extra=()):
    """Whole chunks touched by the model's writes (plus `extra` chunk indices), as (offset, length)."""
    indices = set(extra)
    for offset, data in model.writes:
        indices.update(range(offset // CHUNK, (offset + len(data) - 1) // CHUNK + 1))
    return [(i * CHUNK, CHUNK) for i in sorted(indices)]


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b)) if len(a) != len(b) else None


def check_reader(kura, disk, volume, lineage, generation, model, key, extra_chunks=()):
    """Independent decryption, blocktool's read (when `volume` is set) and the model must agree."""
    for offset, length in regions_of(model, extra_chunks):
        expected = model.read(offset, length)
        independent = disk.read(lineage, generation, offset, length, key)
        diff = first_difference(independent, expected)
        assert diff is None, (
            f"independent read of lineage {lineage} at generation {generation}, offset {offset + diff}: "
            f"{independent[diff:diff + 16]!r} != expected {expected[diff:diff + 16]!r}")
        if volume is not None:
            via_kura = kura.read(volume, offset, length, key)
            diff = first_difference(via_kura, expected)
            assert diff is None, (f"blocktool read of volume {volume} at offset {offset + diff}: "
                                  f"{via_kura[diff:diff + 16]!r} != expected {expected[diff:diff + 16]!r}")


def write_both(kura, model, volume, offset, data, key):
    kura.write(volume, offset, data, key)
    model.write(offset, data)


# ---- tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "unencrypted"])
def test_volume_reads_back_from_the_documented_layout(tmp_path, encrypted):
    kura = Kura(tmp_path)
    key = kura.new_key() if encrypted else None
    volume = kura.create_volume(key)
    model = Model()
    write_both(kura, model, volume, 0, pattern(b"A", 0, 3 * CHUNK + 1000), key)  # several whole chunks and a tail
    write_both(kura, model, volume, 5 * CHUNK - 77, pattern(b"B", 5 * CHUNK - 77, 200), key)  # across a boundary
    write_both(kura, model, volume, 10 * CHUNK + 4095, pattern(b"C", 10 * CHUNK + 4095, 1), key)  # one byte
    write_both(kura, model, volume, 20 * CHUNK + 3 * SECTOR, pattern(b"D", 20 * CHUNK + 3 * SECTOR, 2 * SECTOR), key)
    write_both(kura, model, volume, GIB - 3 * SECTOR - 5, pattern(b"E", GIB - 3 * SECTOR - 5, 3 * SECTOR + 5), key)
    write_both(kura, model, volume, 100, pattern(b"F", 100, 50), key)  # overwrite inside an existing sector

    disk = DataDir(kura.data_dir)
    try:
        assert disk.lineage(volume)["encrypted"] == encrypted
        check_reader(kura, disk, volume, volume, FOREVER, model, key, extra_chunks=[7, 1000])
        assert disk.object_of(volume, FOREVER, 7) == 0  # never written: no object

        raw = disk.raw_object(disk.object_of(volume, FOREVER, 0))
        plain = model.read(0, CHUNK)
        if encrypted:
            # Ciphertext everywhere, and the key matters.
            for s in range(CHUNK // SECTOR):
                assert raw[s * SECTOR:(s + 1) * SECTOR] != plain[s * SECTOR:(s + 1) * SECTOR]
            wrong = disk.read(volume, FOREVER, 0, CHUNK, kura.new_key())
            assert wrong != plain
        else:
            assert raw == plain
    finally:
        disk.close()


def test_volume_from_snapshot_partly_overwritten(tmp_path):
    kura = Kura(tmp_path)
    key = kura.new_key()
    source = kura.create_volume(key)
    before = Model()
    write_both(kura, before, source, 0, pattern(b"S", 0, 4 * CHUNK), key)
    write_both(kura, before, source, 9 * CHUNK + 10, pattern(b"T", 9 * CHUNK + 10, 5000), key)
    snapshot = kura.snapshot(source)

    # The source moves on; neither the snapshot nor the child may see it.
    after = before.copy()
    write_both(kura, after, source, CHUNK + 1234, pattern(b"U", CHUNK + 1234, 3 * SECTOR), key)
    write_both(kura, after, source, 12 * CHUNK, pattern(b"V", 12 * CHUNK, 100), key)

    child = kura.volume_from_snapshot(snapshot, key)
    child_model = before.copy()
    at = 2 * CHUNK - 3 * SECTOR - 7  # partial sectors, across chunks 1 and 2
    write_both(kura, child_model, child, at, pattern(b"W", at, 6 * SECTOR), key)
    write_both(kura, child_model, child, 3 * CHUNK + 77, pattern(b"X", 3 * CHUNK + 77, 1), key)
    write_both(kura, child_model, child, 15 * CHUNK, pattern(b"Y", 15 * CHUNK, CHUNK), key)  # a chunk only it has

    disk = DataDir(kura.data_dir)
    try:
        info = disk.lineage(child)
        assert info["parent_lineage"] == source
        snap_lineage, snap_generation = disk.snapshot_reader(snapshot)
        assert snap_lineage == source
        extra = [9, 12, 15]
        check_reader(kura, disk, child, child, FOREVER, child_model, key, extra)
        check_reader(kura, disk, source, source, FOREVER, after, key, extra)
        check_reader(kura, disk, None, snap_lineage, snap_generation, before, key, extra)
        # Chunk 0 is untouched by the child: it reads through to the snapshot's object.
        assert disk.object_of(child, FOREVER, 0) == disk.object_of(snap_lineage, snap_generation, 0)
        # Chunks the child wrote are its own copies.
        for index in (1, 2, 3):
            assert disk.object_of(child, FOREVER, index) != disk.object_of(snap_lineage, snap_generation, index)
    finally:
        disk.close()


def test_copy_under_a_new_key(tmp_path):
    kura = Kura(tmp_path)
    old_key, new_key = kura.new_key(), kura.new_key()
    source = kura.create_volume(old_key)
    model = Model()
    write_both(kura, model, source, 0, pattern(b"P", 0, 2 * CHUNK + 500), old_key)
    write_both(kura, model, source, 7 * CHUNK - 9, pattern(b"Q", 7 * CHUNK - 9, 3 * SECTOR), old_key)
    write_both(kura, model, source, 30 * CHUNK + 5 * SECTOR, pattern(b"R", 30 * CHUNK + 5 * SECTOR, SECTOR), old_key)
    snapshot = kura.snapshot(source)

    copied_volume = kura.copy(snapshot, old_key, new_key, to_volume=True)
    copied_snapshot = kura.copy(snapshot, old_key, new_key, to_volume=False)
    from_copy = kura.volume_from_snapshot(copied_snapshot, new_key)
    from_copy_model = model.copy()
    write_both(kura, from_copy_model, from_copy, 2 * CHUNK + 100, pattern(b"Z", 2 * CHUNK + 100, 700), new_key)

    disk = DataDir(kura.data_dir)
    try:
        extra = [3, 40]
        check_reader(kura, disk, copied_volume, copied_volume, FOREVER, model, new_key, extra)
        copy_lineage, copy_generation = disk.snapshot_reader(copied_snapshot)
        check_reader(kura, disk, None, copy_lineage, copy_generation, model, new_key, extra)
        check_reader(kura, disk, from_copy, from_copy, FOREVER, from_copy_model, new_key, extra)
        for lineage in (copied_volume, copy_lineage):
            info = disk.lineage(lineage)
            assert info["encrypted"] and info["parent_lineage"] is None  # a lineage of its own
            for index in (0, 1, 2, 6, 7, 30):
                copy_object = disk.object_of(lineage, FOREVER, index)
                assert copy_object not in (0, disk.object_of(source, FOREVER, index))
                # Re-encrypted: the old key no longer decrypts it.
                assert disk.read(lineage, FOREVER, index * CHUNK, CHUNK, old_key) != model.read(index * CHUNK, CHUNK)
    finally:
        disk.close()
