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
