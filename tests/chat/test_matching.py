"""The pure matching rules, with plain objects (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chat.matching import Candidate, Want, choose_listener, plan_offers, queue_order

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ANXIETY, GRIEF = 1, 2


def listener(
    listener_id,
    *,
    topics=(ANXIETY,),
    capacity=2,
    load=0,
    idle_minutes=10,
    teens=False,
    adults=True,
    available=True,
    direct=True,
):
    return Candidate(
        listener_id=listener_id,
        topic_ids=frozenset(topics),
        capacity=capacity,
        load=load,
        idle_since=T0 - timedelta(minutes=idle_minutes),
        approved_for_teens=teens,
        approved_for_adults=adults,
        accepts_direct_requests=direct,
        available=available,
    )


def want(request_id=1, *, topic=ANXIETY, age="adult", priority=0, minute=0, specific=None, excluded=()):
    return Want(
        request_id=request_id,
        seeker_id=100 + request_id,
        topic_id=topic,
        age_group=age,
        priority=priority,
        queued_at=T0 + timedelta(minutes=minute),
        requested_listener_id=specific,
        specific_only=specific is not None,
        excluded_listener_ids=frozenset(excluded),
    )


def test_listener_must_serve_the_topic():
    assert choose_listener(want(topic=GRIEF), [listener(1, topics=(ANXIETY,))]) is None
    assert choose_listener(want(topic=GRIEF), [listener(1, topics=(ANXIETY, GRIEF))]).listener_id == 1


def test_any_topic_request_matches_any_listener():
    assert choose_listener(want(topic=None), [listener(1, topics=(GRIEF,))]).listener_id == 1


def test_listener_at_capacity_is_never_chosen():
    assert choose_listener(want(), [listener(1, capacity=2, load=2)]) is None


def test_teen_seeker_is_never_offered_to_adult_only_listener():
    assert choose_listener(want(age="teen"), [listener(1, teens=False)]) is None
    assert choose_listener(want(age="teen"), [listener(1, teens=True)]).listener_id == 1


def test_adult_seeker_is_never_offered_to_teen_only_listener():
    assert choose_listener(want(age="adult"), [listener(1, teens=True, adults=False)]) is None


def test_blocked_or_declined_listener_is_excluded():
    assert choose_listener(want(excluded={1}), [listener(1), listener(2)]).listener_id == 2


def test_unavailable_listener_is_skipped():
    assert choose_listener(want(), [listener(1, available=False)]) is None


def test_fewest_open_chats_now_wins_then_longest_idle():
    busy_but_idle_longer = listener(1, load=1, idle_minutes=60)
    free_recently_idle = listener(2, load=0, idle_minutes=1)
    free_idle_longer = listener(3, load=0, idle_minutes=30)
    assert choose_listener(want(), [busy_but_idle_longer, free_recently_idle, free_idle_longer]).listener_id == 3


def test_specific_listener_request_only_goes_to_that_listener():
    assert choose_listener(want(specific=7), [listener(1), listener(2)]) is None
    assert choose_listener(want(specific=7), [listener(1), listener(7, load=1)]).listener_id == 7


def test_specific_request_respects_listener_declining_direct_requests():
    assert choose_listener(want(specific=7), [listener(7, direct=False)]) is None


def test_urgent_first_then_returning_then_first_come_first_served():
    order = queue_order(
        [want(1, minute=0), want(2, minute=5, priority=2), want(3, minute=3, priority=1), want(4, minute=-1)]
    )
    assert [w.request_id for w in order] == [2, 3, 4, 1]


def test_plan_never_exceeds_capacity_within_a_round():
    plan = plan_offers([want(i, minute=i) for i in range(1, 6)], [listener(1, capacity=2), listener(2, capacity=1)])
    counts = {}
    for _, candidate in plan:
        counts[candidate.listener_id] = counts.get(candidate.listener_id, 0) + 1
    assert counts == {1: 2, 2: 1}
    assert [w.request_id for w, _ in plan] == [1, 2, 3]


def test_unmatchable_request_does_not_block_the_ones_behind_it():
    plan = plan_offers(
        [want(1, topic=GRIEF, minute=0), want(2, topic=ANXIETY, minute=1)], [listener(1, topics=(ANXIETY,))]
    )
    assert [(w.request_id, c.listener_id) for w, c in plan] == [(2, 1)]


def test_earlier_request_gets_the_only_seat_no_starvation():
    plan = plan_offers([want(2, minute=5), want(1, minute=0)], [listener(1, capacity=1)])
    assert [w.request_id for w, _ in plan] == [1]


def test_load_is_spread_across_listeners():
    plan = plan_offers([want(i, minute=i) for i in range(1, 5)], [listener(1, capacity=5), listener(2, capacity=5)])
    assert sorted(c.listener_id for _, c in plan) == [1, 1, 2, 2]
