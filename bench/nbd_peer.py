#!/usr/bin/env python3
"""NBD benchmark: the same fio workloads (fio's nbd engine) and nbdcopy streams, in one run and
on the same backing storage (tmpfs, then the real disk), against kura with an encrypted and an
unencrypted volume and against the peers: qemu-nbd on a raw file and on a LUKS image
(aes-xts-plain64; LUKS1, the version Debian 12's qemu and nbdkit read), nbdkit's file plugin and nbdkit with its luks filter. Prints each figure
(median of --runs), the ratios of kura-encrypted to the best encrypted peer and to the fastest
unencrypted peer of the same run, the hardware limits measured in the same run (AES-256-XTS on
one core, the storage's sequential read), and the issue's targets as PASS/MISS. Timings never
fail the run; a target that cannot start or an I/O error does (exit 1).

  bench/nbd_peer.py [--quick] [--smoke] [--runs N] [--seconds S] [--size-mib N]
                    [--storage tmpfs|disk|both] [--targets a,b,...]
Environment: KURA_BIN (default build/src/cmd/kura).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

PASSPHRASE = "kura-bench-passphrase"
ENCRYPTED_PEERS = ["qemu-nbd-luks", "nbdkit-luks"]
PLAIN_PEERS = ["qemu-nbd-raw", "nbdkit-file"]
ALL_TARGETS = ["kura-enc", "kura-plain"] + PLAIN_PEERS + ENCRYPTED_PEERS
# name -> (fio rw, block size, queue depth); figures are MB/s for 1M, IOPS for 4k.
WORKLOADS = {
    "seqread-1M-qd16": ("read", "1M", 16),
    "seqwrite-1M-qd16": ("write", "1M", 16),
    "randread-4k-qd1": ("randread", "4k", 1),
    "randread-4k-qd32": ("randread", "4k", 32),
    "randwrite-4k-qd1": ("randwrite", "4k", 1),
    "randwrite-4k-qd32": ("randwrite", "4k", 32),
    "mix70-4k-qd32": ("randrw", "4k", 32),
}
STREAMS = ["nbdcopy-read", "nbdcopy-write"]


def sh(*command, check=True, capture=True, timeout=600):
    done = subprocess.run(list(command), capture_output=capture, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {(done.stderr or '')[-1500:]}")
    return done


def wait_socket(path, process, what):
    deadline = time.monotonic() + 30
    while not os.path.exists(path):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.05)


class Peers:
    """Starts the peer servers over images in `base`; stops them all."""

    def __init__(self, base, size):
        self.base, self.size, self.processes = base, size, []

    def spawn(self, name, argv, socket):
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(process)
        wait_socket(socket, process, name)
        return f"nbd+unix:///?socket={socket}"

    def luks_image(self):
        path = os.path.join(self.base, "luks.img")
        if not os.path.exists(path):
            # LUKS1, aes-xts-plain64 with a 512-bit key: Debian 12's qemu (7.2) cannot open LUKS2
            # and nbdkit's luks filter reads LUKS1 only; the data path (AES-256-XTS, 512-byte
            # sectors) is what dm-crypt's LUKS2 default would use. Few PBKDF iterations: opening is instant.
            sh("qemu-img", "create", "-f", "luks", "--object", f"secret,id=sec0,data={PASSPHRASE}",
               "-o", "key-secret=sec0,cipher-alg=aes-256,cipher-mode=xts,ivgen-alg=plain64,iter-time=10",
               path, str(self.size))
        return path

    def raw_image(self):
        path = os.path.join(self.base, "raw.img")
        with open(path, "wb") as f:
            f.truncate(self.size)
        return path

    def start(self, name):
        socket = os.path.join(self.base, name + ".sock")
        if name == "nbdkit-file":
            return self.spawn(name, ["nbdkit", "-f", "-U", socket, "file", self.raw_image()], socket)
        if name == "nbdkit-luks":
            return self.spawn(name, ["nbdkit", "-f", "-U", socket, "--filter=luks", "file", self.luks_image(),
                                     f"passphrase={PASSPHRASE}"], socket)
        common = ["qemu-nbd", "-k", socket, "-t", "--shared=16", "--cache=writeback", "--aio=threads",
                  "--discard=unmap"]
        if name == "qemu-nbd-raw":
            return self.spawn(name, common + ["-f", "raw", self.raw_image()], socket)
        if name == "qemu-nbd-luks":
            return self.spawn(name, common + ["--object", f"secret,id=sec0,data={PASSPHRASE}", "--image-opts",
                                              f"driver=luks,key-secret=sec0,file.filename={self.luks_image()}"],
                              socket)
        raise ValueError(name)

    def stop(self):
        for p in self.processes:
            p.terminate()
        for p in self.processes:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        self.processes = []


class Kura:
    """One kura serve with its data on the round's storage; an instance with an encrypted and
    an unencrypted volume attached."""

    def __init__(self, base):
        os.environ.setdefault("KURA_BIN", os.path.join(ROOT, "build", "src", "cmd", "kura"))
        from kura_server import KuraServer
        tempfile.tempdir = base  # KuraServer makes its data directory with mkdtemp
        try:
            self.server = KuraServer(extra_args=["--ec2-min-transition-ms", "0"])
        finally:
            tempfile.tempdir = None
        self.uris = {}

    def start(self):
        from nbd_support import attach_new_volume, export_of, instance_with_volume
        ec2, kms = self.server.boto3("ec2"), self.server.boto3("kms")
        key = kms.create_key(Description="bench")["KeyMetadata"]["Arn"]
        instance, encrypted = instance_with_volume(ec2, kms_key_id=key)
        plain = attach_new_volume(ec2, instance, "/dev/sdg", encrypted=False)
        self.uris["kura-enc"] = export_of(self.server, instance, encrypted)["Uri"]
        self.uris["kura-plain"] = export_of(self.server, instance, plain)["Uri"]

    def stop(self):
        self.server.stop()
        self.server.cleanup()


def settle():
    """Waits until the page cache has written back what the previous measurement left dirty (and
    kura's flush-on-disconnect is done), so that no target is measured under another's writeback:
    on a real disk that background work otherwise lands on whichever target runs next."""
    os.sync()


def fio(uri, rw, bs, qd, size, seconds):
    settle()
    out = sh("fio", "--name=bench", "--ioengine=nbd", f"--uri={uri}", f"--rw={rw}", f"--bs={bs}",
             f"--iodepth={qd}", f"--size={size}", "--time_based", f"--runtime={seconds}", "--rwmixread=70",
             "--randrepeat=0", "--output-format=json", timeout=seconds + 120).stdout
    job = json.loads(out[out.index("{"):])["jobs"][0]
    if job.get("error"):
        raise RuntimeError(f"fio {rw} on {uri}: error {job['error']}")
    if bs == "4k":
        return job["read"]["iops"] + job["write"]["iops"]
    return (job["read"]["bw_bytes"] + job["write"]["bw_bytes"]) / 1e6


def stream(uri, direction, fill_file, size):
    settle()
    started = time.monotonic()
    if direction == "nbdcopy-read":
        sh("nbdcopy", uri, "null:", timeout=600)
        moved = size_of(uri)
    else:
        sh("nbdcopy", "--flush", fill_file, uri, timeout=600)
        moved = size
    return moved / (time.monotonic() - started) / 1e6


def size_of(uri):
    return int(sh("nbdinfo", "--size", uri).stdout.strip())


def hardware(base, fill_file, seconds):
    limits = {}
    done = sh("openssl", "speed", "-evp", "aes-256-xts", "-bytes", "1048576", "-seconds", str(max(1, seconds // 2)),
              check=False)
    for line in (done.stdout or "").splitlines():
        if line.startswith("aes-256-xts") or line.startswith("AES-256-XTS"):
            limits["AES-256-XTS, 1 core (MB/s)"] = float(line.split()[-1].rstrip("k")) * 1000 / 1e6
    out = sh("fio", "--name=storage", "--ioengine=psync", f"--filename={fill_file}", "--rw=read", "--bs=1M",
             "--time_based", f"--runtime={seconds}", "--output-format=json").stdout
    limits["storage seq read, psync 1M (MB/s)"] = json.loads(out[out.index("{"):])["jobs"][0]["read"]["bw_bytes"] / 1e6
    return limits


def round_on(storage, args, targets):
    if storage == "tmpfs":
        base = tempfile.mkdtemp(prefix="kura-nbd-bench-", dir="/dev/shm")
    else:
        base = tempfile.mkdtemp(prefix="kura-nbd-bench-", dir="/var/tmp")
    size = args.size_mib << 20
    fill_file = os.path.join(base, "fill.bin")
    with open(fill_file, "wb") as f:  # incompressible data, the same for every target
        for _ in range(args.size_mib):
            f.write(os.urandom(1 << 20))
    peers, kura = Peers(base, 1 << 30), None
    results = {t: {} for t in targets}
    try:
        uris = {}
        if any(t.startswith("kura") for t in targets):
            kura = Kura(base)
            kura.start()
            uris.update({t: kura.uris[t] for t in targets if t.startswith("kura")})
        for t in targets:
            if not t.startswith("kura"):
                uris[t] = peers.start(t)
        for t in targets:  # prefill the working set: reads must read real data
            sh("nbdcopy", "--flush", fill_file, uris[t], timeout=600)
        for name, (rw, bs, qd) in WORKLOADS.items():
            for t in targets:
                results[t][name] = statistics.median(
                    fio(uris[t], rw, bs, qd, f"{args.size_mib}M", args.seconds) for _ in range(args.runs))
            print(f"  {name:20s} " + "  ".join(f"{t}={results[t][name]:.0f}" for t in targets), flush=True)
        for name in STREAMS:
            for t in targets:
                results[t][name] = statistics.median(stream(uris[t], name, fill_file, size) for _ in range(args.runs))
            print(f"  {name:20s} " + "  ".join(f"{t}={results[t][name]:.0f}" for t in targets), flush=True)
        limits = hardware(base, fill_file, args.seconds)
    finally:
        peers.stop()
        if kura:
            kura.stop()
        shutil.rmtree(base, ignore_errors=True)
    return results, limits


def report(storage, results, limits, targets):
    enc = [t for t in ENCRYPTED_PEERS if t in targets]
    plain = [t for t in PLAIN_PEERS if t in targets]
    print(f"\n== {storage}: medians (MB/s for 1M and nbdcopy, IOPS for 4k)")
    header = f"{'workload':20s}" + "".join(f"{t:>15s}" for t in targets)
    if "kura-enc" in targets and enc:
        header += f"{'enc/best-enc':>14s}"
    if "kura-enc" in targets and plain:
        header += f"{'enc/best-plain':>16s}"
    print(header)
    ratio = {}
    for name in list(WORKLOADS) + STREAMS:
        line = f"{name:20s}" + "".join(f"{results[t][name]:15.0f}" for t in targets)
        if "kura-enc" in targets and enc:
            best = max(results[t][name] for t in enc)
            ratio[(name, "enc")] = results["kura-enc"][name] / best
            line += f"{ratio[(name, 'enc')]:13.2f}x"
        if "kura-enc" in targets and plain:
            best = max(results[t][name] for t in plain)
            ratio[(name, "plain")] = results["kura-enc"][name] / best
            line += f"{ratio[(name, 'plain')]:15.2f}x"
        print(line)
    for what, value in limits.items():
        print(f"limit: {what} = {value:.0f}")
    goals = [(n, "enc", 1.5) for n in ("seqread-1M-qd16", "seqwrite-1M-qd16", "randread-4k-qd32", "randwrite-4k-qd32")]
    goals += [(n, "plain", 0.8) for n in ("seqread-1M-qd16", "randread-4k-qd32")]
    for name, against, goal in goals:
        if (name, against) in ratio:
            r = ratio[(name, against)]
            peer = "best encrypted peer" if against == "enc" else "fastest unencrypted peer"
            print(f"target: kura-enc {name} >= {goal}x {peer}: {r:.2f}x {'PASS' if r >= goal else 'MISS'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 run of 1 s per workload, 256 MiB")
    parser.add_argument("--smoke", action="store_true", help="--quick on tmpfs, kura and nbdkit-file only (CTest)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--size-mib", type=int, default=1024, help="working set (at most 1024: the volumes' size)")
    parser.add_argument("--storage", choices=["tmpfs", "disk", "both"], default="both")
    parser.add_argument("--targets", default=",".join(ALL_TARGETS))
    args = parser.parse_args()
    if args.quick or args.smoke:
        args.runs, args.seconds, args.size_mib = 1, 1, 256
    targets = [t for t in args.targets.split(",") if t]
    if args.smoke:
        args.size_mib, args.storage, targets = 64, "tmpfs", ["kura-enc", "kura-plain", "nbdkit-file"]
    unknown = set(targets) - set(ALL_TARGETS)
    if unknown or args.size_mib > 1024:
        parser.error(f"unknown targets {sorted(unknown)}" if unknown else "--size-mib is at most 1024")
    storages = ["tmpfs", "disk"] if args.storage == "both" else [args.storage]
    estimate = len(storages) * len(targets) * args.runs * (len(WORKLOADS) * (args.seconds + 1) + 2 * 2)
    print(f"nbd bench: {', '.join(targets)} on {', '.join(storages)}; about {estimate // 60 + 1} min", flush=True)
    for storage in storages:
        print(f"== {storage}", flush=True)
        results, limits = round_on(storage, args, targets)
        report(storage, results, limits, targets)


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print(f"nbd bench: {e}", file=sys.stderr)
        sys.exit(1)
