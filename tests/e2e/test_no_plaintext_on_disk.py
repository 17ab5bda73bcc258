"""No plaintext and no data key in the data directory of encrypted volumes.

blocktool writes several MiB of a repeated 64-byte ASCII marker to an
encrypted volume, snapshots it, copies the snapshot under a second key and
creates a volume from the copy (and writes the marker there too). Then every
file under the data directory (chunk objects, metadata.db and its -wal/-shm
files if present) is scanned: no 64-byte window of the pattern (that is, no
rotation of the marker) and neither data key (nor either 32-byte half of one)
may appear. A control case shows that the same scan finds the pattern for an
unencrypted volume, so the scan is able to see it.

Environment: KURA_BLOCKTOOL, the blocktool binary (set by CTest).
"""

import os
import stat
import subprocess

import pytest

BLOCKTOOL = os.environ.get("KURA_BLOCKTOOL")
pytestmark = pytest.mark.skipif(not BLOCKTOOL, reason="KURA_BLOCKTOOL is not set (run through ctest -L e2e)")

CHUNK = 524288
MARKER = b"<kura plaintext marker: if you can read this on disk it leaked>\n"
assert len(MARKER) == 64
# Every 64-byte window of MARKER * n is one of these.
WINDOWS = [MARKER[i:] + MARKER[:i] for i in range(len(MARKER))]
assert len(set(WINDOWS)) == 64


def pattern(size):
    return (MARKER * (size // len(MARKER) + 1))[:size]


class Kura:
    def __init__(self, data_dir, scratch):
        self.data_dir = str(data_dir)
        self.scratch = scratch  # outside the data directory: keys and input files
        self.scratch.mkdir(exist_ok=True)
        self.counter = 0

    def file(self, content):
        self.counter += 1
        path = self.scratch / f"f{self.counter}"
        path.write_bytes(content)
        return str(path)

    def run(self, *args, key=None):
        cmd = [BLOCKTOOL, "--data-dir", self.data_dir]
        if key is not None:
            cmd += ["--key-file", self.file(key)]
        cmd += [str(a) for a in args]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stderr}"
        return result.stdout.strip()

    def write(self, volume, offset, data, key):
        self.run("write", "--volume", volume, "--offset", offset, "--input", self.file(data), key=key)


def new_key():
    while True:
        key = os.urandom(64)
        if key[:32] != key[32:]:
            return key


def scan(data_dir, needles):
    """(path, offset, needle name) of every needle found in any regular file under data_dir (a
    live server's data directory also holds its NBD sockets); and the files scanned."""
    found, scanned = [], []
    for root, _, files in os.walk(data_dir):
        for name in files:
            path = os.path.join(root, name)
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue
            with open(path, "rb") as f:
                content = f.read()
            scanned.append(os.path.relpath(path, data_dir))
            for needle_name, needle in needles:
                at = content.find(needle)
                if at >= 0:
                    found.append((os.path.relpath(path, data_dir), at, needle_name))
    return found, scanned


def pattern_needles():
    return [(f"pattern window at marker offset {i}", w) for i, w in enumerate(WINDOWS)]


def key_needles(name, key):
    return [(name, key), (f"{name} (first half)", key[:32]), (f"{name} (second half)", key[32:])]


def fill_volumes(kura, key, second_key):
    """The pattern in a volume, its snapshot, a copy (under second_key) and a volume from the copy."""
    volume = int(kura.run("create-volume", "--size-gib", "1", key=key))
    kura.write(volume, 0, pattern(4 << 20), key)  # whole chunks
    kura.write(volume, (10 << 20) + 123, pattern(3 << 20), key)  # unaligned: partial sectors at both ends
    snapshot = int(kura.run("snapshot", "--volume", volume))
    copy_args = ["copy", "--snapshot", snapshot]
    if key is not None:
        copy_args += ["--source-key-file", kura.file(key)]
    if second_key is not None:
        copy_args += ["--target-key-file", kura.file(second_key)]
    copied = int(kura.run(*copy_args))
    from_copy = int(kura.run("volume-from-snapshot", "--snapshot", copied, key=second_key))
    kura.write(from_copy, (1 << 20) + 7, pattern(1 << 20), second_key)  # copy-on-write of copied chunks
    kura.write(from_copy, 40 << 20, pattern(1 << 20), second_key)  # chunks of its own
    copied_volume = int(kura.run(*copy_args, "--to-volume"))
    assert kura.run("read", "--volume", copied_volume, "--offset", 0, "--length", 64,
                    "--output", str(kura.scratch / "check"), key=second_key) == ""
    assert (kura.scratch / "check").read_bytes() == MARKER


def test_no_plaintext_or_key_on_disk(tmp_path):
    data_dir = tmp_path / "data"
    kura = Kura(data_dir, tmp_path / "scratch")
    key, second_key = new_key(), new_key()
    fill_volumes(kura, key, second_key)

    found, scanned = scan(data_dir, pattern_needles() + key_needles("data key", key) +
                          key_needles("second data key", second_key))
    assert "metadata.db" in scanned
    assert sum(1 for path in scanned if os.path.basename(path).startswith("chunk-")) >= 20
    assert not found, "plaintext or key material in the data directory:\n" + "\n".join(
        f"  {path} at byte {at}: {what}" for path, at, what in found)


def test_control_scan_finds_plaintext_of_unencrypted_volume(tmp_path):
    data_dir = tmp_path / "data"
    kura = Kura(data_dir, tmp_path / "scratch")
    fill_volumes(kura, None, None)

    found, _ = scan(data_dir, pattern_needles())
    chunk_hits = {path for path, _, _ in found if os.path.basename(path).startswith("chunk-")}
    assert len(chunk_hits) >= 20, f"the scan should see the unencrypted pattern, found {found[:5]}"
    assert {what for _, _, what in found} == {name for name, _ in pattern_needles()}
