"""schemathesis against the OpenAPI schema of a real Daphne, signed in and not: no 5xx, no schema violation.

Runs the ``schemathesis`` CLI (the same as a developer would) with the
checks ``not_a_server_error`` and ``response_schema_conformance`` (plus
status codes and content types documented). The report's failures are shown
when it fails.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.servers import DaphneCluster, HttpClient
from tests.hardening.conftest import size
from tests.hardening.proto import E2E_ENV

pytestmark = [pytest.mark.security, pytest.mark.e2e]
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CHECKS = "not_a_server_error,response_schema_conformance"


def _run(server, headers: dict[str, str], examples: int, tmp_path: Path, name: str) -> subprocess.CompletedProcess:
    argv = [
        SCHEMATHESIS,
        "run",
        f"{server.http}/api/schema/",
        "--checks",
        CHECKS,
        "--max-examples",
        str(examples),
        "--generation-deterministic",
        "--request-timeout",
        "10",
        "--continue-on-failure",
        "--exclude-path",
        "/api/v1/session/logout",  # would end the signed-in run's own session
        "--report",
        "junit",
        "--report-junit-path",
        str(tmp_path / f"{name}.xml"),
    ]
    for key, value in headers.items():
        argv += ["--header", f"{key}: {value}"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=900)


# CI: signed out and as a seeker, 5 examples per operation; the full run adds listener and staff, 100 each.
@pytest.mark.parametrize("who", size(["anonymous", "seeker"], ["anonymous", "seeker", "listener", "staff"]))
def test_the_api_never_answers_5xx_or_outside_its_schema(tmp_path, who):
    if not Path(SCHEMATHESIS).exists():
        pytest.fail("schemathesis is not installed (pip install -e '.[test]')")
    with DaphneCluster(workdir=tmp_path, extra_env={**E2E_ENV, "HEARTH_SCHEDULER_IN_PROCESS": "0"}) as cluster:
        cluster.manage("seed_demo")
        server = cluster.start()
        http = HttpClient(server.http)
        http.request("GET", "/api/v1/session/csrf")
        if who == "seeker":
            http.start_anonymous(30)
        elif who == "listener":
            http.login("listener", "hearth-demo-listener")
        elif who == "staff":
            http.login("safety", "hearth-demo-safety")
        headers = {"Origin": server.http, "Referer": server.http + "/"}
        if http.cookies:
            headers["Cookie"] = http.cookie_header()
        if "csrftoken" in http.cookies:
            headers["X-CSRFToken"] = http.cookies["csrftoken"]
        result = _run(server, headers, size(5, 100), tmp_path, who)
        log = server.log()
    output = result.stdout + result.stderr
    assert "Traceback" not in log, log[-3000:]
    assert result.returncode == 0, output[-6000:]
