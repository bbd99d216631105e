"""Hostile websocket input: every malformed frame gets exactly one error frame, the socket stays open.

Runs in-process on the real ASGI application (origin check, session auth, the
consumers) for the chat, staff and rooms sockets.
"""

from __future__ import annotations

import json
import random

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings

from tests.factories import SeekerFactory, StaffFactory
from tests.hardening.conftest import size
from tests.ws import connected

pytestmark = [pytest.mark.security, pytest.mark.django_db(transaction=True)]

FRAMES_QUICK, FRAMES_FULL = 1000, 5000
SERVER_HINTS = {"room.presence", "room.state", "queue.sizes"}


def _deep(depth: int):
    value: object = 1
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


def malformed_frames(count: int, *, seed: int = 9, socket_types=("message.send", "conversation.sync", "typing")):
    """``count`` frames, each of which the protocol must refuse: (text, bytes) pairs."""
    rng = random.Random(seed)
    makers = [
        lambda: ("", None),  # empty text frame
        lambda: ("{", None),
        lambda: ('{"type": "ping"', None),
        lambda: ("not json at all " + str(rng.random()), None),
        lambda: ('{"type": NaN}', None),
        lambda: ('{"type": "ping", "ref": Infinity}', None),
        lambda: ("\x00\x01\x02", None),
        lambda: ("[" * rng.randint(50, 5000), None),
        lambda: ("null", None),
        lambda: (json.dumps(rng.choice([1, 2.5, "x", [], [1, 2], True, None])), None),
        lambda: (json.dumps({"no": "type"}), None),
        lambda: (json.dumps({"type": rng.choice([1, None, [], {}, True, ""])}), None),
        lambda: (json.dumps({"type": "x" * rng.randint(1, 300)}), None),
        lambda: (json.dumps({"type": "admin.delete_everything"}), None),
        lambda: (json.dumps({"type": "ping", "deep": _deep(rng.randint(9, 60))}), None),
        lambda: (json.dumps({"type": "ping", "n": 2**53 + rng.randint(1, 10**6)}), None),
        lambda: (json.dumps({"type": "ping", "n": -(10 ** rng.randint(17, 400))}), None),
        lambda: ('{"type": "ping", "n": 1e400}', None),
        lambda: (None, bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))),
        lambda: (None, b""),
        lambda: (None, json.dumps({"type": "ping"}).encode()),
        # Known types with missing or ill-typed fields.
        lambda: (json.dumps({"type": rng.choice(socket_types)}), None),
        lambda: (
            json.dumps(
                {"type": rng.choice(socket_types), "conversation": rng.choice(["1", -5, 0, 2**63, 1.5, True, [], {}])}
            ),
            None,
        ),
        lambda: (
            json.dumps(
                {"type": "message.send", "conversation": 1, "client_id": rng.choice([1, [], None]), "text": "hi"}
            ),
            None,
        ),
        lambda: (
            json.dumps(
                {"type": "message.send", "conversation": 1, "client_id": "c", "text": rng.choice([1, [], {}, False])}
            ),
            None,
        ),
        lambda: (
            json.dumps(
                {"type": "conversation.sync", "conversation": 1, "after_seq": rng.choice([-1, "0", 1.5, [], True])}
            ),
            None,
        ),
        lambda: (json.dumps({"type": "typing", "conversation": 1, "active": rng.choice(["yes", 1, None, []])}), None),
    ]
    return [rng.choice(makers)() for _ in range(count)]


async def _flood(ws, frames) -> dict[str, int]:
    codes: dict[str, int] = {}
    for text, data in frames:
        # send_input, not send_to: the test helper refuses empty frames, a real client can send them.
        if text is not None:
            await ws.send_input({"type": "websocket.receive", "text": text})
        else:
            await ws.send_input({"type": "websocket.receive", "bytes": data})
        reply = await ws.receive_json_from(timeout=5)
        while reply["type"] in SERVER_HINTS:  # pushed by the server, not a reply
            reply = await ws.receive_json_from(timeout=5)
        assert reply["type"] == "error", (text, data, reply)
        codes[reply["code"]] = codes.get(reply["code"], 0) + 1
    # Exactly one reply each: nothing further is queued but server pushes (presence,
    # which on Redis can arrive late), and the socket still answers.
    while not await ws.receive_nothing(timeout=0.2):
        late = await ws.receive_json_from(timeout=1)
        assert late["type"] in SERVER_HINTS, late
    await ws.send_json_to({"type": "ping", "ref": "still-open"})
    assert await ws.receive_json_from(timeout=5) == {"type": "pong", "ref": "still-open"}
    return codes


async def test_a_thousand_malformed_frames_on_the_chat_socket_each_get_one_error_and_the_socket_stays_open():
    seeker = await sync_to_async(SeekerFactory)()
    async with connected(seeker) as ws:
        codes = await _flood(ws, malformed_frames(size(FRAMES_QUICK, FRAMES_FULL)))
    assert "internal_error" not in codes, codes
    for expected in (
        "malformed_json",
        "binary_not_supported",
        "invalid_frame",
        "missing_type",
        "unknown_type",
        "invalid_field",
    ):
        assert codes.get(expected), (expected, codes)


async def test_malformed_frames_on_the_staff_socket_each_get_one_error():
    staff = await sync_to_async(StaffFactory)()
    async with connected(staff, path="/ws/v1/staff/") as ws:
        codes = await _flood(
            ws,
            malformed_frames(size(200, 2000), seed=10, socket_types=("flag.claim", "alert.ack", "conversation.join")),
        )
    assert "internal_error" not in codes, codes


async def test_malformed_frames_on_a_room_socket_each_get_one_error():
    from tests.rooms.helpers import make_member, make_room

    room = await sync_to_async(make_room)()
    member = await sync_to_async(make_member)(room)
    async with connected(member, path=f"/ws/v1/rooms/{room.pk}/") as ws:
        assert ws.hello["type"] == "room.hello"
        codes = await _flood(
            ws,
            malformed_frames(
                size(200, 2000), seed=11, socket_types=("room.message.send", "room.history", "room.message.report")
            ),
        )
    assert "internal_error" not in codes, codes


async def test_a_frame_above_the_application_limit_gets_frame_too_large_and_the_socket_stays_open():
    seeker = await sync_to_async(SeekerFactory)()
    limit = settings.HEARTH_WS_MAX_FRAME_BYTES
    async with connected(seeker) as ws:
        await ws.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * limit}))
        reply = await ws.receive_json_from(timeout=5)
        assert reply["type"] == "error" and reply["code"] == "frame_too_large"
        await ws.send_json_to({"type": "ping"})
        assert (await ws.receive_json_from(timeout=5))["type"] == "pong"
