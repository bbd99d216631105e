"""A listener on one Daphne process grooms a teen on the other: held, and staff on either are alerted live.

Two real Daphne processes on one PostgreSQL database and one Redis channel layer. The listener
is connected to the first, the 15-year-old seeker to the second, and a safety-staff console to
each. The listener's message must never reach the teen (not live, not in a sync from seq 0),
the listener is told it was held, and both consoles get the alert within a second.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from tests.e2e.servers import DaphneCluster, HttpClient
from tests.e2e.test_chat_two_processes import Client

pytestmark = [pytest.mark.e2e]
GROOMING = "you can tell me anything. add me on snap so we can talk after, just keep this between us ok"


async def _staff_console(server):
    http = HttpClient(server.http)
    http.login("safety", "hearth-demo-safety")
    socket = await websockets.connect(
        f"{server.ws}/ws/v1/staff/", origin=server.http, additional_headers=http.ws_headers(), compression=None
    )
    while json.loads(await socket.recv())["type"] != "hello":
        pass
    return socket


async def _alert(socket) -> dict:
    while True:
        frame = json.loads(await socket.recv())
        if frame["type"] == "alert.created":
            return frame["alert"]


async def scenario(listener_server, teen_server):
    listener_http = HttpClient(listener_server.http)
    listener_http.login("listener", "hearth-demo-listener")
    teen_http = HttpClient(teen_server.http)
    teen_http.start_anonymous(age=15)
    listener, teen = Client(listener_server, listener_http), Client(teen_server, teen_http)
    await listener.connect()
    await teen.connect()
    staff_here, staff_there = await _staff_console(listener_server), await _staff_console(teen_server)

    await listener.send({"type": "shift.start", "topics": ["anxiety"], "capacity": 2})
    await listener.expect("shift.start.ack")
    await teen.send({"type": "request.create", "topic": "anxiety"})
    conversation = (await teen.expect("request.created"))["request"]["conversation"]
    offer = await listener.expect("offer.created")
    await listener.send({"type": "offer.accept", "offer": offer["offer"]["id"]})
    await listener.expect("conversation.started")
    await teen.expect("conversation.started")

    await listener.send({"type": "message.send", "conversation": conversation, "client_id": "g-1", "text": GROOMING})
    held = await listener.expect("message.held")
    alerts = await asyncio.wait_for(asyncio.gather(_alert(staff_here), _alert(staff_there)), timeout=1.0)
    hold = await listener.expect("listener.review_hold")

    # Everything the teen's process had to send has been sent once a ping is answered.
    await teen.send({"type": "ping", "ref": "p"})
    await teen.expect("pong")
    await teen.send({"type": "conversation.sync", "conversation": conversation, "after_seq": 0})
    await teen.expect("conversation.messages")
    teen_texts = [message["text"] for message in teen.messages.get(conversation, {}).values()]
    for socket in (staff_here, staff_there):
        await socket.close()
    await listener.close()
    await teen.close()
    return conversation, held, alerts, hold, teen_texts


def test_grooming_a_teen_across_processes_is_held_and_alerts_staff_on_both_within_a_second(
    tmp_path, postgres_url, redis_url
):
    with DaphneCluster(workdir=tmp_path, postgres_url=postgres_url, redis_url=redis_url) as cluster:
        cluster.manage("seed_demo")
        listener_server, teen_server = cluster.start(), cluster.start()
        conversation, held, alerts, hold, teen_texts = asyncio.run(scenario(listener_server, teen_server))

        import psycopg

        with psycopg.connect(cluster.database_url) as conn:
            stored = [
                row[0]
                for row in conn.execute(
                    "SELECT text FROM chat_message WHERE conversation_id = %s", (conversation,)
                ).fetchall()
            ]
            held_rows = conn.execute(
                "SELECT text FROM safety_heldmessage WHERE conversation_id = %s", (conversation,)
            ).fetchall()

    assert held["duplicate"] is False and held["notice"]
    for alert in alerts:
        assert alert["conversation"] == conversation and alert["subject_role"] == "listener"
        assert "listener_misconduct" in alert["categories"] and alert["listener_paused"] is True
    assert hold["held"] is True
    assert all("snap" not in text for text in teen_texts)
    assert all("snap" not in text for text in stored)
    assert len(held_rows) == 1
