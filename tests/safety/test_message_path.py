"""Screening through the full message path: chat socket → message_send → stored rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat.models import Message
from safety.models import SafetyFlag, Sanction, SanctionKind
from tests.safety.helpers import CRISIS, matched_pair, staff_member
from tests.ws import connected, receive_until

pytestmark = pytest.mark.django_db(transaction=True)
db = database_sync_to_async


async def _send(ws, conversation_id: int, client_id: str, text: str) -> dict:
    await ws.send_json_to(
        {"type": "message.send", "conversation": conversation_id, "client_id": client_id, "text": text}
    )
    for _ in range(20):
        frame = await ws.receive_json_from(timeout=5)
        if frame["type"] in ("message.ack", "error"):
            return frame
    raise AssertionError("no ack or error")


async def test_flag_and_message_are_written_together_or_not_at_all(monkeypatch):
    seeker, listener, conversation = await db(matched_pair)()

    def broken(**kwargs):
        raise RuntimeError("flag store down")

    monkeypatch.setattr("safety.services.flag_create_for_message", broken)
    async with connected(seeker) as ws:
        reply = await _send(ws, conversation.pk, "c1", CRISIS)
    assert reply["type"] == "error" and reply["code"] == "internal_error"
    assert not await db(Message.objects.filter(conversation=conversation, client_id="c1").exists)()
    assert not await db(SafetyFlag.objects.filter(conversation=conversation).exists)()


async def test_retrying_after_a_failed_flag_write_stores_message_and_flag_once(monkeypatch):
    seeker, listener, conversation = await db(matched_pair)()
    import safety.services

    real = safety.services.flag_create_for_message
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("transient")
        return real(**kwargs)

    monkeypatch.setattr("safety.services.flag_create_for_message", flaky)
    async with connected(seeker) as ws:
        assert (await _send(ws, conversation.pk, "c1", CRISIS))["code"] == "internal_error"
        ack = await _send(ws, conversation.pk, "c1", CRISIS)
    assert ack["type"] == "message.ack" and ack["duplicate"] is False
    assert await db(Message.objects.filter(conversation=conversation, client_id="c1").count)() == 1
    assert await db(SafetyFlag.objects.filter(conversation=conversation).count)() == 1


@pytest.mark.parametrize(
    "text",
    [
        "this exam is killing me",
        "i could just die of embarrassment",
        "my boss is going to kill me if i'm late again",
        "that joke killed me, i'm dead",
    ],
)
async def test_everyday_idioms_do_not_raise_a_flag_or_alert_staff(text):
    seeker, listener, conversation = await db(matched_pair)()
    staff = await db(staff_member)()
    async with connected(staff, path="/ws/v1/staff/") as staff_ws, connected(seeker) as ws:
        ack = await _send(ws, conversation.pk, "c1", text)
        assert ack["type"] == "message.ack"
        assert await staff_ws.receive_nothing(timeout=0.3)
    assert not await db(SafetyFlag.objects.filter(conversation=conversation).exists)()
    stored = await db(Message.objects.get)(conversation=conversation, client_id="c1")
    assert stored.text == text and stored.risk_level == 0


@pytest.mark.parametrize(
    "text",
    [
        "call me on 555-123-4567",
        "my number is +44 7911 123456",
        "(212) 555 0199 text me",
        "whatsapp 07911123456 ok",
    ],
)
async def test_phone_numbers_are_masked_before_storing_and_delivering(text):
    seeker, listener, conversation = await db(matched_pair)()
    async with connected(listener) as listener_ws, connected(seeker) as ws:
        ack = await _send(ws, conversation.pk, "p1", text)
        assert ack["masked"] is True and ack["notice"]
        delivered = await receive_until(listener_ws, "message.created")
    stored = await db(Message.objects.get)(conversation=conversation, client_id="p1")
    assert stored.masked is True
    assert "[phone removed]" in stored.text
    assert not any(ch.isdigit() for ch in stored.text.replace("[phone removed]", ""))
    assert delivered["message"]["text"] == stored.text


async def test_a_muted_user_is_refused_with_muted_and_until():
    seeker, listener, conversation = await db(matched_pair)()
    staff = await db(staff_member)()
    until = timezone.now() + timedelta(minutes=30)
    await db(Sanction.objects.create)(
        subject=seeker,
        kind=SanctionKind.MUTE,
        note="cool off",
        created_by=staff,
        created_at=timezone.now(),
        expires_at=until,
    )
    async with connected(seeker) as ws:
        reply = await _send(ws, conversation.pk, "m1", "hello?")
    assert reply["type"] == "error" and reply["code"] == "muted"
    assert reply["until"].startswith(until.strftime("%Y-%m-%dT%H:%M"))
    assert not await db(Message.objects.filter(conversation=conversation, client_id="m1").exists)()


async def test_an_expired_mute_no_longer_blocks_messages():
    seeker, listener, conversation = await db(matched_pair)()
    staff = await db(staff_member)()
    past = timezone.now() - timedelta(minutes=1)
    await db(Sanction.objects.create)(
        subject=seeker,
        kind=SanctionKind.MUTE,
        note="over",
        created_by=staff,
        created_at=past - timedelta(hours=1),
        expires_at=past,
    )
    async with connected(seeker) as ws:
        reply = await _send(ws, conversation.pk, "m2", "hello again")
    assert reply["type"] == "message.ack"


def _mute(subject, staff, *, minutes: int, lifted: bool = False):
    now = timezone.now()
    return Sanction.objects.create(
        subject=subject,
        kind=SanctionKind.MUTE,
        note="n",
        created_by=staff,
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
        lifted_at=now if lifted else None,
    )


def test_the_mute_that_counts_is_the_senders_latest_one_in_force():
    from chat.services.messages import message_send
    from support.errors import DomainError

    seeker, listener, conversation = matched_pair()
    staff = staff_member()
    _mute(listener, staff, minutes=90)  # the other participant's mute does not silence this sender
    sent = message_send(sender=seeker, conversation_id=conversation.pk, client_id="a", text="still here")
    assert sent.duplicate is False
    _mute(seeker, staff, minutes=240, lifted=True)  # lifted: no longer in force
    assert (
        message_send(sender=seeker, conversation_id=conversation.pk, client_id="b", text="and here").duplicate is False
    )
    _mute(seeker, staff, minutes=10)
    longest = _mute(seeker, staff, minutes=60)
    with pytest.raises(DomainError) as refused:
        message_send(sender=seeker, conversation_id=conversation.pk, client_id="c", text="hello?")
    assert refused.value.code == "muted"
    assert refused.value.extra["until"].startswith(longest.expires_at.strftime("%Y-%m-%dT%H:%M"))
