"""kura serve with its metadata in PostgreSQL (--metadata-url): a KMS key, an
encrypted volume and a snapshot made with boto3 live in the database (not in
a SQLite file), and a restart on the same database and data dir describes
them identically. A bad metadata URL stops the server at start, saying why,
never showing the password."""
import datetime
import json
import os
import subprocess

import pytest

from kura_server import KuraServer, free_port
from postgres_support import ThrowawayPostgres, postgres_available

available, why = postgres_available()


def without_metadata(response):
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def describe_everything(server, key_id, volume_id, snapshot_id):
    kms = server.boto3("kms")
    ec2 = server.boto3("ec2")
    return {
        "key": without_metadata(kms.describe_key(KeyId=key_id)),
        "aliases": [a for a in kms.list_aliases()["Aliases"] if a.get("TargetKeyId") == key_id],
        "volume": ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"],
        "snapshot": ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"],
        "default_key": without_metadata(ec2.get_ebs_default_kms_key_id()),
    }


@pytest.mark.skipif(not available, reason=why)
def test_metadata_in_postgres_survives_a_restart():
    if "KURA_BIN" not in os.environ:
        pytest.skip("KURA_BIN is not set (run through ctest)")
    with ThrowawayPostgres(password=True) as pg:
        args = ["--metadata-url", pg.url, "--ec2-min-transition-ms", "50"]
        first = KuraServer(extra_args=args)
        second = None
        try:
            kms = first.boto3("kms")
            key_id = kms.create_key(Description="volumes on postgres")["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName="alias/pg-volumes", TargetKeyId=key_id)
            ec2 = first.boto3("ec2")
            ec2.modify_ebs_default_kms_key_id(KmsKeyId=key_id)
            volume_id = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, Encrypted=True,
                                          KmsKeyId=key_id)["VolumeId"]
            ec2.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            snapshot_id = ec2.create_snapshot(VolumeId=volume_id, Description="on postgres")["SnapshotId"]
            ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot_id],
                                                      WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            before = describe_everything(first, key_id, volume_id, snapshot_id)
            assert before["volume"][0]["Encrypted"] is True and before["snapshot"][0]["Encrypted"] is True
            assert first.stop() == 0, first.server_log()[-4000:]

            # The metadata went to PostgreSQL, not to a SQLite file in the data dir.
            assert not os.path.exists(os.path.join(first.dir, "data", "metadata.db"))
            assert pg.query("SELECT COUNT(*) FROM kms_keys") == ["1"]
            assert int(pg.query("SELECT COUNT(*) FROM ec2_records")[0]) >= 2
            assert "metadata_store_opened" in first.server_log()
            assert pg.password not in first.server_log()

            # kura admin cost reads the same tables, from PostgreSQL too.
            month = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m")
            done = subprocess.run([first.binary, "admin", "cost", "--data-dir", os.path.join(first.dir, "data"),
                                   "--metadata-url", pg.url, "--account", first.account_id, "--month", month],
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            bill = json.loads(done.stdout)
            assert bill["AccountId"] == first.account_id and bill["KeyMonths"] > 0 and bill["Requests"] > 0

            second = KuraServer(reuse_dir=first.dir, extra_args=args)
            after = describe_everything(second, key_id, volume_id, snapshot_id)
            assert after == before
            # And it still works: the key encrypts under the restarted server.
            blob = second.boto3("kms").encrypt(KeyId="alias/pg-volumes", Plaintext=b"hello")["CiphertextBlob"]
            assert second.boto3("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"hello"
            assert pg.password not in second.server_log()
        finally:
            if second:
                assert second.stop() == 0, second.server_log()[-4000:]
            else:
                first.stop()
            first.cleanup()


def serve_fails(tmp_path, extra_args=(), env=None):
    """Runs kura serve expecting it to refuse to start; returns its output."""
    args = [os.environ["KURA_BIN"], "serve", "--data-dir", str(tmp_path / "data"),
            "--listen", f"127.0.0.1:{free_port()}", "--nbd-listen", "127.0.0.1:0", *extra_args]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})})
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    return output


def test_bad_metadata_url_is_a_clear_error_at_start(tmp_path):
    if "KURA_BIN" not in os.environ:
        pytest.skip("KURA_BIN is not set (run through ctest)")
    unreachable = f"postgresql://kura:s3cret-pw@127.0.0.1:{free_port()}/kura"
    output = serve_fails(tmp_path, ["--metadata-url", unreachable])
    assert "cannot reach PostgreSQL" in output and "postgresql://kura:***@127.0.0.1" in output, output
    assert "s3cret-pw" not in output, output

    # The same from the environment.
    output = serve_fails(tmp_path, env={"KURA_METADATA_URL": unreachable})
    assert "cannot reach PostgreSQL" in output and "s3cret-pw" not in output, output

    output = serve_fails(tmp_path, ["--metadata-url", "mysql://root:hunter2@db/kura"])
    assert "expected sqlite:///PATH or postgresql://" in output and "hunter2" not in output, output

    if not available:
        pytest.skip(f"the errors of a running server: {why}")
    with ThrowawayPostgres(password=True) as pg:
        output = serve_fails(tmp_path, ["--metadata-url", pg.url.rsplit("/", 1)[0] + "/no_such_database"])
        assert "no such database" in output and "createdb" in output, output
        assert pg.password not in output, output
        wrong = pg.url.replace(pg.password, "wrong-password-123")
        output = serve_fails(tmp_path, ["--metadata-url", wrong])
        assert "refused the login" in output and "password authentication failed" in output, output
        assert "wrong-password-123" not in output and pg.password not in output, output
        output = serve_fails(tmp_path, ["--metadata-url", pg.url.replace("postgres:", "no_such_role:")])
        assert "refused the login" in output, output
