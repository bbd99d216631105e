"""Room replies stay under the transport's 64 KiB limit: hello, sync and history page by bytes."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from rooms.models import Room, RoomMessage
from tests.chat.test_paging import LIMIT, long_text, raw_until
from tests.rooms.helpers import make_member, make_moderator, make_room, room_path
from tests.ws import connected

pytestmark = pytest.mark.django_db(transaction=True)


def room_with_messages(count: int, *, held_every: int = 0):
    room = make_room()
    author = make_member(room)
    now = timezone.now()
    RoomMessage.objects.bulk_create(
        RoomMessage(
            room=room,
            seq=seq,
            sender=author,
            client_id=f"c{seq}",
            text=long_text(seq),
            created_at=now,
            status="held" if held_every and seq % held_every == 0 else "visible",
        )
        for seq in range(1, count + 1)
    )
    Room.objects.filter(pk=room.pk).update(last_seq=count)
    return room, make_member(room), make_moderator(room)


@pytest.fixture
def big_room(db):
    return room_with_messages(600, held_every=2)


async def hello_of(ws) -> tuple[int, dict]:
    raw = await ws.receive_from(timeout=10)
    return len(raw.encode("utf-8")), json.loads(raw)


async def test_room_hello_sync_and_history_fit_one_frame_and_page_without_loss(big_room):
    room, member, _ = big_room
    async with connected(member, path=room_path(room.pk), expect_hello=False) as ws:
        size, hello = await hello_of(ws)
        assert hello["type"] == "room.hello" and size < LIMIT
        assert hello["has_more_before"] is True and hello["messages"][-1]["seq"] == 600
        seen, after, sizes = [], 0, []
        for page_number in range(200):
            await ws.send_json_to({"type": "room.sync", "after_seq": after, "ref": page_number})
            size, page = await raw_until(ws, "room.messages")
            assert page["ref"] == page_number
            sizes.append(size)
            seen += [m["seq"] for m in page["messages"]]
            if not page["has_more"]:
                break
            after = page["next_after_seq"]
        assert len(sizes) > 1 and max(sizes) < LIMIT
        assert seen == list(range(1, 601))
        await ws.send_json_to({"type": "room.history", "before_seq": 600, "limit": 100, "ref": "h"})
        size, history = await raw_until(ws, "room.history")
        assert size < LIMIT and history["has_more"] is True
        seqs = [m["seq"] for m in history["messages"]]
        assert seqs == list(range(600 - len(seqs), 600)), "the newest before before_seq, oldest first"


async def test_a_moderators_hello_with_hundreds_of_held_messages_fits_and_says_there_are_more(big_room):
    room, _, moderator = big_room
    async with connected(moderator, path=room_path(room.pk), expect_hello=False) as ws:
        size, hello = await hello_of(ws)
        assert hello["type"] == "room.hello" and size < LIMIT
        assert hello["held"] and hello["held_has_more"] is True
        held = [m["seq"] for m in hello["held"]]
        assert held == sorted(held) and held[-1] == 600
        assert all(m["text"] for m in hello["held"]), "moderators read held messages in full"
