"""The room socket: joining, presence, guideline, messages, resume, capacity, open state."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack

import pytest

from rooms.frames import MEMBERS_PER_MINUTE
from rooms.models import RoomMessage, RoomPresence
from support.ws import CloseCode
from tests.factories import SeekerFactory
from tests.rooms.helpers import (
    PresenceView,
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


def _open_room(**kwargs):
    room = make_room(**kwargs)
    return room, make_moderator(room)


async def test_join_sends_room_state_presence_and_the_last_50_messages():
    room, moderator = await run_db(_open_room)
    member = await run_db(make_member, room)

    def seed():
        from django.utils import timezone

        for seq in range(1, 61):
            RoomMessage.objects.create(
                room=room,
                seq=seq,
                sender=moderator,
                sender_is_moderator=True,
                text=f"m{seq}",
                created_at=timezone.now(),
            )
        type(room).objects.filter(pk=room.pk).update(last_seq=60)

    await run_db(seed)
    async with in_room(moderator, room.pk):
        async with in_room(member, room.pk) as ws:
            hello = ws.hello
            assert [m["seq"] for m in hello["messages"]] == list(range(11, 61))
            assert hello["last_seq"] == 60 and hello["has_more_before"] is True
            assert hello["room"]["open"] is True and hello["room"]["guideline"]
            assert hello["room"]["member_count"] == 1
            assert {p["alias"] for p in hello["members"]} == {moderator.alias, member.alias}
            # Older history by paging.
            await ws.send_json_to({"type": "room.history", "before_seq": 11, "limit": 10, "ref": "h"})
            page, _ = await frames_until(ws, "room.history")
            assert [m["seq"] for m in page["messages"]] == list(range(1, 11))
            assert page["has_more"] is False and page["ref"] == "h"


async def test_presence_follows_people_coming_and_going_through_deltas():
    room, moderator = await run_db(_open_room)
    first = await run_db(make_member, room)
    second = await run_db(make_member, room)
    async with in_room(moderator, room.pk):
        async with in_room(first, room.pk) as ws_first:
            view = PresenceView(ws_first.hello)
            assert view.aliases == {moderator.alias, first.alias}
            # The tick tells the room about the moderator and the first member together.
            assert await announce_presence() == 1
            delta = await presence_until(ws_first, lambda f: True)
            assert {m["alias"] for m in delta["joined"]} == {moderator.alias, first.alias}
            # The first member's hello was already at that version: nothing to apply.
            assert view.apply(delta) is False and view.aliases == {moderator.alias, first.alias}
            async with in_room(second, room.pk) as ws_second:
                # The newcomer's hello has everyone; the others hear of them in the next delta.
                assert {m["alias"] for m in ws_second.hello["members"]} == {moderator.alias, first.alias, second.alias}
                assert await announce_presence() == 1
                delta = await presence_until(ws_first, view.apply)
                assert delta["joined"] == [{"alias": second.alias, "moderator": False}] and delta["left"] == []
                assert view.aliases == {moderator.alias, first.alias, second.alias} and view.count == 2
            assert await announce_presence() == 1
            delta = await presence_until(ws_first, view.apply)
            assert delta["left"] == [second.alias] and delta["joined"] == [] and delta["count"] == 1
            assert view.aliases == {moderator.alias, first.alias}
    assert await run_db(lambda: RoomPresence.objects.filter(room=room).count()) == 0


async def test_a_join_sends_nobody_a_member_list_and_a_late_joiner_hello_has_everyone():
    room, moderator = await run_db(_open_room)
    members = [await run_db(make_member, room) for _ in range(6)]
    late = await run_db(make_member, room)
    async with AsyncExitStack() as stack:
        mod_ws = await stack.enter_async_context(in_room(moderator, room.pk))
        sockets = [await stack.enter_async_context(in_room(member, room.pk)) for member in members]
        late_ws = await stack.enter_async_context(in_room(late, room.pk))
        everyone = {moderator.alias, late.alias, *(m.alias for m in members)}
        assert {m["alias"] for m in late_ws.hello["members"]} == everyone
        assert [m["moderator"] for m in late_ws.hello["members"] if m["alias"] == moderator.alias] == [True]
        assert set(late_ws.hello["members"][0]) == {"alias", "moderator"}
        # Seven joins, one tick: every socket's first presence frame is that one delta, and it
        # brings each client's list (whenever its hello was) to exactly everyone.
        assert await announce_presence() == 1
        for ws in [mod_ws, *sockets, late_ws]:
            view = PresenceView(ws.hello)
            delta, before = await frames_until(ws, "room.presence")
            assert not [f for f in before if f["type"] in ("room.presence", "room.members")], before
            assert "members" not in delta
            view.apply(delta)
            assert view.aliases == everyone and view.count == 7


async def test_room_members_answers_the_full_list_for_a_client_that_missed_a_delta(monkeypatch):
    import types

    from support import ratelimit

    # The limit counts in fixed one-minute windows: hold the clock so the burst cannot straddle a reset.
    frozen = ratelimit.time.time()
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: frozen))
    room, moderator = await run_db(_open_room)
    member = await run_db(make_member, room)
    async with in_room(moderator, room.pk), in_room(member, room.pk) as ws:
        await ws.send_json_to({"type": "room.members", "ref": "m1"})
        reply, _ = await frames_until(ws, "room.members")
        assert reply["ref"] == "m1" and reply["room"] == room.pk
        assert reply["version"] == ws.hello["presence_version"] and reply["count"] == 1
        assert reply["members"] == ws.hello["members"]
        # It reads the whole list: a member may ask MEMBERS_PER_MINUTE times a minute, no more.
        for attempt in range(MEMBERS_PER_MINUTE):
            await ws.send_json_to({"type": "room.members", "ref": f"x{attempt}"})
        replies = []
        while len(replies) < MEMBERS_PER_MINUTE:  # room.state / room.presence events may interleave
            frame = await ws.receive_json_from(timeout=5)
            if frame["type"] in ("room.members", "error"):
                replies.append(frame)
        assert [f["type"] for f in replies[:-1]] == ["room.members"] * (MEMBERS_PER_MINUTE - 1)
        assert (
            replies[-1]["type"] == "error" and replies[-1]["code"] == "rate_limited" and replies[-1]["retry_after"] >= 1
        )


async def test_newcomer_must_acknowledge_the_guideline_before_their_first_message():
    room, moderator = await run_db(_open_room)
    newcomer = await run_db(SeekerFactory)
    async with in_room(moderator, room.pk):
        async with in_room(newcomer, room.pk) as ws:
            assert ws.hello["you"]["guideline_acknowledged"] is False
            await ws.send_json_to({"type": "room.message.send", "client_id": "a", "text": "hello all"})
            error, _ = await frames_until(ws, "error")
            assert error["code"] == "guideline_not_acknowledged"
            await ws.send_json_to({"type": "room.acknowledge_guideline"})
            await frames_until(ws, "room.guideline_acknowledged")
            ack = await send_and_ack(ws, "hello all", "a")
            assert ack["seq"] == 1 and ack["status"] == "visible"
        # Once is enough: the next visit starts acknowledged.
        async with in_room(newcomer, room.pk) as ws:
            assert ws.hello["you"]["guideline_acknowledged"] is True


async def test_message_reaches_every_member_once_and_a_resent_client_id_is_not_duplicated():
    room, moderator = await run_db(_open_room)
    alice = await run_db(make_member, room)
    bob = await run_db(make_member, room)
    async with in_room(moderator, room.pk):
        async with in_room(alice, room.pk) as ws_a, in_room(bob, room.pk) as ws_b:
            ack = await send_and_ack(ws_a, "anyone else awake?", "c-1")
            created, _ = await frames_until(ws_b, "room.message.created")
            assert created["message"]["text"] == "anyone else awake?"
            assert created["message"]["sender_alias"] == alice.alias
            assert created["message"]["seq"] == ack["seq"] == 1
            again = await send_and_ack(ws_a, "anyone else awake?", "c-1")
            assert again["duplicate"] is True and again["seq"] == 1
    assert await run_db(lambda: RoomMessage.objects.filter(room=room).count()) == 1


async def test_too_long_and_empty_messages_get_typed_errors():
    room, moderator = await run_db(_open_room)
    member = await run_db(make_member, room)
    async with in_room(moderator, room.pk):
        async with in_room(member, room.pk) as ws:
            await ws.send_json_to({"type": "room.message.send", "client_id": "x", "text": "a" * 2001})
            error, _ = await frames_until(ws, "error")
            assert error["code"] == "message_too_long" and error["limit"] == 2000
            await ws.send_json_to({"type": "room.message.send", "client_id": "y", "text": "   "})
            error, _ = await frames_until(ws, "error")
            assert error["code"] == "empty_message"
            await ws.send_json_to({"type": "room.history", "before_seq": "5"})
            error, _ = await frames_until(ws, "error")
            assert error["code"] == "invalid_field" and error["field"] == "before_seq"


async def test_room_without_a_moderator_is_closed_shows_next_opening_and_offers_one_to_one():
    from datetime import time

    room = await run_db(make_room, hours=[(day, time(18, 0), time(20, 0)) for day in range(7)])
    moderator = await run_db(make_moderator, room)
    member = await run_db(make_member, room)
    async with in_room(member, room.pk) as ws:
        assert ws.hello["room"]["open"] is False
        assert ws.hello["room"]["next_opening"].endswith(":00Z")
        assert ws.hello["alternatives"]["one_to_one"] == {"topic": "anxiety"}
        await ws.send_json_to({"type": "room.message.send", "client_id": "a", "text": "hello?"})
        error, _ = await frames_until(ws, "error")
        assert error["code"] == "room_closed" and error["next_opening"]
        # A moderator arriving opens it for everyone already waiting.
        async with in_room(moderator, room.pk):
            state, _ = await frames_until(ws, "room.state")
            assert state["open"] is True
            ack = await send_and_ack(ws, "hello?", "a")
            assert ack["status"] == "visible"
        state, _ = await frames_until(ws, "room.state")
        assert state["open"] is False and state["next_opening"]


async def test_full_room_says_room_full_offers_another_room_and_closes_4429():
    room, moderator = await run_db(_open_room, capacity=2)
    other, other_moderator = await run_db(_open_room, name="Second anxiety room")
    members = [await run_db(make_member, room) for _ in range(3)]
    async with in_room(moderator, room.pk), in_room(other_moderator, other.pk):
        async with in_room(members[0], room.pk), in_room(members[1], room.pk):
            # The moderator does not take a place; a second tab of a member does not either.
            async with in_room(members[0], room.pk) as second_tab:
                assert second_tab.hello["room"]["member_count"] == 2
            async with in_room(members[2], room.pk, expect_hello=False) as ws:
                error = await ws.receive_json_from(timeout=5)
                assert error["type"] == "error" and error["code"] == "room_full"
                assert error["alternatives"]["rooms"] == [{"id": other.pk, "name": "Second anxiety room"}]
                assert error["alternatives"]["one_to_one"] == {"topic": "anxiety"}
                assert (await ws.receive_output(timeout=5))["code"] == CloseCode.TOO_MANY_CONNECTIONS
        # Someone left: there is room again.
        async with in_room(members[2], room.pk) as ws:
            assert ws.hello["room"]["member_count"] <= 2


async def test_resume_in_a_busy_room_loses_nothing_and_duplicates_nothing():
    room, moderator = await run_db(_open_room)
    talkers = [await run_db(make_member, room) for _ in range(3)]
    reader = await run_db(make_member, room)
    sent_while_away = 0
    async with in_room(moderator, room.pk):
        sockets = [in_room(user, room.pk) for user in talkers]
        opened = [await cm.__aenter__() for cm in sockets]
        try:
            async with in_room(reader, room.pk) as ws:
                for i, talker_ws in enumerate(opened):
                    await send_and_ack(talker_ws, f"before {i}", f"b{i}")
                seen = {}
                while len(seen) < 3:
                    frame, _ = await frames_until(ws, "room.message.created")
                    seen[frame["message"]["seq"]] = frame["message"]
                highest = max(seen)

            # The reader is away while the room keeps talking, concurrently.
            async def talk(index, talker_ws):
                for n in range(5):
                    await send_and_ack(talker_ws, f"while away {index}.{n}", f"w{index}.{n}")

            await asyncio.gather(*(talk(i, w) for i, w in enumerate(opened)))
            sent_while_away = 15

            async with in_room(reader, room.pk) as ws:
                await ws.send_json_to({"type": "room.sync", "after_seq": highest})
                batch, _ = await frames_until(ws, "room.messages")
                for message in batch["messages"]:
                    assert message["seq"] not in seen
                    seen[message["seq"]] = message
                assert batch["has_more"] is False
                assert sorted(seen) == list(range(1, batch["last_seq"] + 1))
                # A talker's retry after a lost ack does not add a message.
                await send_and_ack(opened[0], "while away 0.4", "w0.4")
        finally:
            for cm in sockets:
                await cm.__aexit__(None, None, None)
    assert len(seen) == 3 + sent_while_away
    assert await run_db(lambda: RoomMessage.objects.filter(room=room).count()) == 18


async def test_every_client_id_in_a_concurrent_burst_gets_exactly_one_gap_free_seq():
    room, moderator = await run_db(_open_room)
    members = [await run_db(make_member, room) for _ in range(4)]
    async with in_room(moderator, room.pk):
        contexts = [in_room(member, room.pk) for member in members]
        sockets = [await cm.__aenter__() for cm in contexts]
        try:
            acks = await asyncio.gather(
                *(send_and_ack(ws, f"burst {i}", uuid.uuid4().hex) for i, ws in enumerate(sockets))
            )
        finally:
            for cm in contexts:
                await cm.__aexit__(None, None, None)
    assert sorted(ack["seq"] for ack in acks) == [1, 2, 3, 4]


async def test_a_member_who_closes_right_after_sending_still_leaves_the_room_at_once():
    """The tab closes before the ack goes out: the message is kept and the person is not left "present".

    Daphne raises on a send to a socket its client already closed; the consumer
    must still read the queued disconnect and leave, or the person stays
    "present" until the stale sweep a minute later.
    """
    from autobahn.exception import Disconnected
    from channels.testing import WebsocketCommunicator

    from support.asgi import application
    from tests.ws import cookie_for

    room, moderator = await run_db(_open_room)
    member = await run_db(make_member, room)
    tab_closed = asyncio.Event()
    ack_refused = asyncio.Event()

    async def served_by_daphne(scope, receive, send):
        async def send_to_client(message):
            if tab_closed.is_set():
                if "room.message.ack" in (message.get("text") or ""):
                    ack_refused.set()
                raise Disconnected("Attempt to send on a closed protocol")
            await send(message)

        return await application(scope, receive, send_to_client)

    async with in_room(moderator, room.pk):
        communicator = WebsocketCommunicator(
            served_by_daphne,
            f"/ws/v1/rooms/{room.pk}/",
            headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", await cookie_for(member))],
        )
        assert (await communicator.connect(timeout=5))[0]
        assert (await communicator.receive_json_from(timeout=5))["type"] == "room.hello"
        tab_closed.set()
        await communicator.send_json_to({"type": "room.message.send", "client_id": "last-words", "text": "bye for now"})
        await asyncio.wait_for(ack_refused.wait(), timeout=5)  # the message was stored; its ack cannot go out
        await communicator.send_input({"type": "websocket.disconnect", "code": 1001})
        await communicator.wait(timeout=5)  # the consumer ends cleanly, not with the send's exception

        def state():
            return (
                list(RoomMessage.objects.filter(room=room).values_list("client_id", "text")),
                set(RoomPresence.objects.filter(room=room).values_list("user_id", flat=True)),
            )

        messages, present = await run_db(state)
        assert messages == [("last-words", "bye for now")]
        assert present == {moderator.pk}
