"""Replies that carry messages stay under the transport's 64 KiB limit and page with ``has_more``.

Daphne refuses to send a larger message (``HEARTH_WS_SERVER_MAX_BYTES``), so a sync from 0 on a
long chat, or the transcript at a match, must come in pages that a client follows to the end
without losing or repeating a message. The in-memory communicator does not enforce the limit, so
every frame's size is measured here.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from chat.models import Conversation, ConversationStatus, Message
from tests.chat.helpers import matched_pair
from tests.chat.test_chat_socket import start_shift
from tests.factories import ListenerFactory, SeekerFactory
from tests.ws import connected

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 64 * 1024


def long_text(seq: int) -> str:
    """About 1,000 characters; every tenth all emoji (12 bytes each once escaped)."""
    if seq % 10 == 0:
        return "🌙" * 1000
    return (f"{seq}: I keep thinking about it, é, over and over. " * 30)[:1000]


def fill(conversation: Conversation, count: int, *, sender, role: str) -> None:
    start = conversation.last_seq
    now = timezone.now()
    Message.objects.bulk_create(
        Message(
            conversation=conversation,
            seq=start + i,
            sender=sender,
            sender_role=role,
            client_id=f"bulk-{start + i}",
            text=long_text(start + i),
            created_at=now,
        )
        for i in range(1, count + 1)
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=start + count)
    conversation.last_seq = start + count


async def raw_until(ws, frame_type: str, *, skip: int = 50) -> tuple[int, dict]:
    """The next frame of ``frame_type`` and its size in bytes as sent."""
    for _ in range(skip):
        raw = await ws.receive_from(timeout=10)
        frame = json.loads(raw)
        if frame["type"] == frame_type:
            return len(raw.encode("utf-8")), frame
    raise AssertionError(f"no {frame_type} frame")


async def sync_all(ws, conversation_id: int, *, after_seq: int = 0) -> tuple[list[dict], list[int]]:
    """Follow conversation.sync pages until has_more is false; every message and every page's size."""
    messages, sizes = [], []
    for page_number in range(1000):
        await ws.send_json_to(
            {"type": "conversation.sync", "conversation": conversation_id, "after_seq": after_seq, "ref": page_number}
        )
        size, page = await raw_until(ws, "conversation.messages")
        assert page["ref"] == page_number
        sizes.append(size)
        messages.extend(page["messages"])
        if page["messages"]:
            assert page["next_after_seq"] == page["messages"][-1]["seq"]
        if not page["has_more"]:
            return messages, sizes
        after_seq = page["next_after_seq"]
    raise AssertionError("sync never finished")


async def test_sync_from_zero_on_a_600_message_chat_pages_under_64_kib_without_loss_or_repeats():
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    await sync_to_async(fill)(conversation, 600, sender=seeker, role="seeker")
    last_seq = conversation.last_seq
    async with connected(seeker) as ws:
        messages, sizes = await sync_all(ws, conversation.pk)
    assert len(sizes) > 1, "the transcript needed several pages"
    assert max(sizes) < LIMIT
    assert [m["seq"] for m in messages] == list(range(1, last_seq + 1))
    texts = {m["seq"]: m["text"] for m in messages if m["client_id"]}
    assert texts[600] == long_text(600) and texts[333] == long_text(333)


async def test_a_sync_limit_is_honoured_and_a_huge_one_is_refused_with_the_socket_still_open():
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    await sync_to_async(fill)(conversation, 20, sender=seeker, role="seeker")
    async with connected(seeker) as ws:
        await ws.send_json_to(
            {"type": "conversation.sync", "conversation": conversation.pk, "after_seq": 0, "limit": 5}
        )
        _, page = await raw_until(ws, "conversation.messages")
        assert [m["seq"] for m in page["messages"]] == [1, 2, 3, 4, 5] and page["has_more"] is True
        await ws.send_json_to(
            {"type": "conversation.sync", "conversation": conversation.pk, "after_seq": 0, "limit": 10**9, "ref": "big"}
        )
        _, error = await raw_until(ws, "error")
        assert error == {**error, "code": "invalid_field", "field": "limit", "ref": "big"}
        await ws.send_json_to({"type": "ping", "ref": "alive"})
        _, pong = await raw_until(ws, "pong")
        assert pong["ref"] == "alive"


async def test_the_transcript_at_the_match_comes_in_pages_when_the_seeker_wrote_a_lot_while_waiting(settings):
    seeker = await sync_to_async(SeekerFactory)()
    listener = await sync_to_async(ListenerFactory)()
    async with connected(seeker) as s, connected(listener) as l:
        await s.send_json_to({"type": "request.create", "topic": "anxiety"})
        _, created = await raw_until(s, "request.created")
        conversation = await sync_to_async(Conversation.objects.get)(pk=created["request"]["conversation"])
        assert conversation.status == ConversationStatus.WAITING
        await sync_to_async(fill)(conversation, 150, sender=seeker, role="seeker")
        await start_shift(l)
        _, offer = await raw_until(l, "offer.created")
        await l.send_json_to({"type": "offer.accept", "offer": offer["offer"]["id"], "ref": "acc"})
        _, accepted = await raw_until(l, "offer.accepted")
        assert accepted["ref"] == "acc"
        size, started = await raw_until(l, "conversation.started")
        assert size < LIMIT and started["has_more"] is True
        rest, sizes = await sync_all(l, conversation.pk, after_seq=started["next_after_seq"])
        assert max(sizes) < LIMIT
        seen = [m["seq"] for m in started["messages"] + rest]
        final_seq = await sync_to_async(lambda: Conversation.objects.get(pk=conversation.pk).last_seq)()
        assert seen == list(range(1, final_seq + 1)), "every message once, the join notice included"
        # The seeker's socket learns of the match too, still under the limit, and stays open.
        size, seeker_started = await raw_until(s, "conversation.started")
        assert size < LIMIT and seeker_started["conversation"]["peer"]["alias"] == listener.alias
        await s.send_json_to({"type": "ping", "ref": 1})
        assert (await raw_until(s, "pong"))[1]["ref"] == 1


async def test_a_staff_hello_with_hundreds_of_open_alerts_fits_one_frame_most_severe_first():
    from safety.models import SafetyFlag
    from tests.safety.helpers import staff_member

    def setup():
        _, _, conversation = matched_pair()
        SafetyFlag.objects.bulk_create(
            SafetyFlag(
                conversation=conversation,
                source="classifier",
                level=3 if i % 7 == 0 else 2,
                categories=["self_harm"],
                reason="Crisis language " * 10,
                excerpt=long_text(i)[:300],
            )
            for i in range(400)
        )
        staff = staff_member()
        from django.contrib.auth.models import Group

        staff.groups.add(Group.objects.get(name="Safety staff"))
        return staff

    staff = await sync_to_async(setup)()
    async with connected(staff, path="/ws/v1/staff/", expect_hello=False) as ws:
        size, hello = await raw_until(ws, "hello")
    assert size < LIMIT
    assert hello["alerts"] and hello["alerts_has_more"] is True
    levels = [alert["level"] for alert in hello["alerts"]]
    assert levels == sorted(levels, reverse=True) and levels[0] == 3


def test_a_server_frame_limit_too_small_for_one_long_message_is_refused_at_start(settings):
    from support.checks import frame_limits

    assert frame_limits(None) == []
    settings.HEARTH_WS_SERVER_MAX_BYTES = 16 * 1024
    assert [error.id for error in frame_limits(None)] == ["hearth.E010"]


async def test_paging_through_a_long_transcript_counts_as_one_read_but_rereading_from_the_start_is_limited(settings):
    settings.HEARTH_WS_SYNC_PER_SOCKET = 3
    seeker, listener, conversation = await sync_to_async(matched_pair)()
    await sync_to_async(fill)(conversation, 200, sender=seeker, role="seeker")
    async with connected(seeker) as ws:
        for _ in range(3):
            messages, sizes = await sync_all(ws, conversation.pk)
            assert len(sizes) > 3 and len(messages) == conversation.last_seq
        await ws.send_json_to(
            {"type": "conversation.sync", "conversation": conversation.pk, "after_seq": 0, "ref": "again"}
        )
        _, error = await raw_until(ws, "error")
        assert error["code"] == "rate_limited" and error["retry_after"] > 0
