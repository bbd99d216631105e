"""pip-audit over the locked dependencies: the lock is current, and a known-vulnerable pin fails the audit."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIP_AUDIT = str(Path(sys.executable).with_name("pip-audit"))

pytestmark = [pytest.mark.security]


def test_the_lock_pins_the_installed_versions_of_the_runtime_dependencies():
    pins = dict(
        line.split("==", 1) for line in (ROOT / "requirements.lock").read_text().splitlines() if "==" in line
    )
    pins = {name.lower().replace("_", "-"): value for name, value in pins.items()}
    for package in ("Django", "channels", "daphne", "channels-redis", "djangorestframework", "psycopg", "Twisted", "autobahn"):
        assert pins.get(package.lower()) == version(package), f"requirements.lock is stale for {package}: run make lock"


def test_pip_audit_fails_on_a_known_vulnerability(tmp_path):
    lock = tmp_path / "vulnerable.lock"
    lock.write_text("django==3.2.0\n")  # many published advisories (e.g. CVE-2021-31542)
    result = subprocess.run(
        [PIP_AUDIT, "-r", str(lock), "--no-deps", "--strict", "--progress-spinner", "off"],
        capture_output=True, text=True, timeout=120,
    )
    output = result.stdout + result.stderr
    if "could not be audited" in output or "ConnectionError" in output:
        # Not one of our services: the advisory data lives outside this network.
        pytest.skip("pip-audit cannot reach its advisory source from here (only a partial PyPI mirror is reachable)")
    assert result.returncode != 0
    assert "django" in output.lower() and "known vulnerabilit" in output.lower()
