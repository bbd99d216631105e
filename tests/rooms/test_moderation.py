"""Held messages, moderation actions, reports, slow mode, and the audit safety staff read."""

from __future__ import annotations

import pytest

from rooms.models import ModerationAction, RoomMembership, RoomMessage, RoomModerationAction
from safety.models import SafetyFlag
from support.ws import CloseCode
from tests.factories import StaffFactory
from tests.rooms.helpers import (
    announce_presence,
    frames_until,
    in_room,
    make_member,
    make_moderator,
    make_room,
    presence_until,
    run_db,
    send_and_ack,
)

pytestmark = pytest.mark.django_db(transaction=True)

CRISIS = "I want to kill myself"


def _open_room(**kwargs):
    room = make_room(**kwargs)
    return room, make_moderator(room)


async def _assert_silent(ws, *, types: set[str], seconds: float = 0.5) -> None:
    """Nothing of ``types`` arrives within ``seconds``."""
    # receive_nothing does not cancel the application on timeout (receive_json_from would).
    while not await ws.receive_nothing(timeout=seconds):
        frame = await ws.receive_json_from(timeout=1)
        assert frame["type"] not in types, frame


async def test_crisis_message_is_held_never_reaches_members_and_alerts_safety_staff():
    room, moderator = await run_db(_open_room)
    writer = await run_db(make_member, room)
    other = await run_db(make_member, room)
    async with in_room(moderator, room.pk) as ws_mod, in_room(writer, room.pk) as ws_w, in_room(other, room.pk) as ws_o:
        ack = await send_and_ack(ws_w, CRISIS, "c1")
        assert ack["status"] == "held" and ack["seq"] == 1
        resources, _ = await frames_until(ws_w, "safety.resources")
        assert resources["helplines"] and resources["one_to_one"] == {"topic": "anxiety"}
        # An adult room's lines: none meant for children only.
        assert {line["audience"] for line in resources["helplines"]} <= {"all", "adult"}
        held, _ = await frames_until(ws_mod, "room.message.held")
        assert held["message"]["text"] == CRISIS and held["message"]["sender_alias"] == writer.alias
        # The other member gets nothing live; a later message shows a gap, and sync fills it with a placeholder.
        await _assert_silent(ws_o, types={"room.message.created", "room.message.held", "room.message.updated"})
        await send_and_ack(ws_mod, "Welcome, everyone", "m1")
        created, _ = await frames_until(ws_o, "room.message.created")
        assert created["message"]["seq"] == 2
        await ws_o.send_json_to({"type": "room.sync", "after_seq": 0})
        batch, _ = await frames_until(ws_o, "room.messages")
        placeholder = batch["messages"][0]
        assert placeholder["status"] == "held" and placeholder["text"] == "" and placeholder["sender_alias"] == ""
        assert CRISIS not in str(batch)
    flag = await run_db(lambda: SafetyFlag.objects.get())
    assert flag.level >= 2 and flag.subject_id == writer.pk
    assert await run_db(lambda: RoomMessage.objects.get(seq=1).flag_id) == flag.pk


async def test_personal_information_is_masked_held_and_flagged():
    room, moderator = await run_db(_open_room)
    writer = await run_db(make_member, room)
    async with in_room(moderator, room.pk) as ws_mod, in_room(writer, room.pk) as ws_w:
        ack = await send_and_ack(ws_w, "text me on 555-123-4567", "p1")
        assert ack["status"] == "held" and ack["masked"] is True and ack["notice"]
        held, _ = await frames_until(ws_mod, "room.message.held")
        assert "555-123-4567" not in held["message"]["text"]
    assert await run_db(lambda: "personal_info" in SafetyFlag.objects.get().categories)


async def test_held_message_is_not_in_rest_history_for_other_members(api_client):
    room, moderator = await run_db(_open_room)
    writer = await run_db(make_member, room)
    other = await run_db(make_member, room)
    async with in_room(moderator, room.pk), in_room(writer, room.pk) as ws_w:
        await send_and_ack(ws_w, CRISIS, "c1")
    await run_db(api_client.force_authenticate, other)
    body = (await run_db(api_client.get, f"/api/v1/rooms/{room.pk}/messages")).json()
    assert body["messages"][0]["status"] == "held" and CRISIS not in str(body)
    await run_db(api_client.force_authenticate, moderator)
    body = (await run_db(api_client.get, f"/api/v1/rooms/{room.pk}/messages")).json()
    assert body["messages"][0]["text"] == CRISIS


async def test_moderator_releases_a_held_message_to_everyone():
    room, moderator = await run_db(_open_room)
    writer = await run_db(make_member, room)
    other = await run_db(make_member, room)
    async with in_room(moderator, room.pk) as ws_mod, in_room(writer, room.pk) as ws_w:
        await send_and_ack(ws_w, "my number is 555-123-4567", "p1")
        async with in_room(other, room.pk) as ws_o:
            assert ws_o.hello["messages"][0]["status"] == "held"
            assert any(m["seq"] == 1 for m in (await _mod_hello(moderator, room.pk))["held"])
            await ws_mod.send_json_to({"type": "room.message.release", "seq": 1})
            await frames_until(ws_mod, "room.moderation.ack")
            updated, _ = await frames_until(ws_o, "room.message.updated")
            assert updated["message"]["status"] == "visible" and "[phone removed]" in updated["message"]["text"]
    assert (
        await run_db(lambda: RoomModerationAction.objects.filter(action=ModerationAction.MESSAGE_RELEASED).count()) == 1
    )


async def _mod_hello(moderator, room_id):
    async with in_room(moderator, room_id) as ws:
        return ws.hello


async def test_removed_message_is_shown_as_removed_to_everyone_and_keeps_its_seq():
    room, moderator = await run_db(_open_room)
    writer = await run_db(make_member, room)
    other = await run_db(make_member, room)
    async with in_room(moderator, room.pk) as ws_mod, in_room(writer, room.pk) as ws_w, in_room(other, room.pk) as ws_o:
        await send_and_ack(ws_w, "nobody asked for your opinion", "u1")
        await frames_until(ws_o, "room.message.created")
        await ws_mod.send_json_to({"type": "room.message.remove", "seq": 1})
        for ws in (ws_o, ws_w, ws_mod):
            updated, _ = await frames_until(ws, "room.message.updated")
            assert updated["message"] | {"created_at": None} == updated["message"] | {
                "seq": 1,
                "removed": True,
                "status": "removed",
                "text": "",
                "created_at": None,
            }
    async with in_room(other, room.pk) as ws:
        assert ws.hello["messages"][0]["removed"] is True and ws.hello["messages"][0]["text"] == ""
    message = await run_db(lambda: RoomMessage.objects.get(room=room, seq=1))
    assert message.text == "" and message.status == "removed"


async def test_member_cannot_use_moderator_frames():
    room, moderator = await run_db(_open_room)
    member = await run_db(make_member, room)
    async with in_room(moderator, room.pk), in_room(member, room.pk) as ws:
        await send_and_ack(ws, "hi", "h1")
        for frame in (
            {"type": "room.message.remove", "seq": 1},
            {"type": "room.member.mute", "alias": moderator.alias, "seconds": 60},
            {"type": "room.slow_mode", "seconds": 30},
        ):
            await ws.send_json_to(frame)
            error, _ = await frames_until(ws, "error")
            assert error["code"] == "forbidden"
    assert await run_db(lambda: RoomMessage.objects.get(seq=1).status) == "visible"


async def test_muted_member_cannot_write_until_the_mute_ends():
    room, moderator = await run_db(_open_room)
    member = await run_db(make_member, room)
    async with in_room(moderator, room.pk) as ws_mod, in_room(member, room.pk) as ws:
        await ws_mod.send_json_to({"type": "room.member.mute", "alias": member.alias, "seconds": 600})
        muted, _ = await frames_until(ws, "room.muted")
        assert muted["until"]
        await ws.send_json_to({"type": "room.message.send", "client_id": "m", "text": "hello?"})
        error, _ = await frames_until(ws, "error")
        assert error["code"] == "muted" and error["until"] == muted["until"]
        await ws_mod.send_json_to({"type": "room.member.mute", "alias": member.alias, "seconds": 0})
        await frames_until(ws, "room.muted")
        assert (await send_and_ack(ws, "hello?", "m"))["status"] == "visible"


async def test_removed_member_is_closed_out_and_cannot_rejoin_today():
    room, moderator = await run_db(_open_room)
    member = await run_db(make_member, room)
    watcher = await run_db(make_member, room)
    async with in_room(moderator, room.pk) as ws_mod, in_room(watcher, room.pk) as ws_watch:
        async with in_room(member, room.pk) as ws:
            await ws_mod.send_json_to({"type": "room.member.remove", "alias": member.alias})
            removed, _ = await frames_until(ws, "room.removed")
            assert removed["until"].endswith("T00:00:00Z")
            assert (await ws.receive_output(timeout=5))["code"] == CloseCode.FORBIDDEN
            await announce_presence()
            await presence_until(ws_watch, lambda f: member.alias in f["left"])
        async with in_room(member, room.pk, expect_hello=False) as ws:
            error = await ws.receive_json_from(timeout=5)
            assert error["code"] == "removed_from_room"
            assert (await ws.receive_output(timeout=5))["code"] == CloseCode.FORBIDDEN


async def test_slow_mode_allows_one_message_per_period_per_member():
    room, moderator = await run_db(_open_room)
    member = await run_db(make_member, room)
    other = await run_db(make_member, room)
    async with (
        in_room(moderator, room.pk) as ws_mod,
        in_room(member, room.pk) as ws,
        in_room(other, room.pk) as ws_other,
    ):
        await ws_mod.send_json_to({"type": "room.slow_mode", "seconds": 30})
        notice, _ = await frames_until(ws, "room.slow_mode")
        assert notice["seconds"] == 30
        await send_and_ack(ws, "first", "s1")
        await ws.send_json_to({"type": "room.message.send", "client_id": "s2", "text": "second"})
        error, _ = await frames_until(ws, "error")
        assert error["code"] == "slow_mode" and 0 < error["retry_after"] <= 30
        # Per member: someone else may still write, and moderators are not slowed.
        assert (await send_and_ack(ws_other, "me too", "o1"))["status"] == "visible"
        await send_and_ack(ws_mod, "one", "x1")
        await send_and_ack(ws_mod, "two", "x2")


async def test_reports_from_enough_distinct_members_hide_a_message_pending_review(settings):
    settings.SAFETY_ROOM_REPORT_HIDE_THRESHOLD = 2
    settings.SAFETY_ROOM_REPORT_MIN_ACCOUNT_MINUTES = 0  # history is covered in test_report_hiding.py
    settings.SAFETY_ROOM_REPORT_MIN_MESSAGES = 0
    room, moderator = await run_db(_open_room)
    writer = await run_db(make_member, room)
    reporters = [await run_db(make_member, room) for _ in range(2)]
    async with in_room(moderator, room.pk) as ws_mod, in_room(writer, room.pk) as ws_w:
        await send_and_ack(ws_w, "you are all pathetic", "r1")
        async with in_room(reporters[0], room.pk) as ws_r0, in_room(reporters[1], room.pk) as ws_r1:
            for ws in (ws_r0, ws_r0, ws_r1):  # a repeated report counts once
                await ws.send_json_to({"type": "room.message.report", "seq": 1, "reason": "unkind"})
                await frames_until(ws, "room.message.report.ack")
            updated, _ = await frames_until(ws_r0, "room.message.updated")
            assert updated["message"]["status"] == "hidden" and updated["message"]["text"] == ""
            for_mod, _ = await frames_until(ws_mod, "room.message.updated")
            assert for_mod["message"]["text"] == "you are all pathetic"
            await ws_w.send_json_to({"type": "room.message.report", "seq": 1})
            error, _ = await frames_until(ws_w, "error")
            assert error["code"] == "cannot_report_own"
    assert (
        await run_db(lambda: RoomModerationAction.objects.filter(action=ModerationAction.MESSAGE_HIDDEN).count()) == 1
    )


async def test_one_report_below_the_threshold_changes_nothing_for_others():
    room, moderator = await run_db(_open_room)
    writer = await run_db(make_member, room)
    reporter = await run_db(make_member, room)
    async with in_room(moderator, room.pk), in_room(writer, room.pk) as ws_w, in_room(reporter, room.pk) as ws_r:
        await send_and_ack(ws_w, "meh", "r1")
        await ws_r.send_json_to({"type": "room.message.report", "seq": 1})
        await frames_until(ws_r, "room.message.report.ack")
    assert await run_db(lambda: RoomMessage.objects.get(seq=1).status) == "visible"


def test_every_moderation_action_is_audited_and_visible_to_safety_staff_only(api_client):
    from rooms import services

    room, moderator = _open_room()
    member = make_member(room)
    RoomMembership.objects.create(room=room, user=moderator, joined_at=room.created_at)
    services.room_message_send(sender=moderator, room_id=room.pk, client_id="a", text="welcome")
    services.room_message_remove(moderator=moderator, room_id=room.pk, seq=1)
    services.room_member_mute(moderator=moderator, room_id=room.pk, alias=member.alias, seconds=120)
    services.room_slow_mode_set(moderator=moderator, room_id=room.pk, seconds=20)
    services.room_member_remove(moderator=moderator, room_id=room.pk, alias=member.alias)

    api_client.force_authenticate(member)
    assert api_client.get(f"/api/v1/staff/rooms/{room.pk}/moderation").status_code == 403
    api_client.force_authenticate(StaffFactory())
    records = api_client.get(f"/api/v1/staff/rooms/{room.pk}/moderation").json()
    assert [r["action"] for r in records] == ["member_removed", "slow_mode", "member_muted", "message_removed"]
    assert all(r["actor"] == moderator.alias for r in records)
    removed = records[-1]
    assert removed["message_seq"] == 1 and removed["detail"]["excerpt"] == "welcome"
    assert records[2]["target"] == member.alias and records[2]["detail"]["seconds"] == 120
    assert api_client.get("/api/v1/staff/rooms/999999/moderation").status_code == 404


def test_audit_records_cannot_be_edited():
    room, moderator = _open_room()
    services_slow = __import__("rooms.services", fromlist=["x"]).room_slow_mode_set
    services_slow(moderator=moderator, room_id=room.pk, seconds=10)
    record = RoomModerationAction.objects.get()
    record.detail = {"seconds": 0}
    with pytest.raises(ValueError):
        record.save()


def test_moderators_cannot_mute_or_remove_each_other():
    from rooms import services
    from support.errors import DomainError

    room, moderator = _open_room()
    second = make_moderator(room)
    RoomMembership.objects.create(room=room, user=second, joined_at=room.created_at)
    with pytest.raises(DomainError) as error:
        services.room_member_mute(moderator=moderator, room_id=room.pk, alias=second.alias, seconds=60)
    assert error.value.code == "forbidden"
