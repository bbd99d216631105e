"""How many seekers are waiting on the topics a listener serves: the console's live ``queue.sizes`` frame.

``queue_sizes_notify()`` is meant to be called by the matching dispatcher
whenever the line changes (a request created, cancelled, matched or
requeued). It costs three queries and two cache round trips whatever the
number of listeners, and a listener is sent a frame only when their numbers
changed since the last one.
Counts only, never who is waiting.
"""

from __future__ import annotations

from collections import Counter

from django.core.cache import cache

from chat.events import user_event
from listeners.models import ListenerStatus, Shift

_CACHE_KEY = "listeners:queue-sizes:{}"
_CACHE_SECONDS = 60 * 60


def _waiting_counts() -> Counter:
    """(topic_id or None, age_group) → open requests."""
    from chat.models import ChatRequest, RequestStatus

    counts: Counter = Counter()
    for topic_id, age_group in ChatRequest.objects.filter(
        status__in=[RequestStatus.WAITING, RequestStatus.OFFERED]
    ).values_list("topic_id", "age_group"):
        counts[(topic_id, age_group)] += 1
    return counts


def _sizes_for(shift: Shift, counts: Counter, profile) -> dict:
    ages = set()
    if profile is not None and profile.approved_for_adults:
        ages.add("adult")
    if profile is not None and profile.approved_for_teens:
        ages.add("teen")
    topics = {}
    for topic in sorted(shift.topics.all(), key=lambda topic: topic.slug):
        topics[topic.slug] = sum(n for (topic_id, age), n in counts.items() if topic_id == topic.pk and age in ages)
    any_topic = sum(n for (topic_id, age), n in counts.items() if topic_id is None and age in ages)
    return {"topics": topics, "any_topic": any_topic, "total": sum(topics.values()) + any_topic}


def queue_sizes_for_listener(listener_id: int) -> dict | None:
    """The numbers for one listener's open shift, or None when they are not on shift."""
    shift = (
        Shift.objects.filter(listener_id=listener_id, ended_at__isnull=True)
        .select_related("listener__listener_profile")
        .prefetch_related("topics")
        .first()
    )
    if shift is None:
        return None
    return _sizes_for(shift, _waiting_counts(), getattr(shift.listener, "listener_profile", None))


def queue_sizes_notify(*, force: bool = False) -> int:
    """Send ``queue.sizes`` to every active listener on shift whose numbers changed. Returns frames sent."""
    shifts = list(
        Shift.objects.filter(ended_at__isnull=True, listener__listener_profile__status=ListenerStatus.ACTIVE)
        .select_related("listener__listener_profile")
        .prefetch_related("topics")
    )
    if not shifts:
        return 0
    counts = _waiting_counts()
    keys = {shift.pk: _CACHE_KEY.format(shift.pk) for shift in shifts}
    # One round trip to the shared cache each way, not one per listener on shift.
    last_sent = {} if force else cache.get_many(list(keys.values()))
    changed = {}
    for shift in shifts:
        sizes = _sizes_for(shift, counts, shift.listener.listener_profile)
        if last_sent.get(keys[shift.pk]) == sizes:
            continue
        changed[keys[shift.pk]] = sizes
        user_event(shift.listener_id, {"type": "queue.sizes", **sizes})
    if changed:
        cache.set_many(changed, _CACHE_SECONDS)
    return len(changed)
