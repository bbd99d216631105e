"""Moderators see why a message was held (the risk label; nobody else does) and send the room's
crisis lines with one action, to one member or to everyone here."""

from __future__ import annotations

import pytest

from rooms.models import ModerationAction, RoomModerationAction
from rooms.payloads import HELD_IMMINENT
from rooms.services import RESOURCES_FROM_MODERATOR
from tests.rooms.helpers import frames_until, in_room, make_member, make_moderator, make_room, run_db, send_and_ack

pytestmark = pytest.mark.django_db(transaction=True)

IMMINENT = "i took all my pills an hour ago"


def _open_room(**kwargs):
    room = make_room(**kwargs)
    return room, make_moderator(room)


async def test_moderators_see_the_risk_label_of_a_held_message_and_the_writer_does_not():
    room, moderator = await run_db(_open_room)
    writer = await run_db(make_member, room)
    async with in_room(moderator, room.pk) as ws_mod, in_room(writer, room.pk) as ws_w:
        await send_and_ack(ws_w, IMMINENT, "c1")
        held, _ = await frames_until(ws_mod, "room.message.held")
        assert held["message"]["held_reason"] == {
            "level": 3,
            "level_label": "imminent",
            "personal_info": False,
            "text": HELD_IMMINENT,
        }
        own, _ = await frames_until(ws_w, "room.message.created")
        assert "held_reason" not in own["message"]
    async with in_room(moderator, room.pk) as ws_mod:  # after a reload: the hello's held list says it too
        assert ws_mod.hello["held"][0]["held_reason"]["level_label"] == "imminent"
    async with in_room(writer, room.pk) as ws_w:
        assert all("held_reason" not in message for message in ws_w.hello["messages"])


async def test_a_moderator_sends_the_crisis_lines_to_everyone_here_or_to_one_member():
    room, moderator = await run_db(_open_room)
    first = await run_db(make_member, room)
    second = await run_db(make_member, room)
    async with in_room(moderator, room.pk) as ws_mod, in_room(first, room.pk) as ws_a, in_room(second, room.pk) as ws_b:
        await ws_mod.send_json_to({"type": "room.resources.send", "ref": "r"})
        ack, _ = await frames_until(ws_mod, "room.moderation.ack")
        assert ack["action"] == "resources_sent" and ack["ref"] == "r"
        for ws in (ws_a, ws_b):
            frame, _ = await frames_until(ws, "room.resources")
            assert frame["message"] == RESOURCES_FROM_MODERATOR and frame["helplines"] and frame["to_you"] is False
            assert frame["one_to_one"] == {"topic": "anxiety"} and frame["room"] == room.pk

        await ws_mod.send_json_to({"type": "room.resources.send", "alias": first.alias})
        ack, _ = await frames_until(ws_mod, "room.moderation.ack")
        assert ack["alias"] == first.alias
        frame, _ = await frames_until(ws_a, "room.resources")
        assert frame["to_you"] is True
    actions = await run_db(lambda: list(RoomModerationAction.objects.filter(action=ModerationAction.RESOURCES_SENT)))
    assert sorted(a.detail["to"] for a in actions) == ["member", "room"]


@pytest.mark.parametrize(
    ("who", "frame", "code"),
    [
        ("member", {}, "forbidden"),
        ("moderator", {"alias": 5}, "invalid_field"),
        ("moderator", {"alias": "NobodyHere"}, "not_found"),
        ("moderator", {"seq": 1}, "unknown_field"),
    ],
)
async def test_sending_the_crisis_lines_is_refused_with_a_code(who, frame, code):
    room, moderator = await run_db(_open_room)
    member = await run_db(make_member, room)
    user = moderator if who == "moderator" else member
    async with in_room(user, room.pk) as ws:
        await ws.send_json_to({"type": "room.resources.send", **frame})
        error, _ = await frames_until(ws, "error")
        assert error["code"] == code
