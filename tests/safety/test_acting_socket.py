"""Held listener misconduct over the real chat and staff sockets."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from listeners.models import ListenerProfile
from safety.screening import HELD_NOTICE
from tests.factories import TeenSeekerFactory
from tests.safety.helpers import listener_on_shift, matched_pair, staff_member
from tests.ws import connected, receive_until

pytestmark = pytest.mark.django_db(transaction=True)
db = database_sync_to_async


def _teen_pair():
    listener = listener_on_shift()
    ListenerProfile.objects.filter(user=listener).update(approved_for_teens=True)
    return matched_pair(seeker=TeenSeekerFactory(), listener=listener)


async def test_a_listener_grooming_a_teen_is_told_why_the_message_was_held_the_teen_never_gets_it_and_staff_are_alerted():
    teen, listener, conversation = await db(_teen_pair)()
    staff = await db(staff_member)()
    async with (
        connected(staff, path="/ws/v1/staff/") as staff_ws,
        connected(listener) as listener_ws,
        connected(teen) as teen_ws,
    ):
        await listener_ws.send_json_to(
            {
                "type": "message.send",
                "conversation": conversation.pk,
                "client_id": "g1",
                "ref": "r1",
                "text": "whats your snapchat? keep this between us ok",
            }
        )
        held = await receive_until(listener_ws, "message.held")
        assert held == {
            "type": "message.held",
            "conversation": conversation.pk,
            "client_id": "g1",
            "duplicate": False,
            "notice": HELD_NOTICE,
            "ref": "r1",
        }
        alert = await receive_until(staff_ws, "alert.created")
        assert alert["alert"]["conversation"] == conversation.pk
        assert "listener_misconduct" in alert["alert"]["categories"]
        hold = await receive_until(listener_ws, "listener.review_hold")
        assert hold["held"] is True
        # The teen's socket carries nothing of it: a ping answered proves the queue is drained in order.
        await teen_ws.send_json_to({"type": "ping", "ref": "p"})
        frame = await teen_ws.receive_json_from(timeout=5)
        while frame.get("type") != "pong":
            assert frame.get("type") != "message.created", frame
            frame = await teen_ws.receive_json_from(timeout=5)
