"""Fuzz-style bodies: whatever a client sends, the API answers 4xx JSON, never 5xx."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(
    json_values.map(json.dumps),
    st.dictionaries(
        st.sampled_from(["age", "username", "password", "topic", "note", "listener"]), json_values, max_size=3
    ).map(json.dumps),
    st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
)
ENDPOINTS = ["/api/v1/session/anonymous", "/api/v1/session/login", "/api/v1/requests/mine", "/api/v1/me/password"]


@pytest.mark.django_db
@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, endpoint=st.sampled_from(ENDPOINTS))
def test_random_bodies_never_cause_a_server_error(api_client, settings, body, endpoint):
    # Limits high enough for every generated example (clearing the cache instead
    # would flush a Redis shared with the other test worker).
    settings.HEARTH_ANON_SESSIONS_PER_IP = settings.HEARTH_LOGIN_RATE_PER_IP = 10**6
    settings.HEARTH_LOGIN_RATE_PER_USERNAME = 10**6
    response = api_client.post(endpoint, body, content_type="application/json")
    assert response.status_code < 500, response.content
    assert response["Content-Type"].startswith("application/json")
    assert "error" in response.json() or response.status_code in (200, 201, 204)
