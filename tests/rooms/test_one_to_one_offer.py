"""A room moderator offers the writer of a held or flagged message a one-to-one chat (issue 19, point 5):
only moderators, only to a seeker member of the room, the invitation reaches that member alone, and
accepting starts the normal request flow on the room's topic (urgent after an imminent message)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import ChatRequest, RequestPriority, RequestStatus
from rooms import payloads, services
from rooms.models import ModerationAction, RoomMembership, RoomMessage, RoomMessageStatus, RoomModerationAction
from support.errors import DomainError, NotFoundOrForbidden
from tests.factories import SeekerFactory
from tests.rooms.helpers import frames_until, in_room, make_member, make_moderator, make_room, run_db, send_and_ack

IMMINENT = "i took all my pills an hour ago"


def _room_with_message(*, status=RoomMessageStatus.HELD, risk_level=3, moderator_wrote=False):
    room = make_room()
    moderator = make_moderator(room)
    writer = moderator if moderator_wrote else make_member(room)
    message = RoomMessage.objects.create(
        room=room,
        seq=1,
        sender=writer,
        sender_is_moderator=moderator_wrote,
        text="something heavy",
        risk_level=risk_level,
        status=status,
        created_at=timezone.now(),
    )
    room.last_seq = 1
    room.save(update_fields=["last_seq"])
    return room, moderator, writer, message


# --- the service ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_a_moderator_of_the_room_can_offer():
    room, moderator, writer, _ = _room_with_message()
    other = make_member(room)
    with pytest.raises(DomainError) as refused:
        services.room_one_to_one_offer(moderator=other, room_id=room.pk, seq=1)
    assert refused.value.code == "forbidden"
    elsewhere = make_moderator(make_room(name="Another room"))
    with pytest.raises(DomainError):
        services.room_one_to_one_offer(moderator=elsewhere, room_id=room.pk, seq=1)
    assert not RoomModerationAction.objects.filter(action=ModerationAction.ONE_TO_ONE_OFFERED).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("visible_calm_message", "not_at_risk"),
        ("moderator_wrote_it", "not_a_member"),
        ("writer_left_membership", "not_a_member"),
        ("writer_removed_today", "not_a_member"),
    ],
)
def test_only_for_a_member_of_the_room_and_only_from_a_message_at_risk(case, code):
    kwargs = {}
    if case == "visible_calm_message":
        kwargs = {"status": RoomMessageStatus.VISIBLE, "risk_level": 0}
    if case == "moderator_wrote_it":
        kwargs = {"moderator_wrote": True}
    room, moderator, writer, _ = _room_with_message(**kwargs)
    if case == "writer_left_membership":
        RoomMembership.objects.filter(room=room, user=writer).delete()
    if case == "writer_removed_today":
        RoomMembership.objects.filter(room=room, user=writer).update(removed_until=timezone.now() + timedelta(hours=1))
    with pytest.raises(DomainError) as refused:
        services.room_one_to_one_offer(moderator=moderator, room_id=room.pk, seq=1)
    assert refused.value.code == code


@pytest.mark.django_db
def test_an_unknown_message_is_not_found():
    room, moderator, _, _ = _room_with_message()
    with pytest.raises(NotFoundOrForbidden):
        services.room_one_to_one_offer(moderator=moderator, room_id=room.pk, seq=99)


@pytest.mark.django_db
def test_offers_are_rate_limited_per_moderator(monkeypatch):
    monkeypatch.setattr(services, "ONE_TO_ONE_OFFERS_PER_HOUR", 2)
    room, moderator, _, _ = _room_with_message()
    for _ in range(2):
        services.room_one_to_one_offer(moderator=moderator, room_id=room.pk, seq=1)
    with pytest.raises(DomainError) as refused:
        services.room_one_to_one_offer(moderator=moderator, room_id=room.pk, seq=1)
    assert refused.value.code == "rate_limited" and refused.value.extra["retry_after"] > 0
    # Another moderator of the same room has a count of their own.
    colleague = make_moderator(room)
    services.room_one_to_one_offer(moderator=colleague, room_id=room.pk, seq=1)


@pytest.mark.django_db
@pytest.mark.parametrize(("risk_level", "priority"), [(3, RequestPriority.URGENT), (2, RequestPriority.NORMAL)])
def test_accepting_starts_a_request_on_the_rooms_topic_urgent_after_an_imminent_message(risk_level, priority):
    room, moderator, writer, _ = _room_with_message(risk_level=risk_level)
    offered = services.room_one_to_one_offer(moderator=moderator, room_id=room.pk, seq=1)
    request = services.room_one_to_one_accept(user=writer, room_id=room.pk, invitation=offered.pk)
    request.refresh_from_db()
    assert request.seeker == writer and request.topic == room.topic and request.status == RequestStatus.WAITING
    assert request.priority == priority
    accepted = RoomModerationAction.objects.get(action=ModerationAction.ONE_TO_ONE_ACCEPTED)
    assert accepted.detail == {"invitation": offered.pk, "request": request.pk}
    # Used once: a second accept is refused and no second request is made.
    with pytest.raises(DomainError) as refused:
        services.room_one_to_one_accept(user=writer, room_id=room.pk, invitation=offered.pk)
    assert refused.value.code == "invitation_gone"
    assert ChatRequest.objects.filter(seeker=writer).count() == 1


@pytest.mark.django_db
def test_an_invitation_is_only_for_its_member_and_expires():
    room, moderator, writer, _ = _room_with_message()
    offered = services.room_one_to_one_offer(moderator=moderator, room_id=room.pk, seq=1)
    other = make_member(room)
    with pytest.raises(NotFoundOrForbidden):
        services.room_one_to_one_accept(user=other, room_id=room.pk, invitation=offered.pk)
    stranger = SeekerFactory()
    with pytest.raises(NotFoundOrForbidden):
        services.room_one_to_one_accept(user=stranger, room_id=room.pk, invitation=offered.pk)
    later = timezone.now() + timedelta(seconds=services.ONE_TO_ONE_INVITATION_SECONDS + 1)
    with pytest.raises(DomainError) as refused:
        services.room_one_to_one_accept(user=writer, room_id=room.pk, invitation=offered.pk, now=later)
    assert refused.value.code == "invitation_gone"
    assert not ChatRequest.objects.exists()


# --- the socket ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_member_alone_receives_the_invitation_and_accepting_puts_them_in_line():
    room = await run_db(make_room)
    moderator = await run_db(make_moderator, room)
    writer = await run_db(make_member, room)
    bystander = await run_db(make_member, room)
    async with (
        in_room(moderator, room.pk) as ws_mod,
        in_room(writer, room.pk) as ws_w,
        in_room(bystander, room.pk) as ws_b,
    ):
        ack = await send_and_ack(ws_w, IMMINENT, "c1")
        assert ack["status"] == "held"
        await ws_mod.send_json_to({"type": "room.one_to_one.offer", "seq": ack["seq"], "ref": "o"})
        done, _ = await frames_until(ws_mod, "room.moderation.ack")
        assert done["action"] == "one_to_one_offered" and done["ref"] == "o" and done["alias"] == writer.alias
        invited, _ = await frames_until(ws_w, "room.one_to_one.invited")
        assert invited["invitation"] == done["invitation"] and invited["topic"] == "anxiety"
        assert invited["room"] == room.pk and invited["message"] == payloads.ONE_TO_ONE_INVITATION
        # Nobody else hears of it: the bystander's next frame is the answer to their own ping.
        await ws_b.send_json_to({"type": "ping", "ref": "p"})
        pong, seen = await frames_until(ws_b, "pong")
        assert not [f for f in seen if f["type"].startswith("room.one_to_one")]

        await ws_w.send_json_to({"type": "room.one_to_one.accept", "invitation": invited["invitation"], "ref": "a"})
        accepted, _ = await frames_until(ws_w, "room.one_to_one.accepted")
        assert accepted["ref"] == "a" and accepted["request"]["topic"] == "anxiety"
    request = await run_db(ChatRequest.objects.get, seeker=writer)
    assert request.conversation_id == accepted["conversation"] and request.priority == RequestPriority.URGENT


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("who", "frame", "code"),
    [
        ("member", {"type": "room.one_to_one.offer", "seq": 1}, "forbidden"),
        ("moderator", {"type": "room.one_to_one.offer"}, "missing_field"),
        ("moderator", {"type": "room.one_to_one.offer", "seq": "1"}, "invalid_field"),
        ("moderator", {"type": "room.one_to_one.offer", "seq": 1, "alias": "x"}, "unknown_field"),
        ("moderator", {"type": "room.one_to_one.offer", "seq": 7}, "not_found"),
        ("member", {"type": "room.one_to_one.accept", "invitation": 12345}, "not_found"),
        ("member", {"type": "room.one_to_one.accept", "invitation": -1}, "invalid_field"),
    ],
)
async def test_bad_or_forbidden_frames_are_refused_with_a_code(who, frame, code):
    room = await run_db(make_room)
    moderator = await run_db(make_moderator, room)
    member = await run_db(make_member, room)
    async with in_room(moderator if who == "moderator" else member, room.pk) as ws:
        await ws.send_json_to(frame)
        error = await ws.receive_json_from(timeout=5)
        while error["type"] != "error":
            error = await ws.receive_json_from(timeout=5)
        assert error["code"] == code, error


@pytest.mark.django_db(transaction=True)
async def test_a_member_who_reloads_gets_the_pending_invitation_again_in_hello_until_it_is_used():
    room, moderator, writer, message = await run_db(_room_with_message)
    offered = await run_db(services.room_one_to_one_offer, moderator=moderator, room_id=room.pk, seq=message.seq)
    bystander = await run_db(make_member, room)
    async with in_room(writer, room.pk) as ws:
        invitation = ws.hello["invitation"]
        assert (invitation["invitation"], invitation["topic"], invitation["message"]) == (
            offered.pk,
            "anxiety",
            payloads.ONE_TO_ONE_INVITATION,
        )
        assert invitation["expires_at"] == offered.detail["expires_at"]
    async with in_room(bystander, room.pk) as ws:
        assert ws.hello["invitation"] is None  # someone else's invitation is never shown
    async with in_room(moderator, room.pk) as ws:
        assert "invitation" not in ws.hello
    await run_db(services.room_one_to_one_accept, user=writer, room_id=room.pk, invitation=offered.pk)
    async with in_room(writer, room.pk) as ws:
        assert ws.hello["invitation"] is None  # used once


@pytest.mark.django_db
def test_an_expired_invitation_is_not_shown_again():
    from rooms.selectors import invitation_pending_for_member

    room, moderator, writer, _ = _room_with_message()
    offered = services.room_one_to_one_offer(moderator=moderator, room_id=room.pk, seq=1)
    soon = offered.created_at + timedelta(seconds=services.ONE_TO_ONE_INVITATION_SECONDS - 1)
    later = offered.created_at + timedelta(seconds=services.ONE_TO_ONE_INVITATION_SECONDS)
    assert invitation_pending_for_member(room_id=room.pk, user_id=writer.pk, now=soon) == offered
    assert invitation_pending_for_member(room_id=room.pk, user_id=writer.pk, now=later) is None
