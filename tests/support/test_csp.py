"""Every HTML page carries a strict Content-Security-Policy, the API docs and the admin included."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from django.test import Client

from tests.factories import StaffFactory


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def _assert_strict(directives: dict[str, list[str]]) -> None:
    assert directives["connect-src"] == ["'self'"], "sockets and fetches may reach this origin only"
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    for values in directives.values():
        assert not {"'unsafe-inline'", "'unsafe-eval'", "ws:", "wss:", "*"} & set(values)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/talk/", "/admin/login/", "/api/docs/", "/no-such-page/"])
def test_html_pages_carry_a_strict_policy(path):
    response = Client().get(path)
    assert response["Content-Type"].startswith("text/html")
    _assert_strict(_directives(response))


@pytest.mark.django_db
def test_the_browsable_api_carries_the_policy():
    client = Client()
    client.force_login(StaffFactory())
    response = client.get("/api/v1/topics", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    _assert_strict(_directives(response))


@pytest.mark.django_db
def test_the_api_docs_run_no_inline_script_and_allow_only_their_own_inline_style():
    response = Client().get("/api/docs/")
    html = response.content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, f"inline script in the API docs: {tag}"
    allowed = set(_directives(response)["style-src"])
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    for style in styles:
        digest = "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"
        assert digest in allowed, f"the API docs' inline style changed: allow {digest} in support/urls.py"
    assert allowed - {"'self'"} <= {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in styles
    }, "a hash for a style the page no longer has"


@pytest.mark.django_db
def test_the_api_docs_start_up_script_is_served_as_a_file():
    response = Client().get("/api/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"/api/schema/" in response.content
