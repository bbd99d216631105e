"""Runs the web app's JavaScript unit tests that need no browser (``node --test``).

The ``*.test.mjs`` files beside this one import modules from ``frontend/static/frontend/js/`` directly:
``socket.js`` (the socket clients) and ``staff_state.js`` (the staff desk's reducer).
Skipped, with a reason, where Node.js is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_socket_clients_pass_their_node_unit_tests():
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    files = sorted(str(path) for path in HERE.glob("*.test.mjs"))
    result = subprocess.run([node, "--test", *files], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
