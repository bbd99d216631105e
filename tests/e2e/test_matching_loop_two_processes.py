"""The matching loop across two real Daphne processes (one PostgreSQL, one Redis).

The listener is on one process and the seekers on the other, and the scheduler
runs in both: re-offers after the cool-down, a seeker whose connection dies
leaving the line and coming back at their place, and a teen approval withdrawn
from a third process (a management command) reaching both sides at once.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.servers import DaphneCluster, HttpClient
from tests.e2e.test_chat_two_processes import Client

pytestmark = [pytest.mark.e2e]

FAST = {
    "MATCHING_REOFFER_COOLDOWN_SECONDS": "3",
    "MATCHING_SEEKER_AWAY_SECONDS": "10",
    "HEARTH_WS_HEARTBEAT_SECONDS": "2",
}


async def _expect_other(client: Client, frame_type: str, *, timeout: float):
    """The next frame of ``frame_type``, tolerating error frames meant for something else."""

    async def wait():
        while True:
            frame = await client.frames.get()
            if frame["type"] == frame_type:
                return frame

    return await asyncio.wait_for(wait(), timeout)


async def _seeker(server, *, age=27) -> Client:
    http = HttpClient(server.http)
    http.start_anonymous(age=age)
    client = Client(server, http)
    await client.connect()
    return client


async def reoffer_and_ghost(listener_server, seeker_server):
    http = HttpClient(listener_server.http)
    http.login("listener", "hearth-demo-listener")
    listener = Client(listener_server, http)
    await listener.connect()
    await listener.send({"type": "shift.start", "topics": ["anxiety"], "capacity": 1})
    await listener.expect("shift.start.ack")

    # Declined: back to the only listener after the cool-down, not never.
    first = await _seeker(seeker_server)
    await first.send({"type": "request.create", "topic": "anxiety"})
    request = (await first.expect("request.created"))["request"]
    assert request["eligible_on_shift"] == 1
    offer = await listener.expect("offer.created")
    await listener.send({"type": "offer.decline", "offer": offer["offer"]["id"]})
    again = await _expect_other(listener, "offer.created", timeout=20)
    assert again["offer"]["id"] != offer["offer"]["id"]
    # "Not me for this one": never again; nothing else waits for this listener.
    await listener.send({"type": "offer.decline", "offer": again["offer"]["id"], "never": True})
    await listener.expect("offer.declined")
    await listener.send({"type": "request.take_next", "ref": "t"})
    refused = await _expect_other(listener, "error", timeout=10)
    assert refused["code"] == "nothing_waiting"
    await first.send({"type": "request.cancel"})
    await first.expect("request.cancelled")

    # A seeker whose connection dies leaves the line (the offer is withdrawn) and,
    # back on the other process, is offered again at their place.
    ghost = await _seeker(seeker_server)
    await ghost.send({"type": "request.create", "topic": "anxiety"})
    ghost_request = (await ghost.expect("request.created"))["request"]
    offered = await listener.expect("offer.created")
    await ghost.kill()
    withdrawn = await _expect_other(listener, "offer.withdrawn", timeout=40)
    assert withdrawn["offer"] == offered["offer"]["id"] and withdrawn["reason"] == "seeker_away"
    ghost.server = listener_server
    ghost.frames = asyncio.Queue()
    hello = await ghost.connect()
    assert hello["request"]["id"] == ghost_request["id"] and hello["request"]["away"] is False
    back = await _expect_other(listener, "offer.created", timeout=20)
    await listener.send({"type": "offer.accept", "offer": back["offer"]["id"]})
    started = await listener.expect("conversation.started")
    assert started["conversation"]["id"] == ghost_request["conversation"]
    await ghost.close()
    await listener.close()


async def teen_approval_withdrawn(listener_server, seeker_server, cluster):
    http = HttpClient(listener_server.http)
    http.login("listener", "hearth-demo-listener")
    listener = Client(listener_server, http)
    await listener.connect()
    await listener.send({"type": "shift.start", "topics": ["anxiety"], "capacity": 2})
    await listener.expect("shift.start.ack")
    teen = await _seeker(seeker_server, age=15)
    await teen.send({"type": "request.create", "topic": "anxiety"})
    conversation = (await teen.expect("request.created"))["request"]["conversation"]
    offer = await listener.expect("offer.created")
    await listener.send({"type": "offer.accept", "offer": offer["offer"]["id"]})
    await listener.expect("conversation.started")
    await teen.expect("conversation.started")

    await asyncio.to_thread(
        cluster.manage,
        "shell",
        "-c",
        "from support.models import User; from listeners.services import listener_decide; "
        "staff = User.objects.create(username='mgr', alias='TeamManager', role='staff', is_superuser=True); "
        "listener_decide(staff=staff, listener_id=User.objects.get(username='listener').pk, action='revoke_teens')",
    )
    requeued = await _expect_other(teen, "conversation.requeued", timeout=15)
    assert requeued["conversation"] == conversation and "nothing you did" in requeued["reason_text"]
    left = await _expect_other(listener, "conversation.left", timeout=15)
    assert left["conversation"] == conversation
    await listener.send(
        {"type": "message.send", "conversation": conversation, "client_id": "after", "text": "still there?"}
    )
    refused = await _expect_other(listener, "error", timeout=10)
    assert refused["code"] == "not_found"
    await teen.close()
    await listener.close()


def test_reoffers_and_seekers_who_leave_the_line_across_two_processes(tmp_path, postgres_url, redis_url):
    with DaphneCluster(workdir=tmp_path, postgres_url=postgres_url, redis_url=redis_url, extra_env=FAST) as cluster:
        cluster.manage("seed_demo")
        first, second = cluster.start(), cluster.start()
        asyncio.run(reoffer_and_ghost(first, second))


def test_a_withdrawn_teen_approval_moves_the_teen_at_once_across_processes(tmp_path, postgres_url, redis_url):
    with DaphneCluster(workdir=tmp_path, postgres_url=postgres_url, redis_url=redis_url, extra_env=FAST) as cluster:
        cluster.manage("seed_demo")
        first, second = cluster.start(), cluster.start()
        asyncio.run(teen_approval_withdrawn(first, second, cluster))
