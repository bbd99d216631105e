"""Frame handlers for the room socket: validate the frame, call one service or selector, reply.

Each handler takes the consumer (which knows its ``room_id``) and the decoded
frame. Domain refusals are raised as ``DomainError`` and become ``error``
frames in ``support.ws``. Frames are documented in docs/protocol.md.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone

from chat.services.requests import request_status
from rooms import selectors, services
from rooms.payloads import invitation_payload, iso, room_payload
from safety.classifier import Level
from support import ratelimit
from support.client_ip import client_ip_from_scope
from support.errors import RateLimited
from support.events import run_service
from support.helplines import helplines_for
from support.paging import budget_for, encoded_size, take_within
from support.ws import PROTOCOL_VERSION, FrameError, require, require_id


def _seq(frame: dict, name: str = "seq") -> int:
    return require_id(frame, name)


def hello_payload(*, user, room_id: int, moderator: bool, presence: selectors.PresenceSnapshot) -> dict:
    """What a socket gets right after joining: the room, who is here, the last messages, for moderators
    the held ones, and for members a one-to-one invitation that can still be accepted.

    ``presence`` is the member list ``room_join`` read under the room lock,
    with the presence version it is exact for; later ``room.presence`` deltas
    continue from that version.
    """
    now = timezone.now()
    room, membership = selectors.room_get_for_member(user=user, room_id=room_id, now=now)
    state = selectors.room_state(room, now=now)
    recent = selectors.messages_recent(room, limit=settings.ROOMS_JOIN_HISTORY)
    envelope = {
        "type": "room.hello",
        "protocol": PROTOCOL_VERSION,
        "room": room_payload(room, state=state),
        "you": {
            "alias": user.alias,
            "moderator": moderator,
            "guideline_acknowledged": moderator or membership.guideline_acknowledged_at is not None,
            "muted_until": iso(membership.muted_until)
            if membership.muted_until and membership.muted_until > now
            else None,
        },
        "members": presence.members,
        "presence_version": presence.version,
        "messages": [],
        "last_seq": room.last_seq,
        "has_more_before": False,
    }
    if moderator:
        envelope["held"] = []
        envelope["held_has_more"] = False
    else:
        # A moderator's one-to-one invitation is sent once, live: a reload shows it again until used or expired.
        offered = selectors.invitation_pending_for_member(room_id=room.pk, user_id=user.pk, now=now)
        envelope["invitation"] = (
            invitation_payload(offered, topic=room.topic.slug, expires_at=selectors.invitation_expires_at(offered))
            if offered is not None
            else None
        )
    if not state.open:
        envelope["alternatives"] = selectors.alternatives_for(room, user=user, now=now)
    # One frame under the transport limit (support.paging): the newest messages that fit, then
    # (moderators) the newest held ones in what is left, at most half the room for either.
    budget = budget_for(envelope)
    messages = take_within(
        selectors.payloads_for(recent, viewer_id=user.pk, moderator=moderator),
        budget // 2 if moderator else budget,
        newest=True,
    )
    envelope["messages"] = messages
    envelope["has_more_before"] = bool(messages) and messages[0]["seq"] > 1
    if moderator:
        held = selectors.payloads_for(selectors.held_messages(room), viewer_id=user.pk, moderator=True)
        kept = take_within(held, budget - encoded_size(messages), newest=True)
        envelope["held"] = kept
        envelope["held_has_more"] = len(kept) < len(held)
    return envelope


async def ping(consumer, frame):
    await consumer.reply(frame, {"type": "pong"})


async def acknowledge_guideline(consumer, frame):
    membership = await run_service(services.guideline_acknowledge, user=consumer.user, room_id=consumer.room_id)
    await consumer.reply(
        frame,
        {
            "type": "room.guideline_acknowledged",
            "room": consumer.room_id,
            "at": iso(membership.guideline_acknowledged_at),
        },
    )


async def message_send(consumer, frame):
    client_id = require(frame, "client_id", str)
    text = require(frame, "text", str)
    result = await run_service(
        services.room_message_send, sender=consumer.user, room_id=consumer.room_id, client_id=client_id, text=text
    )
    message = result.message
    ack = {
        "type": "room.message.ack",
        "room": consumer.room_id,
        "client_id": client_id,
        "seq": message.seq,
        "created_at": iso(message.created_at),
        "duplicate": result.duplicate,
        "masked": message.masked,
        "status": message.status,
    }
    if result.screening is not None and result.screening.notice:
        ack["notice"] = result.screening.notice
    await consumer.reply(frame, ack)
    if not result.duplicate and result.held:
        await consumer.send_json(
            {
                "type": "safety.resources",
                "room": consumer.room_id,
                "seq": message.seq,
                "message": services.HELD_NOTICE,
                # The room's age group picks the lines (no child line in an adult room); imminent
                # risk puts emergency services first, as in a one-to-one chat.
                "helplines": helplines_for(
                    None,
                    consumer.room_audience,
                    urgent=result.screening is not None and result.screening.level >= Level.IMMINENT,
                ),
                "one_to_one": {"topic": consumer.room_topic},
            }
        )


def _page_limit(frame: dict) -> int:
    limit = require(frame, "limit", int, optional=True, default=settings.ROOMS_JOIN_HISTORY)
    maximum = settings.ROOMS_HISTORY_PAGE_MAX
    if not 1 <= limit <= maximum:
        raise FrameError("invalid_field", f"'limit' must be 1–{maximum}.", field="limit")
    return limit


def _sync_limit(frame: dict) -> int:
    maximum = settings.CHAT_RESUME_BATCH
    limit = require(frame, "limit", int, optional=True, default=maximum)
    if not 1 <= limit <= maximum:
        raise FrameError("invalid_field", f"'limit' must be 1–{maximum}.", field="limit", maximum=maximum)
    return limit


async def sync(consumer, frame):
    after_seq = require(frame, "after_seq", int, optional=True, default=0)
    if after_seq < 0:
        raise FrameError("invalid_field", "'after_seq' must be 0 or more.", field="after_seq")
    ratelimit.transcript_read_limit(
        consumer, "room.sync", key=consumer.room_id, after_seq=after_seq, limit=settings.HEARTH_WS_SYNC_PER_SOCKET
    )
    limit = _sync_limit(frame)

    def load():
        room, _ = selectors.room_get_for_member(user=consumer.user, room_id=consumer.room_id)
        if after_seq > room.last_seq:
            raise FrameError(
                "invalid_field",
                "'after_seq' is past the room's last message.",
                field="after_seq",
                last_seq=room.last_seq,
            )
        messages = selectors.messages_after(room, after_seq=after_seq, limit=limit)
        return room, selectors.payloads_for(messages, viewer_id=consumer.user.pk, moderator=consumer.moderator)

    room, messages = await database_sync_to_async(load)()
    envelope = {
        "type": "room.messages",
        "room": consumer.room_id,
        "messages": [],
        "last_seq": room.last_seq,
        "has_more": False,
        "next_after_seq": room.last_seq,
    }
    page = take_within(messages, budget_for(envelope))
    next_after_seq = page[-1]["seq"] if page else after_seq
    reply = {
        **envelope,
        "messages": page,
        "next_after_seq": next_after_seq,
        "has_more": bool(page) and next_after_seq < max(room.last_seq, messages[-1]["seq"]),
    }
    ratelimit.transcript_page_sent(consumer, "room.sync", key=consumer.room_id, page=reply)
    await consumer.reply(frame, reply)


async def history(consumer, frame):
    ratelimit.socket_frame_limit(consumer, "room.history", settings.HEARTH_WS_SYNC_PER_SOCKET)
    before_seq = _seq(frame, "before_seq")
    limit = _page_limit(frame)

    def load():
        room, _ = selectors.room_get_for_member(user=consumer.user, room_id=consumer.room_id)
        messages = selectors.messages_before(room, before_seq=before_seq, limit=limit)
        return selectors.payloads_for(messages, viewer_id=consumer.user.pk, moderator=consumer.moderator)

    messages = await database_sync_to_async(load)()
    envelope = {
        "type": "room.history",
        "room": consumer.room_id,
        "before_seq": before_seq,
        "messages": [],
        "has_more": False,
    }
    # The newest of the page (those just before ``before_seq``) when they do not all fit.
    page = take_within(messages, budget_for(envelope), newest=True)
    await consumer.reply(frame, {**envelope, "messages": page, "has_more": bool(page) and page[0]["seq"] > 1})


MEMBERS_PER_MINUTE = 20


async def members(consumer, frame):
    """The full member list again, for a client that missed a ``room.presence`` delta."""
    decision = await database_sync_to_async(ratelimit.hit)(
        "room-members", f"{consumer.user.pk}:{consumer.room_id}", limit=MEMBERS_PER_MINUTE, window=60
    )
    if not decision.allowed:
        raise RateLimited(decision.retry_after)
    presence = await database_sync_to_async(selectors.presence_get_for_member)(
        user=consumer.user, room_id=consumer.room_id
    )
    await consumer.reply(
        frame,
        {
            "type": "room.members",
            "room": consumer.room_id,
            "version": presence.version,
            "count": presence.count,
            "members": presence.members,
        },
    )


async def report(consumer, frame):
    seq = _seq(frame)
    reason = require(frame, "reason", str, optional=True, default="")
    await run_service(
        services.room_message_report, reporter=consumer.user, room_id=consumer.room_id, seq=seq, reason=reason
    )
    await consumer.reply(frame, {"type": "room.message.report.ack", "room": consumer.room_id, "seq": seq})


async def _moderation_ack(consumer, frame, action: str, **fields) -> None:
    await consumer.reply(frame, {"type": "room.moderation.ack", "room": consumer.room_id, "action": action, **fields})


async def message_remove(consumer, frame):
    seq = _seq(frame)
    await run_service(services.room_message_remove, moderator=consumer.user, room_id=consumer.room_id, seq=seq)
    await _moderation_ack(consumer, frame, "message_removed", seq=seq)


async def message_release(consumer, frame):
    seq = _seq(frame)
    await run_service(services.room_message_release, moderator=consumer.user, room_id=consumer.room_id, seq=seq)
    await _moderation_ack(consumer, frame, "message_released", seq=seq)


async def member_mute(consumer, frame):
    alias = require(frame, "alias", str)
    seconds = require(frame, "seconds", int)
    membership = await run_service(
        services.room_member_mute, moderator=consumer.user, room_id=consumer.room_id, alias=alias, seconds=seconds
    )
    await _moderation_ack(consumer, frame, "member_muted", alias=alias, until=iso(membership.muted_until))


async def member_remove(consumer, frame):
    alias = require(frame, "alias", str)
    membership = await run_service(
        services.room_member_remove, moderator=consumer.user, room_id=consumer.room_id, alias=alias
    )
    await _moderation_ack(consumer, frame, "member_removed", alias=alias, until=iso(membership.removed_until))


async def slow_mode(consumer, frame):
    seconds = require(frame, "seconds", int)
    await run_service(services.room_slow_mode_set, moderator=consumer.user, room_id=consumer.room_id, seconds=seconds)
    await _moderation_ack(consumer, frame, "slow_mode", seconds=seconds)


async def resources_send(consumer, frame):
    alias = require(frame, "alias", str, optional=True, default=None)
    await run_service(services.room_resources_send, moderator=consumer.user, room_id=consumer.room_id, alias=alias)
    fields = {"alias": alias} if alias is not None else {}
    await _moderation_ack(consumer, frame, "resources_sent", **fields)


async def one_to_one_offer(consumer, frame):
    seq = _seq(frame)
    offered = await run_service(
        services.room_one_to_one_offer, moderator=consumer.user, room_id=consumer.room_id, seq=seq
    )
    await _moderation_ack(
        consumer, frame, "one_to_one_offered", seq=seq, alias=offered.target_user.alias, invitation=offered.pk
    )


async def one_to_one_accept(consumer, frame):
    invitation = require_id(frame, "invitation")
    request = await run_service(
        services.room_one_to_one_accept,
        user=consumer.user,
        room_id=consumer.room_id,
        invitation=invitation,
        address=client_ip_from_scope(consumer.scope),
        origin=consumer.channel_name,
    )
    status = await database_sync_to_async(request_status)(request)
    await consumer.reply(
        frame,
        {
            "type": "room.one_to_one.accepted",
            "room": consumer.room_id,
            "invitation": invitation,
            "conversation": request.conversation_id,
            "request": status,
        },
    )


HANDLERS = {
    "ping": ping,
    "room.acknowledge_guideline": acknowledge_guideline,
    "room.message.send": message_send,
    "room.sync": sync,
    "room.history": history,
    "room.members": members,
    "room.message.report": report,
    "room.message.remove": message_remove,
    "room.message.release": message_release,
    "room.member.mute": member_mute,
    "room.member.remove": member_remove,
    "room.slow_mode": slow_mode,
    "room.resources.send": resources_send,
    "room.one_to_one.offer": one_to_one_offer,
    "room.one_to_one.accept": one_to_one_accept,
}

#: The fields each frame takes besides ``type`` and ``ref`` (``support.ws.check_fields``).
FIELDS = {
    "ping": frozenset(),
    "room.acknowledge_guideline": frozenset(),
    "room.message.send": frozenset({"client_id", "text"}),
    "room.sync": frozenset({"after_seq", "limit"}),
    "room.history": frozenset({"before_seq", "limit"}),
    "room.members": frozenset(),
    "room.message.report": frozenset({"seq", "reason"}),
    "room.message.remove": frozenset({"seq"}),
    "room.message.release": frozenset({"seq"}),
    "room.member.mute": frozenset({"alias", "seconds"}),
    "room.member.remove": frozenset({"alias"}),
    "room.slow_mode": frozenset({"seconds"}),
    "room.resources.send": frozenset({"alias"}),
    "room.one_to_one.offer": frozenset({"seq"}),
    "room.one_to_one.accept": frozenset({"invitation"}),
}
