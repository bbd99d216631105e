"""Matching service: turns the pure plan from ``chat.matching`` into offers.

One dispatcher runs at a time across all processes: a round holds the
``DispatchLock`` row (``select_for_update``) while it reads the line and
makes its offers, so the queue is read in one consistent order, a request is
never offered twice and a listener's seats are counted once. On SQLite the
IMMEDIATE transaction gives the same exclusion.

A round reads every waiting request, so one round serves every change
committed before it started. Two things keep a burst of changes from paying
one round each:

* **Hand-off between processes.** A dispatcher that finds the lock taken
  does not wait for it: it leaves a note in the shared cache
  (``DISPATCH_WANTED_KEY``) and returns. Whoever holds the lock looks for the
  note after committing and runs one more round, which sees the change. The
  note is taken before a round reads, and whoever takes it either runs a
  round or puts it back, so no change is left unserved. If the cache is
  down, dispatchers wait for the lock as before; and the scheduler runs a
  round every second in every process, which bounds any miss.
* **One round in flight per process** (``queue_refresh_soon``, the socket
  path): changes that arrive while a round is queued or running share the
  next round instead of queueing one each. On PostgreSQL these rounds run in
  a thread of their own, so a match never waits behind the process's other
  database work on Channels' single database thread.

A request is stamped and committed under the line lock (``line_entry_lock``),
which a round takes exclusively while it reads the line: a request a round
cannot see is younger than every one it can, so offers keep queue order
within a topic across processes.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import weakref
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from chat import dispatch_sql
from chat.blocks import block_reader
from chat.events import user_event
from chat.listener_pool import listener_pool
from chat.matching import Want, line_places, plan_offers
from chat.models import ChatRequest, DispatchLock, Offer, OfferStatus, RequestStatus
from chat.payloads import offer_payload, request_payload
from support.events import follow_up_on_commit

logger = logging.getLogger("hearth.matching")

DISPATCH_WANTED_KEY = "chat:dispatch-wanted"
# A note nobody takes (its writer's process died) only costs one extra round later.
_WANTED_SECONDS = 60
# Rounds one synchronous call runs back to back while other dispatchers keep
# leaving notes; past this the note is put back for the next dispatcher.
MAX_ROUNDS_PER_CALL = 10


def requests_dispatch(*, now=None, wait: bool = True) -> int:
    """Offer every waiting request that an eligible listener can take; returns offers made.

    ``wait=True`` waits for the ``DispatchLock`` row lock. ``wait=False``
    (the scheduler, the socket path) does not: if another dispatcher holds
    the lock, it leaves the hand-off note and returns 0, and that dispatcher
    runs the round. Either way, when another dispatcher left a note during
    this call's round, this call runs one more (up to ``MAX_ROUNDS_PER_CALL``,
    then the note is put back for the next dispatcher). Must not be called
    inside a transaction: the lock is released at each round's commit, and
    the note is read after it.
    """
    return _dispatch_rounds(now=now, wait=wait)[0]


def _dispatch_rounds(*, now, wait: bool) -> tuple[int, bool]:
    """(offers made, whether rounds are still wanted after ``MAX_ROUNDS_PER_CALL``)."""
    total = 0
    for _ in range(MAX_ROUNDS_PER_CALL):
        made = _dispatch_once(now=now, wait=wait)
        if made is None:
            return total, False
        total += made
        if not _wanted_take():
            return total, False
        wait = False
    _wanted_leave()
    return total, True


def requests_dispatch_after_commit() -> None:
    """Inside a transaction that frees or fills a seat or changes the line: once it has
    committed, run a dispatch round and flag the line as changed.

    Every service that frees or fills a seat calls this itself, so no transport
    (socket frame, REST view, admin action, job) has to remember it. During a
    socket frame the round is the process's shared one (``queue_refresh_soon``),
    awaited once after the frame was answered however many services asked;
    anywhere else it runs in the on-commit hook without waiting for the lock
    (a dispatcher holding it runs one more round for us).
    """
    follow_up_on_commit(_dispatch_after_commit, on_socket=queue_refresh_soon)


def _dispatch_after_commit() -> None:
    try:
        requests_dispatch(wait=False)
    except Exception:  # the change is committed; the scheduler's round retries within a second
        logger.exception("dispatch after a freed seat failed")
    _mark_line_changed()


def _dispatch_once(*, now, wait: bool) -> int | None:
    """A round, or None when another dispatcher holds the lock and has been left the note."""
    made = _round(now=now, wait=wait)
    if made is not None:
        return made
    if not _wanted_leave():
        return _round(now=now, wait=True)
    # The holder may have committed and looked for the note before we left it: try once more.
    return _round(now=now, wait=False)


def _round(*, now, wait: bool) -> int | None:
    now = now or timezone.now()
    with transaction.atomic():
        if not _lock(wait=wait):
            return None
        _wanted_take()
        if not dispatch_sql.anyone_waiting():
            return 0
        candidates = listener_pool().candidates(now=now)
        with line_read():
            waiting = list(
                ChatRequest.objects.select_related("topic", "requested_listener").filter(
                    status=RequestStatus.WAITING, away_since__isnull=True
                )
            )
        _suggest_widening(waiting, now=now)
        if not waiting or not candidates:
            return 0
        plan = plan_offers(wants_for(waiting, now=now), candidates)
        by_id = {request.pk: request for request in waiting}
        _offers_make([(by_id[want.request_id], candidate.listener_id) for want, candidate in plan], now=now)
        return len(plan)


def _lock(*, wait: bool) -> bool:
    """Take the ``DispatchLock`` row; False when ``wait`` is off and another transaction holds it."""
    if dispatch_sql.lock_row_take(skip_locked=not wait):
        return True
    if dispatch_sql.lock_row_exists():
        return False  # held by another transaction (a plain read does not wait for the lock)
    # The row went missing (a test database flushed after migrating): restore it, then lock it.
    with transaction.atomic():
        DispatchLock.objects.get_or_create(pk=dispatch_sql.LOCK_ROW_ID)
    return dispatch_sql.lock_row_take(skip_locked=False)


def dispatch_lock_take() -> None:
    """Inside a transaction: wait for the ``DispatchLock`` row, as a round does (``request_take_next``)."""
    _lock(wait=True)


# PostgreSQL advisory lock on "the line": requests entering it (shared) against a round reading it.
LINE_LOCK_KEY = 0x48_65_61_72_74_68_01


def line_entry_lock() -> None:
    """Inside the transaction that puts a request in line, before stamping its ``queued_at``.

    Holds the line lock shared until commit; a round takes it exclusively to
    read the line. So no round reads the line while a request is stamped but
    not yet committed, and a request a round cannot see is younger than every
    one it can: offers keep queue order within a topic across processes.
    Requests do not wait for each other, only for a round's read and offers
    (a few statements). SQLite needs nothing: it runs one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [LINE_LOCK_KEY])


@contextmanager
def line_read():
    """Wait for requests being put in line to commit, and keep new ones out while the line is read.

    Only while it is read: a request stamped after the read is younger than
    every one the round saw, so order holds, and requests need not wait for
    the round's offers and commit as well. A session lock (a transaction
    lock cannot be released before commit), so it must never outlive the
    read: the read runs in a savepoint, and whatever fails in it leaves the
    transaction able to run the unlock in ``finally``; a session that dies
    releases it with itself.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [LINE_LOCK_KEY])
    try:
        with transaction.atomic():
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LINE_LOCK_KEY])


def _wanted_leave() -> bool:
    try:
        cache.set(DISPATCH_WANTED_KEY, 1, timeout=_WANTED_SECONDS)
        return True
    except Exception:
        logger.warning("could not leave a dispatch note; waiting for the lock instead", exc_info=True)
        return False


def _wanted_take() -> bool:
    try:
        return bool(cache.delete(DISPATCH_WANTED_KEY))
    except Exception:  # the scheduler's round every second still runs
        logger.warning("could not read the dispatch note", exc_info=True)
        return False


def want_for(request: ChatRequest, *, now, new: bool = False) -> Want:
    """``wants_for`` one request, in fewer statements (the request path): ``new`` (just
    created) has no declined offers to read, and its blocks take one statement."""
    return wants_for([request], now=now, with_offers=not new, single=True)[0]


def wants_for(requests: list[ChatRequest], *, now, with_offers: bool = True, single: bool = False) -> list[Want]:
    """The matching view of open requests: who is left out for now, who never.

    Left out for ``MATCHING_REOFFER_COOLDOWN_SECONDS`` after declining or
    letting an offer of the request expire; never after declining it with
    ``never`` ("not me for this one"), after a block either way (following
    the seeker's device, ``chat.blocks``), or when the
    listener is the one handing the chat over. One statement for the offers
    and two for the blocks, whatever the number of requests.
    """
    request_ids = [request.pk for request in requests]
    cooling: dict[int, set[int]] = {request_id: set() for request_id in request_ids}
    never: dict[int, set[int]] = {request_id: set() for request_id in request_ids}
    cutoff = now - timedelta(seconds=settings.MATCHING_REOFFER_COOLDOWN_SECONDS)
    if request_ids and with_offers:
        for request_id, listener_id, never_again in Offer.objects.filter(
            Q(never_again=True) | Q(answered_at__gt=cutoff),
            request_id__in=request_ids,
            status__in=[OfferStatus.DECLINED, OfferStatus.EXPIRED],
        ).values_list("request_id", "listener_id", "never_again"):
            (never if never_again else cooling)[request_id].add(listener_id)
    blocks = block_reader()
    if single:
        blocked = {request.seeker_id: blocks.blocked_for_seeker(request.seeker_id) for request in requests}
    else:
        blocked = {}
        for seeker, other in blocks.blocked_pairs({request.seeker_id for request in requests}):
            blocked.setdefault(seeker, set()).add(other)
    wants = []
    for request in requests:
        barred = set(never[request.pk])
        barred.update(blocked.get(request.seeker_id, ()))
        if request.transfer_from_id:
            barred.add(request.transfer_from_id)
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
                excluded_listener_ids=frozenset(cooling[request.pk]),
                barred_listener_ids=frozenset(barred),
            )
        )
    return wants


def _offers_make(pairs: list[tuple[ChatRequest, int]], *, now) -> None:
    """Turn a round's plan into offers (in plan order, so offer ids follow queue order). Caller holds the lock."""
    if not pairs:
        return
    if settings.MATCHING_AUTO_ASSIGN:
        from chat.services.offers import match_make

        for request, listener_id in pairs:
            offer = Offer.objects.create(
                request=request, listener_id=listener_id, expires_at=now, status=OfferStatus.PENDING
            )
            match_make(offer=offer, request=request, now=now)
        return
    expires_at = now + timedelta(seconds=settings.MATCHING_OFFER_TIMEOUT_SECONDS)
    # Two statements for the whole round, however many offers it makes.
    offers = Offer.objects.bulk_create(
        [Offer(request=request, listener_id=listener_id, expires_at=expires_at) for request, listener_id in pairs]
    )
    ChatRequest.objects.filter(pk__in=[request.pk for request, _ in pairs]).update(status=RequestStatus.OFFERED)
    for offer, (request, listener_id) in zip(offers, pairs):
        request.status = RequestStatus.OFFERED
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


#: Called, as ``hook()``, once every waiting seeker has been sent their place in line
#: (``queue_positions_notify``), so the apps above chat tell their people how the line stands. The
#: listener program sends listeners on shift their queue sizes (``ListenersConfig.ready()``).
line_notified_hooks: list = []


def queue_positions_notify(*, now=None) -> None:
    """Send every waiting seeker their place in line and estimated wait; then run
    ``line_notified_hooks`` (listeners on shift get their queue sizes).

    A fixed number of queries however long the line: positions are computed
    in Python from one ordered read (``chat.matching.line_places``, the rule
    ``selectors.queue_position`` counts in SQL for one request).
    A request whose seeker is away is out of the line: not counted, not sent.
    When a seeker's "anyone on shift who could take me" turns from none to
    some (or back), they get ``request.updated`` rather than ``queue.position``.
    """
    from chat.waiting import listener_match_rates, roster, status_payload

    candidates = roster(now=now)
    rates = listener_match_rates(now=now)
    now = now or timezone.now()
    open_requests = list(
        ChatRequest.objects.select_related("topic", "requested_listener")
        .filter(status__in=[RequestStatus.WAITING, RequestStatus.OFFERED], away_since__isnull=True)
        .order_by("-priority", "queued_at", "pk")
    )
    seekers = [request for request in open_requests if not request.transfer_from_id]
    wants = {want.request_id: want for want in wants_for(seekers, now=now)}
    last_sent = _eligible_last_sent([request.pk for request in seekers])
    eligible_now = {}
    places = line_places((request.pk, request.topic_id) for request in open_requests)
    for request in seekers:
        payload = status_payload(
            request, want=wants[request.pk], position=places[request.pk], candidates=candidates, rates=rates
        )
        someone = payload["eligible_on_shift"] > 0
        eligible_now[request.pk] = someone
        before = last_sent.get(request.pk)
        frame_type = "request.updated" if before is not None and before != someone else "queue.position"
        user_event(request.seeker_id, {"type": frame_type, "request": payload})
    _eligible_remember(eligible_now)
    for hook in line_notified_hooks:
        hook()


_ELIGIBLE_KEY = "chat:eligible:{}"


def _eligible_last_sent(request_ids: list[int]) -> dict[int, bool]:
    if not request_ids:
        return {}
    try:
        found = cache.get_many([_ELIGIBLE_KEY.format(request_id) for request_id in request_ids])
    except Exception:
        return {}
    return {int(key.rsplit(":", 1)[1]): value for key, value in found.items()}


def _eligible_remember(eligible: dict[int, bool]) -> None:
    if not eligible:
        return
    try:
        cache.set_many(
            {_ELIGIBLE_KEY.format(request_id): value for request_id, value in eligible.items()}, timeout=3600
        )
    except Exception:
        logger.warning("could not remember who has a listener on shift", exc_info=True)


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


def _socket_refresh_round() -> bool:
    """What ``queue_refresh_soon`` runs: rounds until no other dispatcher asks for one, the line
    flagged as changed. True when still more rounds are wanted."""
    more = _dispatch_rounds(now=None, wait=False)[1]
    line_changed()
    return more


# PostgreSQL: the socket path's rounds run in a thread of their own (with their own pooled
# connection) instead of queueing on Channels' one database thread behind every request,
# accept and socket state load of the process. One thread: rounds of one process never
# overlap, and the DispatchLock orders them with other processes' rounds.
_dispatch_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hearth-dispatch")
# Every round runs in this one context, entered only by that one thread. Django keeps cache
# clients in context-local storage: a fresh context per round meant a fresh Redis client, and
# a new TCP connection and handshake, for every round's note (half a round's time in S3).
_dispatch_context = contextvars.Context()


async def _run_socket_round() -> bool:
    from support.events import collecting_events, publish, run_service

    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # SQLite runs one writer at a time: a second thread would only wait for the file lock.
        return await run_service(_socket_refresh_round)

    def call():
        close_old_connections()
        try:
            with collecting_events() as outbox:
                more = _socket_refresh_round()
            return more, list(outbox)
        finally:
            close_old_connections()

    loop = asyncio.get_running_loop()
    more, events = await loop.run_in_executor(_dispatch_executor, _dispatch_context.run, call)
    if events:
        await publish(events)
    return more


class _RoundInFlight:
    """At most one socket-path round per process: changes while one is queued or running share the next.

    A caller waits for the round that starts after its change, not for the
    rounds that later changes ask for.
    """

    def __init__(self) -> None:
        self.task: asyncio.Task | None = None
        self.next_round: asyncio.Future | None = None  # done when the round that starts next has run

    def kick(self) -> asyncio.Future:
        # A round already running may have read the line before this change committed: wait for the next.
        if self.next_round is None:
            self.next_round = asyncio.get_running_loop().create_future()
        waiter = self.next_round
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._run())
        return asyncio.shield(waiter)

    async def _run(self) -> None:
        while self.next_round is not None:
            current, self.next_round = self.next_round, None
            more = False
            try:
                more = await _run_socket_round()
            except Exception:  # the change is committed; the scheduler's round retries within a second
                logger.exception("dispatch round failed")
            if more and self.next_round is None:
                self.next_round = asyncio.get_running_loop().create_future()
            current.set_result(None)


_in_flight: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _RoundInFlight] = weakref.WeakKeyDictionary()


async def queue_refresh_soon() -> None:
    """The socket path's dispatch round after a change that can fill or free a seat
    (``requests_dispatch_after_commit`` awaits it after the frame is answered).

    Returns once a round that started after this call has committed and its
    offers were sent, so a burst of n requests costs a few rounds rather than
    n. Never raises: a failed round is logged, and the scheduler's round runs
    within a second.
    """
    loop = asyncio.get_running_loop()
    in_flight = _in_flight.get(loop)
    if in_flight is None:
        in_flight = _in_flight[loop] = _RoundInFlight()
    await in_flight.kick()
