"""Follow-ups of a committed change (``support.events.follow_up_on_commit``): once per socket frame, after it."""

from __future__ import annotations

import pytest
from django.db import transaction

from support.events import follow_up_on_commit, follow_ups_run, frame_follow_ups


@pytest.mark.django_db(transaction=True)
def test_outside_a_frame_the_follow_up_runs_when_the_transaction_commits():
    ran = []
    with transaction.atomic():
        follow_up_on_commit(lambda: ran.append("now"), on_socket=None)
        assert ran == []
    assert ran == ["now"]


@pytest.mark.django_db(transaction=True)
def test_in_a_frame_services_asking_twice_get_one_socket_follow_up_after_the_frame():
    ran = []

    async def round_soon():
        ran.append("socket")

    with frame_follow_ups() as pending:
        for _ in range(2):
            with transaction.atomic():
                follow_up_on_commit(lambda: ran.append("now"), on_socket=round_soon)
    assert ran == []
    assert list(pending) == [round_soon]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_asks_for_no_follow_up():
    ran = []
    with frame_follow_ups() as pending:
        with transaction.atomic():
            follow_up_on_commit(lambda: ran.append("now"), on_socket=lambda: None)
            transaction.set_rollback(True)
    with transaction.atomic():
        follow_up_on_commit(lambda: ran.append("now"), on_socket=None)
        transaction.set_rollback(True)
    assert pending == {} and ran == []


async def test_a_failing_follow_up_does_not_stop_the_others():
    ran = []

    async def broken():
        raise RuntimeError("layer down")

    async def fine():
        ran.append("fine")

    await follow_ups_run({broken: None, fine: None})
    assert ran == ["fine"]


@pytest.mark.django_db(transaction=True)
async def test_what_a_follow_up_starts_after_the_frame_runs_as_outside_a_frame():
    """A follow-up (the dispatch round) may itself commit changes that ask for a follow-up: those run
    at once, not into the collection of a frame that has ended."""
    from asgiref.sync import sync_to_async

    ran = []

    def nested_change():
        with transaction.atomic():
            follow_up_on_commit(lambda: ran.append("now"), on_socket=None)

    async def round_soon():
        await sync_to_async(nested_change)()

    with frame_follow_ups() as pending:
        await sync_to_async(lambda: follow_up_on_commit(lambda: None, on_socket=round_soon))()
    await follow_ups_run(pending)
    assert ran == ["now"]
