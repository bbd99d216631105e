"""Runs the web app's JavaScript checks that need no browser, with Node.js.

The ``*.test.mjs`` files beside this one (``node --test``) import modules from
``frontend/static/frontend/js/`` directly: the conversation client, the socket, and each page's
reducer. Every page module must also parse: one that does not leaves its page blank.
Skipped, with a reason, where Node.js is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
MODULES = HERE.parents[1] / "frontend" / "static" / "frontend" / "js"


@pytest.fixture
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("Node.js is not installed")
    return found


def test_socket_clients_and_page_reducers_pass_their_node_unit_tests(node):
    files = sorted(str(path) for path in HERE.glob("*.test.mjs"))
    result = subprocess.run([node, "--test", *files], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_every_page_module_parses(node):
    modules = sorted(MODULES.glob("*.js"))
    assert modules
    for module in modules:
        result = subprocess.run(
            [node, "--input-type=module", "--check"],
            input=module.read_text(),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, f"{module.name}: {result.stderr[-1500:]}"
