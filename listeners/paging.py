"""Paging listeners who are off shift when the line for their topics grows and nobody on shift
can take it: their preferences (read and write) and the scheduled job.

The rules are pure, in ``listeners.paging_rules``. Who could take a request is
``chat.matching.could_serve``, applied to the listener's profile (its topics, teen/adult
approval), so a page never calls someone to a line the matching would not give them.

A page says how many wait and for which topic, never who: no alias, no note, no text.
It goes to the listener's open sockets (``line.page``; the console shows a browser
notification) when any is connected, by e-mail otherwise (if they asked for e-mail and
have an address), at most once per ``LISTENERS_PAGE_MIN_INTERVAL_SECONDS`` and never in
their quiet hours.
"""

from __future__ import annotations

import logging
from datetime import time, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chat.dispatch import wants_for
from chat.events import user_event
from chat.matching import Candidate
from chat.models import ChatRequest, RequestStatus
from listeners.models import ListenerProfile, ListenerStatus, PagingPreference, Shift
from listeners.paging_rules import Line, in_quiet_hours, line_to_page, lines_for, unserved
from listeners.selectors import listener_candidates
from support.errors import DomainError
from support.models import Connection, Topic

logger = logging.getLogger("hearth.listeners.paging")

EMAIL_REQUIRED = "Add an e-mail address to be paged by e-mail."
NOT_A_LISTENER = "Only listeners can be paged."


def _hhmm(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def paging_preferences_get(*, listener) -> dict:
    """The listener's paging preferences as the console shows them (defaults when never set)."""
    profile = ListenerProfile.objects.filter(user_id=listener.pk).prefetch_related("topics").first()
    if profile is None:
        raise DomainError("not_a_listener", NOT_A_LISTENER, status=403)
    preference = PagingPreference.objects.filter(listener_id=listener.pk).first() or PagingPreference(
        listener_id=listener.pk
    )
    quiet = None
    if preference.quiet_start is not None and preference.quiet_end is not None:
        quiet = {"start": _hhmm(preference.quiet_start), "end": _hhmm(preference.quiet_end)}
    return {
        "enabled": preference.enabled,
        "email_enabled": preference.email_enabled,
        "email": listener.email or "",
        "quiet_hours": quiet,
        "time_zone": preference.time_zone,
        "topics": sorted(topic.slug for topic in profile.topics.all()),
        "last_paged_at": preference.last_paged_at.isoformat().replace("+00:00", "Z")
        if preference.last_paged_at
        else None,
        "min_interval_seconds": settings.LISTENERS_PAGE_MIN_INTERVAL_SECONDS,
    }


def paging_preferences_update(
    *,
    listener,
    enabled: bool,
    email_enabled: bool,
    quiet_start: time | None,
    quiet_end: time | None,
    time_zone: str,
    email: str | None = None,
    now=None,
) -> PagingPreference:
    """Replace the listener's paging preferences (``email`` None: keep the account's address).

    Locks the listener's preference row (created on first use). Expects validated values: a
    known time zone, quiet hours both set or both None. Refuses e-mail paging without an
    address (``email_required``).
    """
    now = now or timezone.now()
    with transaction.atomic():
        if not ListenerProfile.objects.filter(user_id=listener.pk).exists():
            raise DomainError("not_a_listener", NOT_A_LISTENER, status=403)
        address = listener.email if email is None else email
        if email_enabled and not address:
            raise DomainError("email_required", EMAIL_REQUIRED, field="email")
        if email is not None and email != listener.email:
            listener.email = email
            listener.save(update_fields=["email"])
        preference, _ = PagingPreference.objects.select_for_update().get_or_create(
            listener_id=listener.pk, defaults={"updated_at": now}
        )
        preference.enabled = enabled
        preference.email_enabled = email_enabled
        preference.quiet_start = quiet_start
        preference.quiet_end = quiet_end
        preference.time_zone = time_zone
        preference.updated_at = now
        preference.save()
    return preference


# --- the job -----------------------------------------------------------------------


def _pageable(now) -> list[tuple[PagingPreference, Candidate]]:
    """Opted-in listeners who may be paged now: active and trained, not suspended or paused,
    off shift, outside their quiet hours, not paged within the interval; with what they could take."""
    since = now - timedelta(seconds=settings.LISTENERS_PAGE_MIN_INTERVAL_SECONDS)
    preferences = list(
        PagingPreference.objects.filter(
            Q(last_paged_at__isnull=True) | Q(last_paged_at__lte=since),
            enabled=True,
            listener__is_active=True,
            listener__deleted_at__isnull=True,
        )
        .exclude(listener_id__in=Shift.objects.filter(ended_at__isnull=True).values("listener_id"))
        .select_related("listener")
    )
    preferences = [
        preference
        for preference in preferences
        if not in_quiet_hours(
            now, start=preference.quiet_start, end=preference.quiet_end, time_zone=preference.time_zone
        )
    ]
    if not preferences:
        return []
    profiles = {
        profile.user_id: profile
        for profile in ListenerProfile.objects.filter(
            user_id__in=[preference.listener_id for preference in preferences],
            status=ListenerStatus.ACTIVE,
            trained_at__isnull=False,
            held_for_review=False,
        )
        .filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))
        .prefetch_related("topics")
    }
    pageable = []
    for preference in preferences:
        profile = profiles.get(preference.listener_id)
        if profile is None:
            continue
        topic_ids = frozenset(topic.pk for topic in profile.topics.all())
        if not topic_ids:
            continue
        candidate = Candidate(
            listener_id=preference.listener_id,
            topic_ids=topic_ids,
            capacity=1,
            load=0,
            idle_since=now,
            approved_for_teens=profile.approved_for_teens,
            approved_for_adults=profile.approved_for_adults,
            accepts_direct_requests=profile.accepts_direct_requests,
        )
        pageable.append((preference, candidate))
    return pageable


def _unserved_line(now):
    """Waiting requests (in line, not being offered, not a transfer) nobody on shift could take
    in a free seat now."""
    requests = list(
        ChatRequest.objects.filter(
            status=RequestStatus.WAITING, away_since__isnull=True, transfer_from__isnull=True
        ).order_by("queued_at")
    )
    if not requests:
        return []
    return unserved(wants_for(requests, now=now), listener_candidates(now=now))


def connected_listener_ids(listener_ids, *, now) -> set[int]:
    """Which of these listeners have a live socket (a fresh ``Connection`` row) now."""
    cutoff = now - timedelta(seconds=settings.MATCHING_LISTENER_GRACE_SECONDS)
    return set(
        Connection.objects.filter(user_id__in=list(listener_ids), last_seen_at__gte=cutoff).values_list(
            "user_id", flat=True
        )
    )


def page_claim(*, preference_id: int, now) -> bool:
    """Take this listener's page for now: a conditional UPDATE of ``last_paged_at``, so of two
    processes (or two ticks) only one finds it due and pages."""
    since = now - timedelta(seconds=settings.LISTENERS_PAGE_MIN_INTERVAL_SECONDS)
    return bool(
        PagingPreference.objects.filter(Q(last_paged_at__isnull=True) | Q(last_paged_at__lte=since))
        .filter(pk=preference_id, enabled=True)
        .update(last_paged_at=now)
    )


def console_url() -> str:
    return f"{settings.HEARTH_PUBLIC_URL}/listen/"


def page_frame(line: Line, *, topic_slug: str | None, topic_name: str, now) -> dict:
    """The ``line.page`` frame: how many wait, for which topic, how long the longest has: no one's data."""
    return {
        "type": "line.page",
        "topic": topic_slug,
        "topic_name": topic_name,
        "count": line.count,
        "oldest_wait_seconds": max(0, int((now - line.oldest_queued_at).total_seconds())),
        "url": console_url(),
    }


def _page_email(address: str, frame: dict) -> None:
    people = "1 person is" if frame["count"] == 1 else f"{frame['count']} people are"
    minutes = max(1, frame["oldest_wait_seconds"] // 60)
    subject = f"[Hearth] {people} waiting ({frame['topic_name']})"
    body = (
        f"{people} waiting to talk on Hearth ({frame['topic_name']}), the longest for about {minutes} min, "
        "and no listener on shift can take them right now.\n\n"
        f"If you can, open the listener console and start a shift: {frame['url']}\n\n"
        "You get this because you turned paging on, at most once an hour and never in your quiet hours. "
        "You can change that or turn it off on the console.\n"
    )
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)
    except Exception:  # the listener is not paged this time; the interval was spent, like a delivered page
        logger.exception("paging e-mail failed")


def line_paging_run(*, now=None) -> int:
    """Page every opted-in listener off shift whose line calls for it. Returns the pages sent.

    Safe in several processes at once: each page is claimed first (``page_claim``). A listener
    with no socket and no e-mail to use is skipped without spending their interval.
    """
    now = now or timezone.now()
    pageable = _pageable(now)
    if not pageable:
        return 0
    wants = _unserved_line(now)
    if not wants:
        return 0
    threshold = settings.LISTENERS_PAGE_LINE_THRESHOLD
    wait_seconds = settings.LISTENERS_PAGE_WAIT_MINUTES * 60
    due = []
    for preference, candidate in pageable:
        line = line_to_page(lines_for(candidate, wants), now=now, threshold=threshold, wait_seconds=wait_seconds)
        if line is not None:
            due.append((preference, line))
    if not due:
        return 0
    topics = {topic.pk: topic for topic in Topic.objects.filter(pk__in={line.topic_id for _, line in due})}
    connected = connected_listener_ids({preference.listener_id for preference, _ in due}, now=now)
    sent = 0
    for preference, line in due:
        topic = topics.get(line.topic_id)
        frame = page_frame(
            line, topic_slug=topic.slug if topic else None, topic_name=topic.name if topic else "any topic", now=now
        )
        if preference.listener_id in connected:
            with transaction.atomic():
                if not page_claim(preference_id=preference.pk, now=now):
                    continue
                user_event(preference.listener_id, frame)
        elif preference.email_enabled and preference.listener.email:
            if not page_claim(preference_id=preference.pk, now=now):
                continue
            _page_email(preference.listener.email, frame)
        else:
            continue
        sent += 1
    return sent
