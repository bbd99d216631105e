"""Settings switch on environment variables alone (run in a subprocess each)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','support.settings'); django.setup();"
    "from django.conf import settings as s;"
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'layer': s.CHANNEL_LAYERS['default']['BACKEND'],"
    "'cache': s.CACHES['default']['BACKEND'], 'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS,"
    "'pool': s.DATABASES['default'].get('OPTIONS', {}).get('pool'), 'csrf': s.CSRF_TRUSTED_ORIGINS,"
    "'binding': s.DATABASES['default'].get('OPTIONS', {}).get('server_side_binding'),"
    "'prepare': s.DATABASES['default'].get('OPTIONS', {}).get('prepare_threshold', 'unset'),"
    "'hosts_cfg': s.CHANNEL_LAYERS['default'].get('CONFIG', {}).get('hosts'), 'secure_cookie': s.SESSION_COOKIE_SECURE,"
    "'hsts': s.SECURE_HSTS_SECONDS}))"
)
CLEAN = {
    k: v
    for k, v in os.environ.items()
    if k
    not in {
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "DJANGO_SETTINGS_MODULE",
    }
}


def run_python(tmp_path, script: str, *, base: dict[str, str] = CLEAN, **env) -> subprocess.CompletedProcess:
    """``script`` in a fresh interpreter with ``base`` and ``env`` as its only environment."""
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**base, "HEARTH_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def probe(tmp_path, **env) -> subprocess.CompletedProcess:
    return run_python(tmp_path, PROBE, **env)


def setting(tmp_path, name: str, *, base: dict[str, str] = CLEAN, **env) -> str:
    """The value of setting ``name`` (as printed) when the process starts with ``env``."""
    script = (
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE','support.settings'); django.setup();"
        f"from django.conf import settings; print(settings.{name})"
    )
    result = run_python(tmp_path, script, base=base, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_no_variables_give_sqlite_and_in_memory_layer_with_debug(tmp_path):
    result = probe(tmp_path)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["engine"] == "django.db.backends.sqlite3"
    assert config["layer"] == "support.layers.InMemoryChannelLayer"
    assert config["debug"] is True


def test_database_url_switches_to_pooled_postgresql(tmp_path):
    result = probe(tmp_path, DATABASE_URL="postgres://u@db.internal:5432/hearth")
    config = json.loads(result.stdout)
    assert config["engine"] == "django.db.backends.postgresql"
    assert config["pool"]["max_size"] >= 1
    # Parameters are bound on the client and nothing is prepared on the server, so a
    # transaction-mode PgBouncer in front needs no setting.
    assert config["binding"] is None and config["prepare"] == "unset"


def test_redis_url_switches_layer_and_cache_and_raises_connection_cap(tmp_path):
    result = probe(tmp_path, REDIS_URL="redis://cache.internal:6379/2")
    config = json.loads(result.stdout)
    assert config["layer"].startswith("channels_redis.")
    assert config["cache"] == "support.cache.RedisCache"
    assert config["hosts_cfg"][0]["max_connections"] >= 1000


def test_debug_off_without_secret_key_refuses_to_start(tmp_path):
    result = probe(tmp_path, DEBUG="0", ALLOWED_HOSTS="hearth.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_off_without_allowed_hosts_refuses_to_start(tmp_path):
    result = probe(tmp_path, DEBUG="0", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_variables_turn_on_secure_cookies_and_hsts(tmp_path):
    result = probe(
        tmp_path,
        DEBUG="0",
        SECRET_KEY="s" * 60,
        ALLOWED_HOSTS="hearth.example,www.hearth.example",
        CSRF_TRUSTED_ORIGINS="https://hearth.example",
    )
    config = json.loads(result.stdout)
    assert config["debug"] is False
    assert config["hosts"] == ["hearth.example", "www.hearth.example"]
    assert config["csrf"] == ["https://hearth.example"]
    assert config["secure_cookie"] is True
    assert config["hsts"] >= 31536000


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DEBUG": "maybe"}, "DEBUG must be one of"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must start with"),
        ({"DATABASE_POOL_MAX": "lots", "DATABASE_URL": "postgres://u@h/d"}, "DATABASE_POOL_MAX must be a whole number"),
        ({"CHANNEL_LAYER_KIND": "carrier-pigeon"}, "CHANNEL_LAYER_KIND must be"),
        ({"TRUSTED_PROXIES": "127.0.0.1,nginx.internal"}, "TRUSTED_PROXIES: 'nginx.internal' is not an IP address"),
    ],
)
def test_bad_environment_values_fail_with_the_variable_named(tmp_path, env, message):
    result = probe(tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    env = {
        **CLEAN,
        "HEARTH_VAR_DIR": str(tmp_path),
        "DEBUG": "0",
        "SECRET_KEY": "k" * 64 + "!Aa9",
        "ALLOWED_HOSTS": "hearth.example",
        "DATABASE_URL": "postgres://u@db.internal:5432/hearth",
        "REDIS_URL": "redis://cache.internal:6379/0",
        "SECURE_HSTS_PRELOAD": "1",
        "CLIENT_IP_HEADER": "X-Real-IP",
        "TRUSTED_PROXIES": "127.0.0.1",  # behind docs/nginx.conf
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_refuses_unsafe_production_settings(tmp_path):
    env = {**CLEAN, "HEARTH_VAR_DIR": str(tmp_path), "DEBUG": "0", "SECRET_KEY": "k" * 64, "ALLOWED_HOSTS": "*"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "hearth.E002" in output  # ALLOWED_HOSTS *
    assert "hearth.E003" in output  # in-memory layer
    assert "hearth.E006" in output  # SQLite


@pytest.mark.parametrize(
    "value",
    [
        "hearth.example.org",
        "ftp://hearth.example.org",
        "https://",
        "https://h.example/?x=1",
        "https://user:pw@h.example",
        "https://h.example:port",
    ],
)
def test_a_public_url_that_is_not_an_absolute_http_address_is_refused_at_start_up(tmp_path, value):
    result = probe(tmp_path, HEARTH_PUBLIC_URL=value)
    assert result.returncode != 0
    assert "HEARTH_PUBLIC_URL" in result.stderr


def test_the_public_url_loses_its_trailing_slash(tmp_path):
    assert setting(tmp_path, "HEARTH_PUBLIC_URL", HEARTH_PUBLIC_URL="https://hearth.example.org/") == (
        "https://hearth.example.org"
    )


def test_the_asgi_application_freezes_start_up_objects_out_of_the_collector(tmp_path):
    # Full collections over Django's own objects stalled every socket for 90–136 ms (docs/performance.md).
    result = run_python(tmp_path, "import gc, support.asgi; print(gc.get_freeze_count())")
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) > 10_000


# Settings renamed from "escalation" words: the new name wins, the deprecated one still counts alone.
RENAMED_SETTINGS = [
    ("SAFETY_UNCLAIMED_OVERDUE_SECONDS", "SAFETY_UNCLAIMED_ESCALATE_SECONDS", 120),
    ("LISTENERS_HARD_CHAT_COOLDOWN_SECONDS", "LISTENERS_ESCALATION_COOLDOWN_SECONDS", 900),
]


@pytest.mark.parametrize("name, old_name, default", RENAMED_SETTINGS)
@pytest.mark.parametrize(
    "given, expected",
    [
        ({}, None),
        ({"new": "90"}, 90),
        ({"old": "600"}, 600),
        ({"new": "90", "old": "600"}, 90),
    ],
)
def test_a_renamed_setting_falls_back_to_its_deprecated_earlier_name(
    tmp_path, name, old_name, default, given, expected
):
    env = {{"new": name, "old": old_name}[which]: value for which, value in given.items()}
    base = {key: value for key, value in CLEAN.items() if key not in {name, old_name}}
    assert int(setting(tmp_path, name, base=base, **env)) == (default if expected is None else expected)
