"""CI guard: what one chat message costs on the consumer hot path.

A message goes ``chat.frames.message_send`` -> ``support.events.run_service``
-> ``chat.services.messages.message_send`` on the real ASGI application. The
service is wrapped (in the database thread it runs in, where the connection
it uses lives) to count the SQL queries it runs, compared with
``bench/baselines/hot_path.json``. A change that adds queries to the
per-message path fails here with the SQL it ran; when the cost drops, lower
the baseline in the same commit.

Connections opened per message are not guarded here: the test database is
an in-memory SQLite connection that Django never closes, so it would always
read 0. ``docs/performance.md`` has the profile of the real server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.services import messages as message_services
from tests.chat.helpers import matched_pair
from tests.ws import connected, receive_until

pytestmark = pytest.mark.django_db(transaction=True)

BASELINE = json.loads((Path(__file__).resolve().parents[2] / "bench" / "baselines" / "hot_path.json").read_text())
MESSAGES = 5


class Meter:
    """Wraps the message service; records the queries of each call."""

    def __init__(self, service):
        self.service = service
        self.calls: list[dict] = []

    def __call__(self, **kwargs):
        with CaptureQueriesContext(connection) as captured:
            result = self.service(**kwargs)
        self.calls.append(
            {
                "queries": len(captured),
                "sql": [q["sql"][:160] for q in captured.captured_queries],
            }
        )
        return result


async def test_one_chat_message_costs_no_more_queries_than_the_committed_baseline(monkeypatch):
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    meter = Meter(message_services.message_send)
    monkeypatch.setattr(message_services, "message_send", meter)
    async with connected(seeker) as s, connected(listener) as l:
        for i in range(MESSAGES):
            await s.send_json_to(
                {
                    "type": "message.send",
                    "conversation": conversation.pk,
                    "client_id": f"g{i}",
                    "text": f"a quiet evening, message {i}",
                }
            )
            ack = await receive_until(s, "message.ack")
            assert ack["duplicate"] is False
            delivered = await receive_until(l, "message.created")
            assert delivered["message"]["seq"] == ack["seq"]
    assert len(meter.calls) == MESSAGES
    # The first message may warm caches (classifier, content types); the steady state is what grows.
    steady = meter.calls[1:]
    queries = max(call["queries"] for call in steady)
    # PostgreSQL writes the sequence number and the row in one statement: its own, lower, baseline.
    limit = BASELINE.get(f"message_send_{connection.vendor}", BASELINE["message_send"])
    detail = json.dumps(steady[-1], indent=1)
    assert queries <= limit["queries"] + limit["allowed_extra_queries"], (
        f"one message now runs {queries} queries (baseline {limit['queries']}):\n{detail}"
    )


async def test_a_resent_message_is_answered_without_writing(monkeypatch):
    """The idempotent re-send path must stay read-only: one lookup, no insert."""
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    meter = Meter(message_services.message_send)
    monkeypatch.setattr(message_services, "message_send", meter)
    async with connected(seeker) as s:
        for _ in range(2):
            await s.send_json_to(
                {"type": "message.send", "conversation": conversation.pk, "client_id": "same", "text": "are you there?"}
            )
            await receive_until(s, "message.ack")
    resend = meter.calls[1]
    assert not any(q.upper().startswith(("INSERT", "UPDATE")) for q in resend["sql"]), resend["sql"]
    assert resend["queries"] <= BASELINE["message_send_duplicate"]["queries"], json.dumps(resend, indent=1)


async def test_a_message_takes_one_trip_to_the_database_thread(monkeypatch):
    """The sender's service is the only hop to a database thread of a message, sent and delivered.

    Channels' own ``dispatch`` hops to the database thread before every frame and
    every layer event; under load each delivery then waited behind other people's
    writes there. ``support.ws.FrameConsumer.dispatch`` leaves that hop out.
    """
    from asgiref import sync as asgiref_sync

    seeker, listener, conversation = await sync_to_async(matched_pair)()
    trips: list[str] = []
    original_call = asgiref_sync.SyncToAsync.__call__

    async def counting_call(self, *args, **kwargs):
        trips.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await original_call(self, *args, **kwargs)

    async with connected(seeker) as s, connected(listener) as l:
        monkeypatch.setattr(asgiref_sync.SyncToAsync, "__call__", counting_call)
        for i in range(MESSAGES):
            await s.send_json_to(
                {
                    "type": "message.send",
                    "conversation": conversation.pk,
                    "client_id": f"t{i}",
                    "text": f"still here, message {i}",
                }
            )
            ack = await receive_until(s, "message.ack")
            echoed = await receive_until(s, "message.created")
            delivered = await receive_until(l, "message.created")
            assert echoed["message"]["seq"] == delivered["message"]["seq"] == ack["seq"]
        monkeypatch.undo()
    assert len(trips) == MESSAGES, trips
