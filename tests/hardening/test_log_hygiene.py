"""No message text, session id, CSRF token or password ever appears in the servers' logs.

A whole chat runs end to end on two Daphne processes with production
settings (DEBUG off) and every logger at DEBUG: sign-in, shift, request,
match, messages both ways, a crisis message (flag, staff alert), resume,
logout. Then every line both processes wrote is searched.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.e2e.servers import DaphneCluster, HttpClient
from tests.hardening.proto import E2E_ENV, ResilientClient

pytestmark = [pytest.mark.security, pytest.mark.e2e]

PRODUCTION_ENV = {
    **E2E_ENV,
    "DEBUG": "0",
    "SECRET_KEY": "hardening-" + "k" * 50,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",  # plain http in the test; the names and values are what matter
    "CSRF_COOKIE_SECURE": "0",
    "LOG_LEVEL": "DEBUG",
    "HEARTH_SCHEDULER_IN_PROCESS": "1",
}


async def _chat(servers, secrets: list[str]) -> None:
    seeker_http, listener_http, staff_http = (
        HttpClient(servers[0].http),
        HttpClient(servers[1].http),
        HttpClient(servers[1].http),
    )
    await asyncio.to_thread(seeker_http.start_anonymous, 29)
    await asyncio.to_thread(listener_http.login, "listener", "hearth-demo-listener")
    await asyncio.to_thread(staff_http.login, "safety", "hearth-demo-safety")
    for http in (seeker_http, listener_http, staff_http):
        secrets += [value for value in http.cookies.values() if len(value) >= 16]
    seeker = ResilientClient([servers[0]], seeker_http, name="seeker")
    listener = ResilientClient([servers[1]], listener_http, name="listener")
    staff = ResilientClient([servers[1]], staff_http, name="staff", path="/ws/v1/staff/")
    for client in (seeker, listener, staff):
        await client.start()
    await listener.send({"type": "shift.start", "topics": ["anxiety"], "capacity": 2})
    await listener.expect("shift.start.ack")
    note = f"note-{uuid.uuid4().hex}"
    secrets.append(note)
    await seeker.send({"type": "request.create", "topic": "anxiety", "note": note})
    conversation = (await seeker.expect("request.created"))["request"]["conversation"]
    offer = await listener.expect("offer.created")
    await listener.send({"type": "offer.accept", "offer": offer["offer"]["id"]})
    await seeker.expect("conversation.started")
    for _ in range(5):
        for client in (seeker, listener):
            text = f"private {client.name} words {uuid.uuid4().hex}"
            secrets.append(text)
            await client.send_message(conversation, text)
    crisis = f"i want to kill myself tonight {uuid.uuid4().hex[:12]}"
    secrets.append(crisis)
    await seeker.send_message(conversation, crisis)
    await staff.expect("alert.created")
    await seeker.sync(conversation)
    await seeker.expect("conversation.messages")
    await asyncio.sleep(1)
    for http in (seeker_http, listener_http, staff_http):
        await asyncio.to_thread(http.request, "POST", "/api/v1/session/logout")
    await asyncio.sleep(1)
    for client in (seeker, listener, staff):
        await client.stop()


def test_no_message_text_session_id_or_token_reaches_the_logs(tmp_path, postgres_url, redis_url):
    secrets: list[str] = ["hearth-demo-listener", "hearth-demo-safety"]
    with DaphneCluster(
        workdir=tmp_path, postgres_url=postgres_url, redis_url=redis_url, extra_env=PRODUCTION_ENV
    ) as cluster:
        cluster.manage("seed_demo", "--force")  # a throwaway instance with DEBUG off
        servers = [cluster.start(), cluster.start()]
        asyncio.run(_chat(servers, secrets))
        logs = "\n".join(server.log() for server in servers)
    assert len(logs) > 0
    leaked = [secret for secret in secrets if secret in logs]
    assert not leaked, f"found in the logs: {leaked}"
    assert "sessionid=" not in logs and "csrftoken=" not in logs
    print(f"log hygiene: {len(logs.splitlines())} log lines, {len(secrets)} secrets checked, none found")
