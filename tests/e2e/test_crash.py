"""Crash test of the block engine: kill the writer at random moments, then verify.

Each iteration starts `crash_writer run` on the same data directory, lets it
work for a random 20-250 ms, SIGKILLs it, and requires `crash_writer verify`
to pass: the volume must hold every flushed write (bytes of writes that were
not flushed yet may be old or new) and every journaled snapshot exactly what
was written before it. See the comment at the top of tests/tools/crash_writer.cc.

Environment:
  KURA_CRASH_WRITER      path of the crash_writer binary (set by CTest)
  KURA_CRASH_ITERATIONS  number of kill/verify rounds (default 200)
  KURA_CRASH_SEED        seed of the test's randomness (default: random; printed on failure)
  KURA_CRASH_KEEP        if set, the data directory is kept (and its path printed)
  KURA_CRASH_DEADLINE    seconds after which no new iteration starts (default 480), so
                         that a loaded machine cannot push the test past ~8 minutes
"""

import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

CRASH_WRITER = os.environ.get("KURA_CRASH_WRITER")
ITERATIONS = int(os.environ.get("KURA_CRASH_ITERATIONS", "200"))
DEADLINE = float(os.environ.get("KURA_CRASH_DEADLINE", "480"))


def _run_verify(data_dir):
    return subprocess.run([CRASH_WRITER, "verify", "--data-dir", data_dir], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.skipif(not CRASH_WRITER, reason="KURA_CRASH_WRITER is not set (run through ctest -L e2e)")
def test_kill_and_verify_loop():
    seed = int(os.environ.get("KURA_CRASH_SEED", str(random.SystemRandom().randrange(1 << 31))))
    rng = random.Random(seed)
    writer_seed = rng.randrange(1 << 31)  # the op stream's seed, fixed for this data directory
    data_dir = tempfile.mkdtemp(prefix="kura-crash-")
    keep = bool(os.environ.get("KURA_CRASH_KEEP"))
    context = f"KURA_CRASH_SEED={seed} (writer seed {writer_seed}, data dir {data_dir})"
    started = time.monotonic()
    last = None
    failed = True
    iterations = 0
    try:
        for iteration in range(ITERATIONS):
            if time.monotonic() - started > DEADLINE:
                print(f"deadline of {DEADLINE} s reached after {iteration} of {ITERATIONS} iterations")
                break
            writer = subprocess.Popen(
                [CRASH_WRITER, "run", "--data-dir", data_dir, "--seed", str(writer_seed)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.020, 0.250))
            writer.send_signal(signal.SIGKILL)
            out, err = writer.communicate(timeout=60)
            # It never stops by itself: any other end is a failed operation.
            assert writer.returncode == -signal.SIGKILL, (
                f"iteration {iteration}: crash_writer run exited with {writer.returncode} before the kill; "
                f"{context}\nstdout:\n{out.decode(errors='replace')}\nstderr:\n{err.decode(errors='replace')}")

            result = _run_verify(data_dir)
            assert result.returncode == 0, (
                f"iteration {iteration}: crash_writer verify failed; {context}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
            last = result.stdout
            iterations += 1
        elapsed = time.monotonic() - started
        print(f"{iterations} iterations in {elapsed:.1f} s; last verify: {last.strip() if last else None}")

        # The run must have made real progress, or it proves nothing.
        if ITERATIONS >= 50:
            assert iterations >= 50, f"only {iterations} iterations ran before the deadline; {context}"
            match = re.search(r"flushed_ops=(\d+) snapshots_checked=(\d+)", last or "")
            assert match, f"unexpected verify output {last!r}; {context}"
            assert int(match.group(1)) >= 100, f"too little progress: {last.strip()}; {context}"
            with open(os.path.join(data_dir, "journal")) as journal:
                snapshots = sum(1 for line in journal if line.startswith("snapshot "))
            assert snapshots >= 1, f"no snapshot was ever journaled; {context}"
        failed = False
    finally:
        if keep or failed:
            print(f"data directory kept: {data_dir}; {context}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
