"""Dispatch rounds: what one round costs, queue order, the hand-off between dispatchers, no wait for a tick."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat import dispatch
from chat.dispatch import DISPATCH_WANTED_KEY, queue_refresh_soon, requests_dispatch
from chat.listener_pool import listener_pool
from chat.models import ChatRequest, DispatchLock, Offer, OfferStatus, RequestStatus
from chat.services.conversations import conversation_end, conversation_transfer
from chat.services.offers import offer_accept
from chat.services.requests import request_create, request_create_with_status
from listeners.models import Shift
from listeners.queue_sizes import queue_sizes_notify
from support.models import Topic
from tests.chat.helpers import listener_on_shift, matched_pair, pending_offer_for
from tests.factories import SeekerFactory

# Advisory locks in this test database only: pg_locks spans the whole server, where the other
# test workers' requests take the same line lock in their own databases.
ADVISORY_LOCKS_HERE = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)

TOPICS = ("anxiety", "stress", "loneliness", "relationships", "sleep")


def topics_exist():
    for slug in TOPICS:
        Topic.objects.get_or_create(slug=slug, defaults={"name": slug.title()})


def round_queries(**kwargs) -> int:
    with CaptureQueriesContext(connection) as queries:
        requests_dispatch(**kwargs)
    return len(queries)


@pytest.mark.django_db
def test_a_round_costs_the_same_statements_however_long_the_line_and_however_many_listeners():
    topics_exist()
    listener_on_shift(topics=("anxiety",), capacity=3)
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    small = round_queries()
    for index in range(20):
        listener_on_shift(topics=(TOPICS[index % 5], TOPICS[(index + 1) % 5]), capacity=3)
    for index in range(30):
        request_create(seeker=SeekerFactory(), topic_slug=TOPICS[index % 5])
    large = round_queries()
    assert Offer.objects.filter(status=OfferStatus.PENDING).count() == 31
    assert large == small
    # Savepoint, dispatch lock, anyone waiting, candidates (shifts, topics, presence, chats, pending
    # offers, today's chats), line lock (PostgreSQL), the line, declined/expired offers, accounts on
    # the seekers' devices, blocks, one INSERT for every offer, one UPDATE for every request, release.
    assert large <= 16


@pytest.mark.django_db
def test_each_listener_is_offered_only_the_topics_of_their_shift():
    topics_exist()
    anxious = listener_on_shift(topics=("anxiety", "stress"), capacity=3)
    sleepless = listener_on_shift(topics=("sleep",), capacity=3)
    requests = {
        slug: request_create(seeker=SeekerFactory(), topic_slug=slug) for slug in ("sleep", "stress", "loneliness")
    }
    assert requests_dispatch() == 2
    offered = dict(Offer.objects.values_list("request_id", "listener_id"))
    assert offered == {requests["sleep"].pk: sleepless.pk, requests["stress"].pk: anxious.pk}


@pytest.mark.django_db
def test_a_round_with_nobody_waiting_takes_the_lock_and_looks_no_further():
    listener_on_shift()
    assert round_queries() <= 4  # savepoint, lock, anyone waiting, release


@pytest.mark.django_db
def test_offers_of_one_round_are_made_in_queue_order_within_a_topic():
    """Offer ids follow queue order (what the benchmark checks), whatever order the rows were inserted in."""
    for _ in range(3):
        listener_on_shift(capacity=2)
    base = timezone.now() - timedelta(minutes=5)
    minutes = [4, 0, 3, 1, 2]  # inserted out of order
    requests = {
        m: request_create(seeker=SeekerFactory(), topic_slug="anxiety", now=base + timedelta(minutes=m))
        for m in minutes
    }
    assert requests_dispatch() == 5
    offered = list(Offer.objects.order_by("pk").values_list("request_id", flat=True))
    assert offered == [requests[m].pk for m in sorted(minutes)]


@pytest.mark.django_db
def test_request_create_with_status_is_one_trip_of_few_statements():
    from chat.waiting import listener_match_rates, roster

    listener_on_shift()
    seeker = SeekerFactory()
    roster(), listener_match_rates()  # shared through the cache for a few seconds, as in a burst
    with CaptureQueriesContext(connection) as queries:
        request, status = request_create_with_status(seeker=seeker, topic_slug="anxiety")
    assert status["id"] == request.pk and status["position"] == 1 and status["eligible_on_shift"] == 1
    # topic, savepoint, line lock (PostgreSQL), conversation, request, safety flag, release,
    # position, blocks (following the device) (no read for an open request: the unique
    # constraint refuses a second; none for declined offers: a new request has none)
    assert len(queries) <= (9 if connection.vendor == "postgresql" else 8)


@pytest.mark.django_db
def test_accepting_an_offer_runs_a_fixed_number_of_statements():
    listener = listener_on_shift()
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    requests_dispatch()
    offer = pending_offer_for(listener)
    with CaptureQueriesContext(connection) as queries:
        offer_accept(listener=listener, offer_id=offer.pk)
    # savepoint; offer (lock, write); shift (written in one statement); request (lock, write); the
    # conversation with its topic and seeker (lock, write); the system message's seq and row; the
    # transcript for the seeker's match event (their sockets then read nothing); release. No read of
    # the listener again.
    assert len(queries) <= 12
    assert not any('FROM "support_user"' in query["sql"] for query in queries.captured_queries)


@pytest.mark.django_db
def test_a_hand_over_offers_the_freed_seat_without_waiting_for_a_tick(django_capture_on_commit_callbacks):
    """The previous listener's seat comes free when the new listener accepts: the next seeker waiting
    on that topic is offered it in the same call, with no dispatch round from the scheduler."""
    seeker, first, conversation = matched_pair()
    Shift.objects.filter(listener=first, ended_at__isnull=True).update(capacity=1)
    waiting = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    assert requests_dispatch() == 0  # the first listener is full
    second = listener_on_shift(capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        conversation_transfer(listener=first, conversation_id=conversation.pk, to_alias=second.alias)
    # The transfer offered its hand-over request itself, at commit.
    transfer_offer = pending_offer_for(second)
    with django_capture_on_commit_callbacks(execute=True):
        offer_accept(listener=second, offer_id=transfer_offer.pk)
    offer = Offer.objects.get(request=waiting)
    assert offer.listener_id == first.pk and offer.status == OfferStatus.PENDING


@pytest.mark.django_db
def test_a_missing_lock_row_is_restored_and_locked():
    DispatchLock.objects.all().delete()
    listener = listener_on_shift()
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    assert requests_dispatch(wait=False) == 1
    assert DispatchLock.objects.filter(pk=1).exists()
    assert pending_offer_for(listener)


@pytest.mark.django_db
def test_queue_sizes_cost_the_same_statements_for_many_listeners(django_assert_num_queries):
    topics_exist()
    for index in range(10):
        listener_on_shift(topics=(TOPICS[index % 5],))
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    # Shifts with profiles, their topics, the line, declined offers, device links, blocks, topic slugs.
    with django_assert_num_queries(7):
        assert queue_sizes_notify() == 10
    with django_assert_num_queries(7):
        assert queue_sizes_notify() == 0  # nothing changed since


# --- the hand-off between dispatchers (real row locks: PostgreSQL) -------------------------------


@pytest.fixture
def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises every writer at BEGIN")


@pytest.mark.django_db(transaction=True)
def test_a_dispatcher_that_finds_the_lock_taken_leaves_a_note_and_the_holder_runs_its_round(
    needs_postgres, monkeypatch
):
    """The holder read the listeners' seats before a chat ended; the dispatcher for the freed seat
    does not wait for the lock, and the holder's extra round offers the seat."""
    from django.core.cache import cache

    seeker, listener, conversation = matched_pair()
    Shift.objects.filter(listener=listener, ended_at__isnull=True).update(capacity=1)
    waiting = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    cache.delete(DISPATCH_WANTED_KEY)
    read, go = threading.Event(), threading.Event()
    pool = listener_pool()
    real_candidates = pool.candidates
    calls = []

    def paused_candidates(**kwargs):
        candidates = real_candidates(**kwargs)
        calls.append(threading.current_thread().name)
        if len(calls) == 1:
            read.set()
            go.wait(30)
        return candidates

    monkeypatch.setattr(pool, "candidates", paused_candidates)
    made = []

    def holder():
        try:
            made.append(requests_dispatch())
        finally:
            connection.close()

    thread = threading.Thread(target=holder, name="holder")
    thread.start()
    assert read.wait(30)
    conversation_end(user=seeker, conversation_id=conversation.pk)
    with connection.cursor() as cursor:
        # Guard against a regression to waiting: fail instead of hanging on the holder.
        cursor.execute("SET lock_timeout = '10s'")
    try:
        assert requests_dispatch(wait=False) == 0  # returned at once: the lock is taken
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    go.set()
    thread.join(30)
    assert made == [1]  # the first round saw no free seat; the one for the note did
    assert calls == ["holder", "holder"]
    assert Offer.objects.get(request=waiting, status=OfferStatus.PENDING).listener_id == listener.pk
    assert cache.get(DISPATCH_WANTED_KEY) is None


@pytest.mark.django_db(transaction=True)
def test_a_request_stamped_before_a_round_reads_the_line_is_seen_by_it(needs_postgres, monkeypatch):
    """Queue order across processes: a request whose transaction is still open when a round wants to
    read the line (stamped earlier, committing later than a younger one) is not jumped by the younger."""
    from chat.services import requests as request_services

    listener_on_shift(capacity=1)
    older_seeker, younger_seeker = SeekerFactory(), SeekerFactory()
    inside, finish = threading.Event(), threading.Event()
    real_join = request_services.user_join_conversation

    def paused_join(user_id, conversation_id, **kwargs):
        real_join(user_id, conversation_id, **kwargs)
        if user_id == older_seeker.pk:
            inside.set()  # stamped and inserted, not committed
            finish.wait(30)

    monkeypatch.setattr(request_services, "user_join_conversation", paused_join)

    def in_thread(fn):
        def run():
            try:
                fn()
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    older = in_thread(lambda: request_create(seeker=older_seeker, topic_slug="anxiety"))
    assert inside.wait(30)
    younger = request_create(seeker=younger_seeker, topic_slug="anxiety")
    round_thread = in_thread(requests_dispatch)
    with connection.cursor() as cursor:  # until the round waits for the line lock, or is done
        while round_thread.is_alive():
            cursor.execute(ADVISORY_LOCKS_HERE + " AND NOT granted")
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.01)
    finish.set()
    older.join(30)
    round_thread.join(30)
    offered = Offer.objects.get(status=OfferStatus.PENDING).request
    assert offered.seeker_id == older_seeker.pk
    assert offered.queued_at < younger.queued_at


# --- one round in flight per process (the socket path) -------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_changes_during_a_round_share_one_more_round(monkeypatch):
    """Five changes while a round runs cost one more round, not five. Each caller waits for the
    round that started after its change, and only for that one."""
    rounds = []
    started = [threading.Event(), threading.Event()]
    release = [threading.Event(), threading.Event()]

    def fake_round():
        rounds.append(len(rounds) + 1)
        if len(rounds) <= 2:
            started[len(rounds) - 1].set()
            release[len(rounds) - 1].wait(30)
        return False

    monkeypatch.setattr(dispatch, "_socket_refresh_round", fake_round)
    loop = asyncio.get_running_loop()
    first = asyncio.ensure_future(queue_refresh_soon())
    await loop.run_in_executor(None, started[0].wait, 30)
    later = [asyncio.ensure_future(queue_refresh_soon()) for _ in range(5)]
    release[0].set()
    await first  # its round is over, though the next one has not finished
    await loop.run_in_executor(None, started[1].wait, 30)
    assert not any(task.done() for task in later)
    release[1].set()
    await asyncio.gather(*later)
    assert rounds == [1, 2]
    await queue_refresh_soon()  # idle again: a new change gets its own round
    assert rounds == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
async def test_a_round_asking_for_another_gets_it(monkeypatch):
    answers = [True, True, False]
    rounds = []

    def fake_round():
        rounds.append(1)
        return answers[len(rounds) - 1]

    monkeypatch.setattr(dispatch, "_socket_refresh_round", fake_round)
    await queue_refresh_soon()  # returns after its own round; the rounds asked for follow
    await dispatch._in_flight[asyncio.get_running_loop()].task
    assert len(rounds) == 3


@pytest.mark.django_db(transaction=True)
async def test_a_failed_round_is_logged_and_the_caller_carries_on(monkeypatch, caplog):
    def broken_round():
        raise RuntimeError("database went away")

    monkeypatch.setattr(dispatch, "_socket_refresh_round", broken_round)
    await queue_refresh_soon()
    assert "dispatch round failed" in caplog.text


@pytest.mark.django_db
def test_the_socket_round_offers_and_flags_the_line(django_capture_on_commit_callbacks):
    from django.core.cache import cache

    cache.delete(dispatch.LINE_CHANGED_KEY)
    listener = listener_on_shift()
    request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch._socket_refresh_round() is False
    assert pending_offer_for(listener)
    assert ChatRequest.objects.get().status == RequestStatus.OFFERED
    assert dispatch.line_changed_take()


@pytest.mark.django_db(transaction=True)
async def test_on_postgresql_a_socket_round_does_not_queue_behind_the_database_thread(needs_postgres, settings):
    """Services on Channels' one database thread (``HEARTH_DB_PARALLEL`` off), that thread busy (here:
    blocked): the round runs and offers anyway."""
    settings.HEARTH_DB_PARALLEL = False
    from channels.db import database_sync_to_async

    def line_up():
        listener = listener_on_shift()
        request_create(seeker=SeekerFactory(), topic_slug="anxiety")
        return listener

    listener = await database_sync_to_async(line_up)()
    busy, release = threading.Event(), threading.Event()

    def occupy_database_thread():
        busy.set()
        release.wait(60)

    blocker = asyncio.ensure_future(database_sync_to_async(occupy_database_thread)())
    await asyncio.get_running_loop().run_in_executor(None, busy.wait, 30)
    try:
        # A hang guard, not a timing assertion: on the shared thread this could never finish.
        await asyncio.wait_for(queue_refresh_soon(), timeout=30)
        finished_while_blocked = not blocker.done()
    finally:
        release.set()
        await blocker
    assert finished_while_blocked
    assert (
        await database_sync_to_async(
            lambda: Offer.objects.filter(listener=listener, status=OfferStatus.PENDING).count()
        )()
        == 1
    )


@pytest.mark.django_db(transaction=True)
async def test_on_postgresql_socket_rounds_keep_one_cache_client(needs_postgres, monkeypatch):
    """Rounds reuse the dispatch thread's cache client (and its open Redis connection) instead of
    building a new one, with a new connection, for every round."""
    from django.core.cache import caches

    clients = []
    real_take = dispatch._wanted_take

    def recording_take():
        clients.append(caches["default"])
        return real_take()

    monkeypatch.setattr(dispatch, "_wanted_take", recording_take)
    await queue_refresh_soon()
    await queue_refresh_soon()
    assert len(clients) >= 2
    assert all(client is clients[0] for client in clients)


@pytest.mark.django_db(transaction=True)
def test_a_round_that_fails_while_reading_the_line_leaves_it_open_to_requests(needs_postgres, monkeypatch):
    """The round holds the line only while reading it (a session lock): a read that fails must
    still release it, or no seeker could get in line again on that pooled connection's server."""
    from django.db import DatabaseError

    from chat import dispatch as dispatch_module

    # The request first: creating it runs its own round on commit, which with nobody on shift
    # leaves it waiting for the broken round below.
    first = request_create(seeker=SeekerFactory(), topic_slug="anxiety")
    listener_on_shift(capacity=1)

    class BrokenRequests:
        class objects:
            @staticmethod
            def select_related(*args):
                with connection.cursor() as cursor:  # a real error: PostgreSQL aborts the transaction
                    cursor.execute("SELECT no_such_column FROM chat_chatrequest")

    monkeypatch.setattr(dispatch_module, "ChatRequest", BrokenRequests)
    with pytest.raises(DatabaseError):
        requests_dispatch()
    monkeypatch.undo()

    with connection.cursor() as cursor:
        cursor.execute(ADVISORY_LOCKS_HERE + " AND granted")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SET lock_timeout = '5s'")  # fail, don't hang, if the line stayed locked
    try:
        late = request_create(seeker=SeekerFactory(), topic_slug="grief-and-loss")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert late.pk
    # The late request's own round (on commit) works again and offers the first request.
    assert Offer.objects.filter(request=first, status=OfferStatus.PENDING).exists()


def test_the_periodic_place_refresh_is_sent_by_one_process_per_slot(monkeypatch):
    """Every process runs the dispatch job each second; the every-ten-seconds refresh of places in
    line must go out once (one frame per waiting seeker), not once per process."""
    from chat import jobs

    refreshed = []
    monkeypatch.setattr(jobs, "queue_positions_notify", lambda: refreshed.append(1))
    monkeypatch.setattr(jobs, "requests_dispatch", lambda **kwargs: 0)
    monkeypatch.setattr(jobs, "line_changed_take", lambda: False)
    at_refresh = 1_800_000_000.0  # a multiple of POSITION_REFRESH_SECONDS
    for _process in range(3):  # three processes at the same tick
        jobs.requests_dispatch_job(now=at_refresh + 0.2)
    assert refreshed == [1]
    jobs.requests_dispatch_job(now=at_refresh + 1)  # not a refresh second
    assert refreshed == [1]
    jobs.requests_dispatch_job(now=at_refresh + jobs.POSITION_REFRESH_SECONDS)  # the next slot
    assert refreshed == [1, 1]
