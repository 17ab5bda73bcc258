"""Starts and stops a real `kura serve` for end-to-end tests, and runs the
real aws CLI (v2 from Debian at /usr/bin/aws; v1 when the PATH has it) and
boto3 against it. The server gets a fresh data directory and a free port."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_credentials(path):
    values = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.split("=", 1)
                values[k.strip()] = v.strip()
    return values["aws_access_key_id"], values["aws_secret_access_key"]


class KuraServer:
    def __init__(self, extra_args=(), account_id="111111111111", reuse_dir=None):
        """`reuse_dir`: the `dir` of an earlier, stopped server: a restart on its data."""
        self.binary = os.environ["KURA_BIN"]
        self.dir = reuse_dir or tempfile.mkdtemp(prefix="kura-e2e-")
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.account_id = account_id
        self.log_path = os.path.join(self.dir, "server.log")
        self.log = open(self.log_path, "a")
        # Tests run side by side: the NBD TCP port is any free one unless a test chooses.
        nbd = [] if any(str(a).startswith("--nbd-listen") for a in extra_args) else ["--nbd-listen", "127.0.0.1:0"]
        args = [self.binary, "serve", "--data-dir", os.path.join(self.dir, "data"),
                "--listen", f"127.0.0.1:{self.port}", "--bootstrap-account-id", account_id, *nbd, *extra_args]
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kura serve exited with {self.process.returncode}: {self.server_log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("kura serve did not listen: " + self.server_log())
        self.credentials_path = os.path.join(self.dir, "data", "credentials")
        self.access_key_id, self.secret_access_key = read_credentials(self.credentials_path)

    def server_log(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        """SIGTERM, as an operator would; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode

    def kill(self):
        """SIGKILL: a crash, with no chance to flush or shut down."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- clients ---------------------------------------------------------------

    def boto3(self, service, access_key_id=None, secret_access_key=None, region="us-east-1"):
        import boto3
        from botocore.config import Config
        return boto3.client(service, endpoint_url=self.endpoint, region_name=region,
                            aws_access_key_id=access_key_id or self.access_key_id,
                            aws_secret_access_key=secret_access_key or self.secret_access_key,
                            config=Config(retries={"max_attempts": 1}))

    def aws(self, *args, cli="/usr/bin/aws", access_key_id=None, secret_access_key=None, region="us-east-1"):
        """Runs an aws CLI; returns (exit code, parsed JSON or None, stderr)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({
            "AWS_ACCESS_KEY_ID": access_key_id or self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": secret_access_key or self.secret_access_key,
            "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_PAGER": "",
            "AWS_MAX_ATTEMPTS": "1",
        })
        command = (cli if isinstance(cli, list) else [cli]) + ["--endpoint-url", self.endpoint, "--output", "json", *args]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        parsed = None
        if done.stdout.strip():
            try:
                parsed = json.loads(done.stdout)
            except ValueError:
                parsed = done.stdout
        return done.returncode, parsed, done.stderr


def aws_v1_command():
    """The aws CLI v1 of the python on PATH (awscli package), if there is one."""
    for python in ("python3", "python"):
        path = shutil.which(python)
        if not path or path.startswith("/usr/bin/"):
            continue
        probe = subprocess.run([path, "-c", "import awscli"], capture_output=True)
        if probe.returncode == 0:
            return [path, "-m", "awscli"]
    return None
