"""What a waiting seeker is told: who on shift could take them, and an honest estimate.

Reads only. The rule for "could take this seeker" is ``chat.matching.could_serve``
(topic, age group and teen approval, blocks, "not me for this one"), applied
to the listeners on shift who can take chats now (``Candidate.available``:
connected, not paused, under the shift and daily limits). The estimate counts
only matches made by those same listeners, for requests of the same age group
(and topic, when the topic has enough of them).

Both the roster and the matches are read at most every few seconds and shared
through the cache: a burst of requests reads them once, not once per request.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from chat.listener_pool import listener_pool
from chat.matching import Candidate, Want, could_serve

logger = logging.getLogger("hearth.matching")

ROSTER_CACHE_KEY = "chat:waiting-roster"
RATES_CACHE_KEY = "chat:listener-match-rates"
#: A listener starting a shift reaches every waiting seeker within a tick anyway (``line_changed``).
ROSTER_MAX_AGE_SECONDS = 2
RATES_MAX_AGE_SECONDS = 5


def _cached(key: str, seconds: int, read):
    try:
        value = cache.get(key)
    except Exception:
        logger.warning("%s: cache unavailable, reading from the database", key, exc_info=True)
        return read()
    if value is None:
        value = read()
        try:
            cache.set(key, value, timeout=seconds)
        except Exception:
            logger.warning("%s: could not cache", key, exc_info=True)
    return value


def roster(*, now=None) -> list[Candidate]:
    """Listeners on shift (``chat.listener_pool``); live reads share one for a couple of seconds."""
    pool = listener_pool()
    if now is not None:
        return pool.candidates(now=now)
    return _cached(ROSTER_CACHE_KEY, ROSTER_MAX_AGE_SECONDS, lambda: pool.candidates(now=timezone.now()))


def roster_forget() -> None:
    """Someone started or ended a shift, or lost an approval: the next status reads the roster afresh."""
    try:
        cache.delete(ROSTER_CACHE_KEY)
    except Exception:
        logger.warning("could not drop the cached roster", exc_info=True)


def listener_match_rates(*, now=None) -> dict[tuple[int, int | None, str], int]:
    """Matches in the estimate window: ``{(listener_id, topic_id, age_group): n}``."""
    from chat.models import Offer, OfferStatus

    def read(at):
        since = at - timedelta(seconds=settings.MATCHING_WAIT_ESTIMATE_WINDOW_SECONDS)
        counts: dict[tuple[int, int | None, str], int] = {}
        for listener_id, topic_id, age_group in Offer.objects.filter(
            status=OfferStatus.ACCEPTED, answered_at__gte=since, request__transfer_from__isnull=True
        ).values_list("listener_id", "request__topic_id", "request__age_group"):
            key = (listener_id, topic_id, age_group)
            counts[key] = counts.get(key, 0) + 1
        return counts

    if now is not None:
        return read(now)
    return _cached(RATES_CACHE_KEY, RATES_MAX_AGE_SECONDS, lambda: read(timezone.now()))


@dataclass(frozen=True)
class WaitEstimate:
    eligible_on_shift: int
    seconds: int | None
    range_seconds: tuple[int, int] | None


def wait_estimate(want: Want, *, position: int, candidates: list[Candidate], rates: dict) -> WaitEstimate:
    """Who on shift could take ``want``, and how long the wait may be.

    Nobody: no estimate at all. Otherwise the rate is the matches those
    listeners made in the window for this age group and topic (every topic
    when this one had fewer than ``MATCHING_WAIT_ESTIMATE_MIN_MATCHES``):
    ``position ÷ rate`` when there were at least that many matches; from one
    match up to that, a range from half to twice that figure; none without a
    match to go on.
    """
    eligible = {
        candidate.listener_id for candidate in candidates if candidate.available and could_serve(want, candidate)
    }
    if not eligible:
        return WaitEstimate(0, None, None)
    minimum = settings.MATCHING_WAIT_ESTIMATE_MIN_MATCHES
    same_age = {key: n for key, n in rates.items() if key[0] in eligible and key[2] == want.age_group}
    matches = sum(n for key, n in same_age.items() if want.topic_id is None or key[1] == want.topic_id)
    if matches < minimum:
        matches = max(matches, sum(same_age.values()))
    if matches == 0:
        return WaitEstimate(len(eligible), None, None)
    seconds = position * settings.MATCHING_WAIT_ESTIMATE_WINDOW_SECONDS / matches
    if matches >= minimum:
        return WaitEstimate(len(eligible), int(seconds), None)
    return WaitEstimate(len(eligible), None, (int(seconds / 2), int(math.ceil(seconds * 2))))


#: Who may offer a waiting seeker an open group room for their topic when nobody on shift can
#: take them: ``(topic_id, age_group) -> {"id", "name"} | None``. The rooms app registers it in
#: its ``AppConfig.ready`` (chat does not import rooms).
room_for_topic_hooks: list = []


def open_room_for(topic_id: int | None, age_group: str) -> dict | None:
    for hook in room_for_topic_hooks:
        room = hook(topic_id, age_group)
        if room is not None:
            return room
    return None


def status_payload(request, *, want: Want, position: int, candidates: list[Candidate], rates: dict) -> dict:
    """The request as its seeker sees it: place, who could take them, estimate, and, when nobody
    on shift could, what they can do meanwhile (an open room for their topic, crisis resources)."""
    from chat.payloads import request_payload
    from support.helplines import helplines_for

    estimate = wait_estimate(want, position=position, candidates=candidates, rates=rates)
    alternatives = None
    if estimate.eligible_on_shift == 0:
        alternatives = {"room": open_room_for(request.topic_id, request.age_group), "helplines": helplines_for(None)}
    return request_payload(request, position=position, estimate=estimate, alternatives=alternatives)


def roster_and_rates(*, now=None) -> tuple[list[Candidate], dict]:
    """``roster`` and ``listener_match_rates`` together: live, one cache round trip for both."""
    if now is not None:
        return roster(now=now), listener_match_rates(now=now)
    try:
        found = cache.get_many([ROSTER_CACHE_KEY, RATES_CACHE_KEY])
    except Exception:
        found = {}
    candidates = found.get(ROSTER_CACHE_KEY)
    rates = found.get(RATES_CACHE_KEY)
    return (candidates if candidates is not None else roster(), rates if rates is not None else listener_match_rates())


def request_status(request, *, new: bool = False, now=None) -> dict:
    """``status_payload`` for one request, read now. ``new``: just created, so no offer of it
    was ever declined (one statement fewer on the request path)."""
    from chat.dispatch import want_for
    from chat.selectors import queue_position

    want = want_for(request, now=now or timezone.now(), new=new)
    candidates, rates = roster_and_rates(now=now)
    return status_payload(request, want=want, position=queue_position(request), candidates=candidates, rates=rates)
