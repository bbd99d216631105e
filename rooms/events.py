"""Event helpers for rooms. Every event is sent after commit (``send_event_on_commit``).

Groups, all per room so one filtering bug cannot leak across rooms:

* ``room.<id>`` — every socket in the room (members and moderators);
* ``room.<id>.moderators`` — moderators' sockets only (held messages, full text of hidden ones);
* ``room.<id>.member.<user>`` — one person's sockets in that room (their own held message, mute, removal).

Event type ``room.deliver`` carries a frame built by ``rooms.payloads``, already encoded (``text``);
``skip_moderators`` marks the member version of a frame that moderators get
in full through their own group. ``room.kick`` sends a frame and closes.

Presence is not sent per join or leave: a change sets one flag in the shared
cache (after commit) and the scheduler tick, in whichever process takes the
flag first, sends each changed room one coalesced ``room.presence`` delta
(``rooms.services.room_presence_announce``).
"""

from __future__ import annotations

import json
import logging

from django.core.cache import cache
from django.db import transaction

from support.events import send_event_on_commit

logger = logging.getLogger("hearth.rooms")

PRESENCE_CHANGED_KEY = "rooms:presence-changed"


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def moderators_group(room_id: int) -> str:
    return f"room.{room_id}.moderators"


def member_group(room_id: int, user_id: int) -> str:
    return f"room.{room_id}.member.{user_id}"


def _deliver(room_id: int, frame: dict, **flags) -> dict:
    """The ``room.deliver`` event: the frame encoded once here, not once per member socket
    (a room message reaches every member; bare Channels sends a pre-encoded text too)."""
    frame.setdefault("room", room_id)
    return {"type": "room.deliver", "text": json.dumps(frame), **flags}


def room_event(room_id: int, frame: dict, *, skip_moderators: bool = False) -> None:
    send_event_on_commit(room_group(room_id), _deliver(room_id, frame, skip_moderators=skip_moderators))


def moderators_event(room_id: int, frame: dict) -> None:
    send_event_on_commit(moderators_group(room_id), _deliver(room_id, frame))


def member_event(room_id: int, user_id: int, frame: dict) -> None:
    send_event_on_commit(member_group(room_id, user_id), _deliver(room_id, frame))


def member_kick(room_id: int, user_id: int, frame: dict, *, code: int) -> None:
    frame.setdefault("room", room_id)
    send_event_on_commit(member_group(room_id, user_id), {"type": "room.kick", "frame": frame, "code": code})


def presence_changed() -> None:
    """After commit, flag that some room's presence changed, for the next scheduler tick."""
    transaction.on_commit(presence_changed_flag)


def presence_changed_flag() -> None:
    try:
        cache.set(PRESENCE_CHANGED_KEY, 1, timeout=300)
    except Exception:  # cache down: the periodic rescan still finds the change
        logger.warning("could not flag a room presence change", exc_info=True)


def presence_changed_take() -> bool:
    """True once per flag (the first process to ask takes it); True when the cache cannot say."""
    try:
        return bool(cache.delete(PRESENCE_CHANGED_KEY))
    except Exception:
        return True
