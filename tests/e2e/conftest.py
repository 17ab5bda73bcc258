import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from kura_server import KuraServer  # noqa: E402


@pytest.fixture(scope="module")
def kura():
    if "KURA_BIN" not in os.environ:
        pytest.skip("KURA_BIN is not set (run through ctest)")
    server = KuraServer()
    yield server
    code = server.stop()
    log = server.server_log() if os.path.exists(server.log_path) else ""
    server.cleanup()
    assert code == 0, f"kura serve exited with {code}:\n{log[-4000:]}"


@pytest.fixture(scope="module")
def ec2_server():
    """A kura serve for the EC2 tests: transitions held 50 ms, so clients see
    the intermediate states and waiters finish fast. One per test module."""
    if "KURA_BIN" not in os.environ:
        pytest.skip("KURA_BIN is not set (run through ctest)")
    server = KuraServer(extra_args=["--ec2-min-transition-ms", "50"])
    yield server
    code = server.stop()
    log = server.server_log() if os.path.exists(server.log_path) else ""
    server.cleanup()
    assert code == 0, f"kura serve exited with {code}:\n{log[-4000:]}"
