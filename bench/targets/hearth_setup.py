"""Untimed database work for the Hearth target, run in a subprocess with the
server's environment (so it reaches the same database):

    python -m bench.targets.hearth_setup listeners FIRST COUNT   -> JSON [{"id", "session"}]
    python -m bench.targets.hearth_setup match SEEKER_IDS LISTENER_IDS TOPIC -> JSON [[seeker, listener, conversation]]
    python -m bench.targets.hearth_setup count-messages          -> JSON {"text": n, "system": n}
    python -m bench.targets.hearth_setup matching-report         -> JSON (see matching_report)

Listeners are created through the ORM (trained, active, approved for adults)
with a logged-in database session, exactly what ``POST
/api/v1/session/login`` would leave behind, without paying for a password
hash per listener. Seekers are *not* created here: they go through the real
``POST /api/v1/session/anonymous``.
"""

from __future__ import annotations

import json
import os
import sys


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.settings")
    import django

    django.setup()


def listeners(first: int, count: int) -> list[dict]:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction
    from django.utils import timezone

    from listeners.models import ListenerProfile, ListenerStatus
    from support.models import AgeGroup, Role, User

    now = timezone.now()
    out = []
    with transaction.atomic():
        for i in range(first, first + count):
            user = User(username=f"benchlistener{i}", alias=f"BenchListener{i}", role=Role.LISTENER,
                        age_group=AgeGroup.ADULT)
            user.set_unusable_password()
            user.save()
            ListenerProfile.objects.update_or_create(
                user=user, defaults={"status": ListenerStatus.ACTIVE, "trained_at": now, "approved_for_adults": True})
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.save()
            out.append({"id": user.pk, "session": store.session_key})
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

    return {"text": Message.objects.filter(kind=MessageKind.TEXT).count(),
            "system": Message.objects.filter(kind=MessageKind.SYSTEM).count()}


def matching_report() -> dict:
    """What the database says about matching (S3): per request its topic,
    queue time and match time; double assignments; listener load vs capacity."""
    from django.db.models import Count

    from chat.models import ChatRequest, Conversation, Offer, OfferStatus
    from listeners.models import Shift

    requests = []
    for r in ChatRequest.objects.select_related("topic").order_by("pk"):
        requests.append({"id": r.pk, "seeker": r.seeker_id, "conversation": r.conversation_id,
                         "topic": r.topic.slug if r.topic_id else None, "status": r.status,
                         "queued_at": r.queued_at.timestamp() if r.queued_at else None,
                         "matched_at": r.matched_at.timestamp() if r.matched_at else None})
    conversations = {c.pk: {"listener": c.listener_id, "started_at": c.started_at.timestamp() if c.started_at else None,
                            "status": c.status}
                     for c in Conversation.objects.all()}
    accepted_per_request = dict(
        Offer.objects.filter(status=OfferStatus.ACCEPTED).values("request_id").annotate(n=Count("id"))
        .values_list("request_id", "n"))
    active_per_listener = dict(
        Conversation.objects.filter(status="active").values("listener_id").annotate(n=Count("id"))
        .values_list("listener_id", "n"))
    capacity = dict(Shift.objects.filter(ended_at__isnull=True).values_list("listener_id", "capacity"))
    first_offer: dict[int, int] = {}
    for request_id, offer_id in Offer.objects.order_by("pk").values_list("request_id", "pk"):
        first_offer.setdefault(request_id, offer_id)
    return {"requests": requests, "conversations": conversations, "first_offer": first_offer,
            "accepted_per_request": accepted_per_request,
            "active_per_listener": active_per_listener, "capacity": capacity}


def main(argv: list[str]) -> None:
    _django()
    command = argv[0]
    if command == "listeners":
        result = listeners(int(argv[1]), int(argv[2]))
    elif command == "match":
        result = match([int(x) for x in argv[1].split(",")], [int(x) for x in argv[2].split(",")], argv[3])
    elif command == "count-messages":
        result = count_messages()
    elif command == "matching-report":
        result = matching_report()
    else:
        raise SystemExit(f"unknown command {command!r}")
    sys.stdout.write(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
