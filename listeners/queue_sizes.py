"""The line as a listener on shift sees it: the console's live ``queue.sizes`` frame.

Counts only the seekers this listener could take on this shift (``chat.matching.could_serve``:
topic, age group and teen approval, blocks either way, "not me for this one"), by topic and
urgency, and how many of them nobody is being offered right now (what ``request.take_next``
could give them). Counts only, never who is waiting.

``queue_sizes_notify()`` runs when the line changed (after ``chat.dispatch.queue_positions_notify``,
as one of its ``line_notified_hooks``, at most once a scheduler tick): a fixed number of queries whatever the number of listeners
and requests, and a listener is sent a frame only when their numbers changed.
"""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone

from chat.events import user_event
from chat.matching import Candidate, Want, could_serve
from chat.models import RequestPriority

_CACHE_KEY = "listeners:queue-sizes:{}"
_CACHE_SECONDS = 60 * 60


def _open_line(now) -> tuple[list[Want], set[int], dict[int, str]]:
    """Every request in line as matching sees it, which of them are waiting (not being offered),
    and topic slugs by id."""
    from chat.dispatch import wants_for
    from chat.models import ChatRequest, RequestStatus
    from support.models import Topic

    requests = list(
        ChatRequest.objects.filter(status__in=[RequestStatus.WAITING, RequestStatus.OFFERED], away_since__isnull=True)
    )
    waiting = {request.pk for request in requests if request.status == RequestStatus.WAITING}
    slugs = dict(Topic.objects.values_list("id", "slug"))
    return wants_for(requests, now=now), waiting, slugs


def sizes_for(candidate: Candidate, wants: list[Want], waiting: set[int], slugs: dict[int, str]) -> dict:
    """The numbers for one listener on shift."""
    topics = {slugs[topic_id]: 0 for topic_id in candidate.topic_ids if topic_id in slugs}
    urgent_topics = dict.fromkeys(topics, 0)
    any_topic = urgent_any = takeable = 0
    for want in wants:
        if not could_serve(want, candidate):
            continue
        urgent = want.priority >= RequestPriority.URGENT
        if want.topic_id is None:
            any_topic += 1
            urgent_any += urgent
        else:
            slug = slugs.get(want.topic_id)
            topics[slug] = topics.get(slug, 0) + 1
            urgent_topics[slug] = urgent_topics.get(slug, 0) + urgent
        takeable += want.request_id in waiting
    total = sum(topics.values()) + any_topic
    return {
        "topics": dict(sorted(topics.items())),
        "any_topic": any_topic,
        "total": total,
        "urgent": {
            "topics": dict(sorted(urgent_topics.items())),
            "any_topic": urgent_any,
            "total": sum(urgent_topics.values()) + urgent_any,
        },
        "takeable": takeable,
    }


def _on_shift(now) -> list[Candidate]:
    from listeners.selectors import listener_candidates

    return listener_candidates(now=now)


def queue_sizes_for_listener(listener_id: int, *, now=None) -> dict | None:
    """The numbers for one listener's open shift, or None when they are not on shift."""
    now = now or timezone.now()
    candidate = next((c for c in _on_shift(now) if c.listener_id == listener_id), None)
    if candidate is None:
        return None
    return sizes_for(candidate, *_open_line(now))


def queue_sizes_forget(listener_id: int) -> None:
    """A new shift: the next notify sends this listener their numbers even if a past shift had the same."""
    try:
        cache.delete(_CACHE_KEY.format(listener_id))
    except Exception:  # at worst the console waits for the next change of the line
        pass


def queue_sizes_notify(*, force: bool = False, now=None) -> int:
    """Send ``queue.sizes`` to every listener on shift whose numbers changed. Returns frames sent."""
    now = now or timezone.now()
    candidates = _on_shift(now)
    if not candidates:
        return 0
    wants, waiting, slugs = _open_line(now)
    keys = {candidate.listener_id: _CACHE_KEY.format(candidate.listener_id) for candidate in candidates}
    # One round trip to the shared cache each way, not one per listener on shift.
    last_sent = {} if force else cache.get_many(list(keys.values()))
    changed = {}
    for candidate in candidates:
        sizes = sizes_for(candidate, wants, waiting, slugs)
        if last_sent.get(keys[candidate.listener_id]) == sizes:
            continue
        changed[keys[candidate.listener_id]] = sizes
        user_event(candidate.listener_id, {"type": "queue.sizes", **sizes})
    if changed:
        cache.set_many(changed, _CACHE_SECONDS)
    return len(changed)
