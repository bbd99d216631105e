"""Untimed database work for the Hearth target, run in a subprocess with the
server's environment (so it reaches the same database):

    python -m bench.targets.hearth_setup listeners FIRST COUNT   -> JSON [{"id", "session"}]
    python -m bench.targets.hearth_setup match SEEKER_IDS LISTENER_IDS TOPIC -> JSON [[seeker, listener, conversation]]
    python -m bench.targets.hearth_setup seed PAIRS ROOM_MEMBERS TOPIC -> JSON (see seed)
    python -m bench.targets.hearth_setup count-messages          -> JSON {"text", "system", "room_text", "room_held"}
    python -m bench.targets.hearth_setup matching-report         -> JSON (see matching_report)

Listeners are created through the ORM (trained, active, approved for adults)
with a logged-in database session, exactly what ``POST
/api/v1/session/login`` would leave behind, without paying for a password
hash per listener. ``seed`` also creates seekers the way ``POST
/api/v1/session/anonymous`` does (adult, unusable password, logged-in
session), all rows in bulk, and matches pairs through the real services: it
fills the template database that every server group of a bench run clones.
The matching scenario's seekers still go through the real HTTP endpoint.
"""

from __future__ import annotations

import json
import os
import sys


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.settings")
    import django

    django.setup()


def _users(prefix: str, first: int, count: int, *, role: str, now) -> list:
    """``count`` users named ``<prefix><i>`` in one INSERT (adult, unusable password)."""
    from support.models import AgeGroup, User

    users = []
    for i in range(first, first + count):
        user = User(
            username=f"{prefix}{i}".lower(), alias=f"{prefix}{i}", role=role, age_group=AgeGroup.ADULT, date_joined=now
        )
        user.set_unusable_password()  # "!" + random string: no hashing
        users.append(user)
    return User.objects.bulk_create(users)


def _sessions(users: list) -> list[dict]:
    """A logged-in database session per user, in one INSERT: what ``login()`` stores."""
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    store = SessionStore()
    rows, out = [], []
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        out.append({"id": user.pk, "session": key})
    Session.objects.bulk_create(rows)
    return out


def listeners(first: int, count: int, prefix: str = "BenchListener") -> list[dict]:
    from django.db import transaction
    from django.utils import timezone

    from listeners.models import ListenerProfile, ListenerStatus
    from support.models import Role

    now = timezone.now()
    with transaction.atomic():
        users = _users(prefix, first, count, role=Role.LISTENER, now=now)
        ListenerProfile.objects.bulk_create(
            [
                ListenerProfile(user=user, status=ListenerStatus.ACTIVE, trained_at=now, approved_for_adults=True)
                for user in users
            ]
        )
        return _sessions(users)


def seekers(first: int, count: int, prefix: str = "BenchSeeker") -> list[dict]:
    """Adult anonymous seekers, as ``support.services.seeker_create_anonymous`` makes them, logged in."""
    from django.db import transaction
    from django.utils import timezone

    from support.models import Role

    with transaction.atomic():
        return _sessions(_users(prefix, first, count, role=Role.SEEKER, now=timezone.now()))


def room_create(members: int, topic: str) -> dict:
    """An adult room on ``topic`` with room for everyone (capacity 32,767, no
    slow mode), a moderator (a listener approved for adults, ``RoomModerator``)
    and ``members`` seekers whose membership has the guideline acknowledged."""
    from django.db import transaction
    from django.utils import timezone

    from rooms.models import Room, RoomMembership, RoomModerator
    from support.models import AgeGroup, Topic

    now = timezone.now()
    with transaction.atomic():
        room = Room.objects.create(
            topic=Topic.objects.get(slug=topic),
            audience=AgeGroup.ADULT,
            name="Bench room",
            guideline="Be kind; this room is a load test.",
            capacity=32767,
            slow_mode_seconds=0,
        )
        moderator = listeners(0, 1, prefix="BenchModerator")[0]
        RoomModerator.objects.create(room=room, listener_id=moderator["id"])
        people = seekers(0, members, prefix="BenchRoomMember")
        RoomMembership.objects.bulk_create(
            [RoomMembership(room=room, user_id=p["id"], joined_at=now, guideline_acknowledged_at=now) for p in people]
        )
    return {"id": room.pk, "moderator": moderator, "members": people}


def seed(pairs: int, room_members: int, topic: str) -> dict:
    """The prepared users of a bench run: ``pairs`` matched conversations
    (listener on shift, seeker, conversation started by the matcher) and one
    room with ``room_members`` members. Returns {"pairs": [[seeker, listener,
    conversation id]], "room": room_create(...) or None}."""
    out: dict = {"pairs": [], "room": None}
    if pairs:
        listener_rows = listeners(0, pairs, prefix="BenchPairListener")
        seeker_rows = seekers(0, pairs, prefix="BenchPairSeeker")
        matched = match([s["id"] for s in seeker_rows], [l["id"] for l in listener_rows], topic)
        by_id = {row["id"]: row for row in (*listener_rows, *seeker_rows)}
        out["pairs"] = [[by_id[s], by_id[l], c] for s, l, c in matched]
    if room_members:
        out["room"] = room_create(room_members, topic)
    return out


def match(seeker_ids: list[int], listener_ids: list[int], topic: str) -> list[list[int]]:
    """Match the seekers with the listeners through the services the socket
    frames call (``shift_start``, ``request_create``, then one
    ``requests_dispatch`` round with auto-assign); returns the pairs the
    matcher chose as [seeker id, listener id, conversation id]. Listeners are
    marked present only while this runs (their sockets come later)."""
    from chat.dispatch import requests_dispatch
    from chat.models import ChatRequest
    from chat.services.requests import request_create
    from listeners.services import shift_start
    from support import presence
    from support.models import User

    if not settings_auto_assign():
        raise SystemExit("match needs MATCHING_AUTO_ASSIGN=1 in the server environment")
    users = User.objects.in_bulk([*seeker_ids, *listener_ids])
    channels = [f"bench.setup.{listener_id}" for listener_id in listener_ids]
    for listener_id, channel in zip(listener_ids, channels):
        presence.connection_open(user_id=listener_id, channel_name=channel)
        shift_start(listener=users[listener_id], topic_slugs=[topic], capacity=1)
    requests = [request_create(seeker=users[seeker_id], topic_slug=topic) for seeker_id in seeker_ids]
    while requests_dispatch():
        pass
    for channel in channels:
        presence.connection_close(channel_name=channel)
    out = []
    for request in ChatRequest.objects.filter(pk__in=[r.pk for r in requests]).select_related("conversation"):
        if request.conversation.listener_id is None:
            raise SystemExit(f"seeker {request.seeker_id} was not matched")
        out.append([request.seeker_id, request.conversation.listener_id, request.conversation_id])
    return out


def settings_auto_assign() -> bool:
    from django.conf import settings

    return settings.MATCHING_AUTO_ASSIGN


def count_messages() -> dict:
    from chat.models import Message, MessageKind
    from rooms.models import RoomMessage, RoomMessageKind, RoomMessageStatus

    room_text = RoomMessage.objects.filter(kind=RoomMessageKind.TEXT)
    return {
        "text": Message.objects.filter(kind=MessageKind.TEXT).count(),
        "system": Message.objects.filter(kind=MessageKind.SYSTEM).count(),
        "room_text": room_text.count(),
        "room_held": room_text.filter(status=RoomMessageStatus.HELD).count(),
    }


def matching_report() -> dict:
    """What the database says about matching (S3): per request its topic,
    queue time and match time; double assignments; listener load vs capacity."""
    from django.db.models import Count

    from chat.models import ChatRequest, Conversation, Offer, OfferStatus
    from listeners.models import Shift

    requests = []
    for r in ChatRequest.objects.select_related("topic").order_by("pk"):
        requests.append(
            {
                "id": r.pk,
                "seeker": r.seeker_id,
                "conversation": r.conversation_id,
                "topic": r.topic.slug if r.topic_id else None,
                "status": r.status,
                "queued_at": r.queued_at.timestamp() if r.queued_at else None,
                "matched_at": r.matched_at.timestamp() if r.matched_at else None,
            }
        )
    conversations = {
        c.pk: {
            "listener": c.listener_id,
            "started_at": c.started_at.timestamp() if c.started_at else None,
            "status": c.status,
        }
        for c in Conversation.objects.all()
    }
    accepted_per_request = dict(
        Offer.objects.filter(status=OfferStatus.ACCEPTED)
        .values("request_id")
        .annotate(n=Count("id"))
        .values_list("request_id", "n")
    )
    active_per_listener = dict(
        Conversation.objects.filter(status="active")
        .values("listener_id")
        .annotate(n=Count("id"))
        .values_list("listener_id", "n")
    )
    capacity = dict(Shift.objects.filter(ended_at__isnull=True).values_list("listener_id", "capacity"))
    first_offer: dict[int, int] = {}
    for request_id, offer_id in Offer.objects.order_by("pk").values_list("request_id", "pk"):
        first_offer.setdefault(request_id, offer_id)
    # When each request's accepted offer was made and answered (S3's stage breakdown).
    offer_times = {
        request_id: [created.timestamp(), answered.timestamp()]
        for request_id, created, answered in Offer.objects.filter(status=OfferStatus.ACCEPTED).values_list(
            "request_id", "created_at", "answered_at"
        )
    }
    return {
        "requests": requests,
        "conversations": conversations,
        "first_offer": first_offer,
        "offer_times": offer_times,
        "accepted_per_request": accepted_per_request,
        "active_per_listener": active_per_listener,
        "capacity": capacity,
    }


def main(argv: list[str]) -> None:
    _django()
    command = argv[0]
    if command == "listeners":
        result = listeners(int(argv[1]), int(argv[2]))
    elif command == "match":
        result = match([int(x) for x in argv[1].split(",")], [int(x) for x in argv[2].split(",")], argv[3])
    elif command == "seed":
        from support.events import collecting_events

        # A template is built with no server running: nobody could receive the services'
        # events, and sending each one on its own (outside a socket's run_service) was
        # a third of the seed's time.
        with collecting_events():
            result = seed(int(argv[1]), int(argv[2]), argv[3])
    elif command == "count-messages":
        result = count_messages()
    elif command == "matching-report":
        result = matching_report()
    else:
        raise SystemExit(f"unknown command {command!r}")
    sys.stdout.write(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
