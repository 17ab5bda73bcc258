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
    args = {"AvailabilityZone": ZONE, "Size": size_gib, "VolumeType": "gp3", "Encrypted": encrypted}
    if kms_key_id:
        args["KmsKeyId"] = kms_key_id
    volume_id = ec2.create_volume(**args)["VolumeId"]
    wait(ec2, "volume_available", VolumeIds=[volume_id])
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device=device)
    wait(ec2, "volume_in_use", VolumeIds=[volume_id])
    return instance_id, volume_id


def run(*command, timeout=300, check=True, input=None):
    done = subprocess.run(list(command), capture_output=True, timeout=timeout, input=input)
    if check:
        assert done.returncode == 0, f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()[-2000:]}"
    return done


def nbdsh(uri, script, check=True, timeout=300):
    """Runs a Python snippet in nbdsh with `h` connected to `uri`; returns its stdout."""
    done = run("nbdsh", "-u", uri, "-c", script, check=check, timeout=timeout)
    return done.stdout.decode()
