"""Retention settings out of range stop start-up with the setting's name (run in a subprocess each)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','support.settings'); django.setup();"
    "from django.conf import settings as s; print(s.SAFETY_RETENTION_AUDIT_DAYS, s.SAFETY_RETENTION_BATCH)"
)


def _start(tmp_path, **env):
    from tests.support.test_settings import CLEAN

    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**CLEAN, "HEARTH_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("SAFETY_RETENTION_AUDIT_DAYS", "7", "at least 30"),
        ("SAFETY_RETENTION_ROOM_MESSAGE_DAYS", "0", "at least 1"),
        ("SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS", "forever", "whole number"),
        ("SAFETY_RETENTION_BATCH", "100000", "at most 10000"),
        ("SAFETY_RETENTION_INTERVAL_SECONDS", "5", "at least 60"),
        ("SAFETY_RETENTION_EXCERPT_DAYS", "-1", "at least 0"),
    ],
)
def test_a_retention_setting_out_of_range_fails_at_start_up_naming_it(tmp_path, name, value, expected):
    result = _start(tmp_path, **{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr and expected in result.stderr


def test_retention_settings_have_their_documented_defaults(tmp_path):
    result = _start(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["730", "500"]
