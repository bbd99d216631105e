"""Ending someone's access closes their open sockets within 5 s, and nothing reaches them afterwards.

Logout (REST), a suspended listener (listener program), a banned seeker
(safety sanctions) and a revoked staff role. The other participant keeps
their socket and keeps receiving.
"""

from __future__ import annotations

import json
import time

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group

from support.roles import SAFETY_STAFF_GROUP
from support.ws import CloseCode
from tests.factories import StaffFactory
from tests.hardening.helpers import open_socket
from tests.safety.helpers import flagged_pair, matched_pair, staff_member
from tests.ws import receive_until

pytestmark = [pytest.mark.security, pytest.mark.django_db(transaction=True)]
DEADLINE = 5.0


async def _until_closed(ws, *, deadline: float = DEADLINE) -> tuple[list[dict], int, float]:
    """Every frame up to the close, the close code and how long it took."""
    started = time.monotonic()
    frames = []
    while True:
        output = await ws.receive_output(timeout=deadline)
        if output["type"] == "websocket.close":
            return frames, output["code"], time.monotonic() - started
        frames.append(json.loads(output["text"]))


def _assert_revoked(frames, code, took, reason):
    assert code == CloseCode.ACCESS_REVOKED
    assert took < DEADLINE
    assert frames and frames[-1] == {"type": "session.closed", "reason": reason}, frames


async def _hello(ws):
    frame = await ws.receive_json_from(timeout=5)
    assert frame["type"] == "hello", frame
    return frame


async def _drain(ws):
    while not await ws.receive_nothing(timeout=0.3):
        await ws.receive_output(timeout=1)


async def test_logging_out_closes_only_that_sessions_sockets():
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    seeker_ws, _ = await open_socket(seeker)
    listener_ws, _ = await open_socket(listener)
    await _hello(seeker_ws), await _hello(listener_ws)
    cookie = dict(seeker_ws.scope["headers"])[b"cookie"].decode().split("=", 1)[1]

    def logout():
        from rest_framework.test import APIClient

        client = APIClient()
        client.cookies["sessionid"] = cookie
        return client.post("/api/v1/session/logout").status_code

    assert await sync_to_async(logout)() == 204
    frames, code, took = await _until_closed(seeker_ws)
    _assert_revoked(frames, code, took, "logged_out")
    # The old cookie no longer opens a socket.
    again, _ = await open_socket(seeker, origin=b"http://127.0.0.1")
    await again.disconnect()
    # The listener is untouched.
    await listener_ws.send_json_to({"type": "ping"})
    assert (await listener_ws.receive_json_from(timeout=5))["type"] == "pong"
    await listener_ws.disconnect()


async def test_a_suspended_listener_is_closed_and_gets_nothing_more_from_the_chat():
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    manager = await sync_to_async(StaffFactory)(is_superuser=True)
    seeker_ws, _ = await open_socket(seeker)
    tabs = [(await open_socket(listener))[0] for _ in range(2)]
    await _hello(seeker_ws)
    for tab in tabs:
        await _hello(tab)

    from listeners.services import listener_decide

    await sync_to_async(listener_decide)(
        staff=manager, listener_id=listener.pk, action="suspend", note="hardening test"
    )
    for tab in tabs:
        frames, code, took = await _until_closed(tab)
        _assert_revoked(frames, code, took, "suspended")
    # The suspended listener cannot open a new socket, and the chat went back to the line without them.
    again, _ = await open_socket(listener)
    assert await again.receive_output(timeout=5) == {"type": "websocket.close", "code": CloseCode.ACCESS_REVOKED}
    await again.disconnect()
    await _drain(seeker_ws)
    await seeker_ws.send_json_to(
        {"type": "message.send", "conversation": conversation.pk, "client_id": "after", "text": "still there?"}
    )
    assert (await seeker_ws.receive_json_from(timeout=5))["type"] in {"message.created", "message.ack"}
    await seeker_ws.disconnect()


async def test_a_banned_seeker_is_closed_and_cannot_reconnect():
    seeker, listener, conversation, flag = await sync_to_async(flagged_pair)()
    staff = await sync_to_async(staff_member)()
    seeker_ws, _ = await open_socket(seeker)
    listener_ws, _ = await open_socket(listener)
    await _hello(seeker_ws), await _hello(listener_ws)

    from datetime import timedelta

    from django.utils import timezone

    from safety.sanctions import sanction_ban_seeker

    until = timezone.now() + timedelta(days=7)
    await sync_to_async(sanction_ban_seeker)(staff=staff, flag_id=flag.pk, note="hardening test", until=until)
    frames, code, took = await _until_closed(seeker_ws)
    _assert_revoked(frames, code, took, "banned")
    again, _ = await open_socket(seeker)
    output = await again.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": CloseCode.UNAUTHENTICATED}
    await again.disconnect()
    await listener_ws.disconnect()


async def test_removing_the_safety_staff_role_closes_the_staff_socket():
    staff = await sync_to_async(staff_member)()
    ws, _ = await open_socket(staff, path="/ws/v1/staff/")
    await _hello(ws)

    def revoke():
        staff.groups.remove(Group.objects.get(name=SAFETY_STAFF_GROUP))

    await sync_to_async(revoke)()
    try:
        frames, code, took = await _until_closed(ws)
    except TimeoutError:
        raise AssertionError("the staff socket stayed open after the role was removed") from None
    finally:
        await ws.disconnect()
    assert code == CloseCode.ACCESS_REVOKED and took < DEADLINE


async def test_deleting_ones_account_closes_every_socket_of_it_within_5_s_and_the_listener_keeps_theirs():
    from rest_framework.test import APIClient

    seeker, listener, conversation = await sync_to_async(matched_pair)()
    first_ws, _ = await open_socket(seeker)
    second_ws, _ = await open_socket(seeker)  # another tab or device of the same account
    listener_ws, _ = await open_socket(listener)
    await _hello(first_ws), await _hello(second_ws), await _hello(listener_ws)

    def delete_account():
        client = APIClient()
        client.force_login(seeker)
        return client.delete("/api/v1/me/account")

    response = await sync_to_async(delete_account)()
    assert response.status_code == 200, response.json()
    for ws in (first_ws, second_ws):
        frames, code, took = await _until_closed(ws)
        _assert_revoked(frames, code, took, "account_deleted")
    again, _ = await open_socket(seeker)
    assert (await again.receive_output(timeout=5))["code"] == CloseCode.UNAUTHENTICATED
    await again.disconnect()
    ended = await receive_until(listener_ws, "conversation.ended")
    assert ended["conversation"] == conversation.pk
    await listener_ws.disconnect()
