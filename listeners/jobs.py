"""Scheduled jobs for listeners (run by support.scheduler in every process)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chat.events import user_event
from listeners.models import Shift, ShiftEndReason
from support.errors import DomainError
from support.models import Connection


def presence_sweep(*, now=None) -> int:
    """End the shifts of listeners whose sockets have all been gone past the grace period.

    Their active chats go back to the front of the queue and their pending
    offers are withdrawn: no ghost listeners. Also drops stale connection
    rows left by a process that died, and tells listeners whose shift passed
    the maximum length that no new offers will come.
    """
    now = now or timezone.now()
    grace_cutoff = now - timedelta(seconds=settings.MATCHING_LISTENER_GRACE_SECONDS)
    from chat.services.conversations import listener_departed
    from listeners.services import shift_end

    gone = 0
    # Read without locks, then end each shift through shift_end, which takes
    # the locks in the documented order (listeners.services); a shift another
    # process ended meanwhile raises not_on_shift and is skipped.
    shifts = list(Shift.objects.filter(ended_at__isnull=True, started_at__lte=grace_cutoff).select_related("listener"))
    present = set(
        Connection.objects.filter(
            user_id__in=[shift.listener_id for shift in shifts], last_seen_at__gte=grace_cutoff
        ).values_list("user_id", flat=True)
    )
    for shift in shifts:
        if shift.listener_id in present:
            continue
        try:
            with transaction.atomic():
                if Connection.objects.filter(user_id=shift.listener_id, last_seen_at__gte=grace_cutoff).exists():
                    continue  # reconnected since the read above
                shift_end(listener=shift.listener, reason=ShiftEndReason.CONNECTION_LOST, now=now)
                listener_departed(listener_id=shift.listener_id, reason="connection_lost", now=now)
        except DomainError:
            continue
        gone += 1
    Connection.objects.filter(
        last_seen_at__lt=now - timedelta(seconds=settings.MATCHING_LISTENER_GRACE_SECONDS * 5)
    ).delete()
    _max_length_notices(now=now)
    return gone


def _max_length_notices(*, now) -> None:
    limit = now - timedelta(seconds=settings.LISTENERS_MAX_SHIFT_SECONDS)
    with transaction.atomic():
        for shift in Shift.objects.select_for_update(skip_locked=True).filter(
            ended_at__isnull=True, started_at__lte=limit, max_length_reached_at__isnull=True
        ):
            shift.max_length_reached_at = now
            shift.save(update_fields=["max_length_reached_at"])
            user_event(
                shift.listener_id,
                {
                    "type": "shift.max_length_reached",
                    "message": "You've reached the maximum shift length, so no new chats will be offered. "
                    "Finish your current chats, then rest: thank you.",
                },
            )


_FEEDBACK_SLOT_KEY = "listeners:feedback-release:{}"
FEEDBACK_RELEASE_EVERY_SECONDS = 60


def feedback_release(*, now=None) -> None:
    """Release due batches of ratings; one process per minute does the work."""
    import time

    from django.core.cache import cache

    from listeners.feedback import feedback_release as release

    slot = int(time.time()) // FEEDBACK_RELEASE_EVERY_SECONDS
    try:
        if not cache.add(_FEEDBACK_SLOT_KEY.format(slot), 1, timeout=FEEDBACK_RELEASE_EVERY_SECONDS * 2):
            return
    except Exception:  # a cache that cannot answer lets this process through
        pass
    release(now=now)


_PAGING_SLOT_KEY = "listeners:line-paging:{}"


def line_paging(*, now=None) -> int:
    """Page listeners off shift when their line grows (``listeners.paging``); one process looks
    every ``LISTENERS_PAGE_CHECK_SECONDS``, and each page is claimed in the database anyway."""
    import time

    from django.core.cache import cache

    from listeners.paging import line_paging_run

    every = settings.LISTENERS_PAGE_CHECK_SECONDS
    slot = int(time.time()) // every
    try:
        if not cache.add(_PAGING_SLOT_KEY.format(slot), 1, timeout=every * 2):
            return 0
    except Exception:  # a cache that cannot answer lets this process through; page_claim still holds
        pass
    return line_paging_run(now=now)
