"""Matching service: turns the pure plan from ``chat.matching`` into offers.

One dispatcher runs at a time across all processes: it holds the
``DispatchLock`` row (``select_for_update``) for the whole round, so the
queue is read in one consistent order, a request is never offered twice and
a listener's seats are counted once. On SQLite the IMMEDIATE transaction
gives the same exclusion.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from chat.events import user_event
from chat.matching import Want, plan_offers
from chat.models import ChatRequest, DispatchLock, Offer, OfferStatus, RequestStatus
from chat.payloads import offer_payload, request_payload
from chat.selectors import estimate_from_rates, matching_rates
from listeners.selectors import blocked_pairs, listener_candidates

logger = logging.getLogger("hearth.matching")


def requests_dispatch(*, now=None) -> int:
    """Offer every waiting request that an eligible listener can take; returns offers made.

    Takes the ``DispatchLock`` row lock, then reads waiting requests and
    listener load inside the same transaction.
    """
    now = now or timezone.now()
    with transaction.atomic():
        DispatchLock.objects.select_for_update().filter(pk=1).update(last_run_at=now)
        waiting = list(
            ChatRequest.objects.select_related("topic", "requested_listener").filter(status=RequestStatus.WAITING)
        )
        if not waiting:
            return 0
        _suggest_widening(waiting, now=now)
        candidates = listener_candidates(now=now)
        if not candidates:
            return 0
        wants = _wants(waiting)
        plan = plan_offers(wants, candidates)
        by_id = {request.pk: request for request in waiting}
        for want, candidate in plan:
            _offer(by_id[want.request_id], candidate.listener_id, now=now)
        return len(plan)


def _wants(waiting: list[ChatRequest]) -> list[Want]:
    request_ids = [request.pk for request in waiting]
    excluded: dict[int, set[int]] = {request_id: set() for request_id in request_ids}
    for request_id, listener_id in Offer.objects.filter(
        request_id__in=request_ids, status__in=[OfferStatus.DECLINED, OfferStatus.EXPIRED]
    ).values_list("request_id", "listener_id"):
        excluded[request_id].add(listener_id)
    blocks = blocked_pairs({request.seeker_id for request in waiting})
    wants = []
    for request in waiting:
        excluded_ids = set(excluded[request.pk])
        excluded_ids.update(listener for seeker, listener in blocks if seeker == request.seeker_id)
        if request.transfer_from_id:
            excluded_ids.add(request.transfer_from_id)
        wants.append(
            Want(
                request_id=request.pk,
                seeker_id=request.seeker_id,
                topic_id=request.topic_id,
                age_group=request.age_group,
                priority=request.priority,
                queued_at=request.queued_at,
                requested_listener_id=request.requested_listener_id,
                specific_only=request.requested_listener_id is not None,
                excluded_listener_ids=frozenset(excluded_ids),
            )
        )
    return wants


def _offer(request: ChatRequest, listener_id: int, *, now) -> None:
    if settings.MATCHING_AUTO_ASSIGN:
        from chat.services.offers import match_make

        offer = Offer.objects.create(request=request, listener_id=listener_id, expires_at=now, status=OfferStatus.PENDING)
        match_make(offer=offer, request=request, now=now)
        return
    offer = Offer.objects.create(
        request=request, listener_id=listener_id, expires_at=now + timedelta(seconds=settings.MATCHING_OFFER_TIMEOUT_SECONDS)
    )
    request.status = RequestStatus.OFFERED
    request.save(update_fields=["status"])
    offer.request = request
    user_event(listener_id, {"type": "offer.created", "offer": offer_payload(offer, now=now)})


def _suggest_widening(waiting: list[ChatRequest], *, now) -> None:
    """A request for one listener who hasn't come: offer to widen it, once."""
    for request in waiting:
        if (
            request.requested_listener_id
            and request.widen_offered_at is None
            and request.specific_until is not None
            and request.specific_until <= now
        ):
            request.widen_offered_at = now
            request.save(update_fields=["widen_offered_at"])
            user_event(request.seeker_id, {"type": "request.widen_suggested", "request": request_payload(request)})


def queue_positions_notify(*, now=None) -> None:
    """Send every waiting seeker their place in line and estimated wait; listeners their queue sizes.

    A fixed number of queries however long the line: positions are computed
    in Python from one ordered read (same rule as ``selectors.queue_position``).
    """
    now = now or timezone.now()
    open_requests = list(
        ChatRequest.objects.select_related("topic", "requested_listener")
        .filter(status__in=[RequestStatus.WAITING, RequestStatus.OFFERED])
        .order_by("-priority", "queued_at", "pk")
    )
    rates = matching_rates(now=now)
    ahead_by_topic: dict[int | None, int] = {}
    ahead_any = 0
    for request in open_requests:
        if request.topic_id is None:
            # An any-topic request competes with everyone ahead of it.
            position = sum(ahead_by_topic.values()) + ahead_any + 1
            ahead_any += 1
        else:
            position = ahead_by_topic.get(request.topic_id, 0) + ahead_any + 1
            ahead_by_topic[request.topic_id] = ahead_by_topic.get(request.topic_id, 0) + 1
        if request.transfer_from_id:
            continue
        user_event(
            request.seeker_id,
            {
                "type": "queue.position",
                "request": request_payload(
                    request, position=position, estimated_wait=estimate_from_rates(rates, request.topic_id, position)
                ),
            },
        )
    from listeners.queue_sizes import queue_sizes_notify

    queue_sizes_notify()


LINE_CHANGED_KEY = "chat:line-changed"


def line_changed() -> None:
    """Note, after commit, that places in line or queue sizes may have moved.

    The scheduler sends everyone their new place at its next tick (about a
    second): a burst of requests or matches costs one round of updates per
    second instead of one per change. The flag lives in the shared cache, so
    whichever process ticks first sends it.
    """
    transaction.on_commit(_mark_line_changed)


def _mark_line_changed() -> None:
    try:
        cache.set(LINE_CHANGED_KEY, 1, timeout=300)
    except Exception:  # cache down: the ten-second refresh still runs
        logger.warning("could not flag a queue change", exc_info=True)


def line_changed_take() -> bool:
    """True once per change (the first process to ask takes it)."""
    try:
        return bool(cache.delete(LINE_CHANGED_KEY))
    except Exception:
        return True


def queue_refresh() -> int:
    """After a change to the line or to listeners' seats: match what can be matched, and flag
    the line as changed so places and queue sizes are refreshed. Returns the offers made."""
    offers = requests_dispatch()
    line_changed()
    return offers
