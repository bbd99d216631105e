"""Socket plumbing: origin check, authentication close code, malformed frames."""

from __future__ import annotations

import json

import pytest
from channels.testing import WebsocketCommunicator

from support.ws import CloseCode
from tests.factories import SeekerFactory, StaffFactory
from tests.ws import connected

pytestmark = pytest.mark.django_db(transaction=True)


async def test_cross_site_origin_is_refused_before_the_handshake_completes():
    from asgiref.sync import sync_to_async

    seeker = await sync_to_async(SeekerFactory)()
    async with connected(seeker, origin=b"https://evil.example", expect_hello=False) as ws:
        assert ws.accepted is False


async def test_unauthenticated_socket_is_closed_with_4401():
    from support.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/v1/chat/", headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    )
    connected_ok, _ = await communicator.connect()
    assert connected_ok
    closed = await communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": CloseCode.UNAUTHENTICATED}
    await communicator.disconnect()


async def test_staff_account_on_chat_socket_is_closed_with_4403():
    from asgiref.sync import sync_to_async

    staff = await sync_to_async(StaffFactory)()
    async with connected(staff, expect_hello=False) as ws:
        closed = await ws.receive_output(timeout=5)
        assert closed["code"] == CloseCode.FORBIDDEN


async def test_hello_frame_names_protocol_and_user():
    from asgiref.sync import sync_to_async

    seeker = await sync_to_async(SeekerFactory)()
    async with connected(seeker) as ws:
        assert ws.hello["type"] == "hello"
        assert ws.hello["protocol"] == 1
        assert ws.hello["user"]["alias"] == seeker.alias


MALFORMED = [
    ("{not json", "malformed_json"),
    ("", "malformed_json"),
    ("NaN", "malformed_json"),
    ("[1, 2]", "invalid_frame"),
    ("42", "invalid_frame"),
    ('"text"', "invalid_frame"),
    ("{}", "missing_type"),
    ('{"type": 7}', "missing_type"),
    ('{"type": "no.such.frame"}', "unknown_type"),
    ('{"type": "message.send"}', "missing_field"),
    ('{"type": "message.send", "conversation": "1", "client_id": "a", "text": "hi"}', "invalid_field"),
    ('{"type": "message.send", "conversation": true, "client_id": "a", "text": "hi"}', "invalid_field"),
    (
        '{"type": "message.send", "conversation": 99999999999999999999999, "client_id": "a", "text": "hi"}',
        "invalid_frame",
    ),
    ('{"type": "ping", "x": ' + "[" * 50 + "]" * 50 + "}", "invalid_frame"),
]


@pytest.mark.parametrize("raw, code", MALFORMED)
async def test_malformed_frames_get_a_typed_error_and_the_socket_stays_open(raw, code):
    from asgiref.sync import sync_to_async

    seeker = await sync_to_async(SeekerFactory)()
    async with connected(seeker) as ws:
        await ws.send_input({"type": "websocket.receive", "text": raw})
        error = await ws.receive_json_from(timeout=5)
        assert error["type"] == "error"
        assert error["code"] == code
        await ws.send_json_to({"type": "ping", "ref": "after"})
        assert await ws.receive_json_from(timeout=5) == {"type": "pong", "ref": "after"}


async def test_binary_and_oversize_frames_get_errors(settings):
    from asgiref.sync import sync_to_async

    seeker = await sync_to_async(SeekerFactory)()
    async with connected(seeker) as ws:
        await ws.send_to(bytes_data=b"\x00\x01")
        assert (await ws.receive_json_from())["code"] == "binary_not_supported"
        await ws.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * (settings.HEARTH_WS_MAX_FRAME_BYTES + 1)}))
        assert (await ws.receive_json_from())["code"] == "frame_too_large"
