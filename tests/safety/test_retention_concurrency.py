"""Two retention runs at once on PostgreSQL: every due row is handled once, nothing under review is touched."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from chat.models import Conversation, ConversationStatus, Message
from rooms.models import RoomMessage, RoomMessageStatus
from safety.models import FlagSource, SafetyFlag
from safety.retention import retention_run
from support.models import User
from support.services import seeker_create_anonymous
from tests.factories import SeekerFactory, topic
from tests.rooms.helpers import make_member, make_room

DUE = 14  # per kind; with batches of 3 both runs take several batches of each


def _run_together(count: int) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", retention_run(batch_size=3))
        except Exception as exc:  # a deadlock or a double delete fails the test below
            results[index] = ("error", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_delete_each_due_row_once_and_keep_what_is_under_review(settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer, so there is no race to test; run with DATABASE_URL=postgres://…")
    settings.SAFETY_RETENTION_DAYS = 30
    settings.SAFETY_RETENTION_ROOM_MESSAGE_DAYS = 30
    settings.SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS = 60
    old = timezone.now() - timedelta(days=100)

    chatter = SeekerFactory()  # recent and kept: their conversations end by the conversation rule alone
    for index in range(DUE):
        conversation = Conversation.objects.create(
            seeker=chatter, topic=topic(), status=ConversationStatus.ENDED, ended_at=old
        )
        Message.objects.create(
            conversation=conversation, seq=1, sender=chatter, sender_role="seeker", text=f"words {index}"
        )
    reviewed = Conversation.objects.create(seeker=chatter, topic=topic(), status=ConversationStatus.ENDED, ended_at=old)
    SafetyFlag.objects.create(conversation=reviewed, source=FlagSource.CLASSIFIER, level=2, excerpt="held")

    room = make_room()
    member = make_member(room)
    for seq in range(1, DUE + 1):
        RoomMessage.objects.create(room=room, seq=seq, sender=member, text="room words", created_at=old)
    held = RoomMessage.objects.create(
        room=room, seq=DUE + 1, sender=member, text="held", status=RoomMessageStatus.HELD, created_at=old
    )

    accounts = []
    for _ in range(DUE):
        user = seeker_create_anonymous(age=30)
        User.objects.filter(pk=user.pk).update(date_joined=old, last_login=old)
        accounts.append(user.pk)
    under_review = seeker_create_anonymous(age=30)
    User.objects.filter(pk=under_review.pk).update(date_joined=old, last_login=old)
    their_chat = Conversation.objects.create(
        seeker=under_review, topic=topic(), status=ConversationStatus.ENDED, ended_at=old, last_activity_at=old
    )
    Conversation.objects.filter(pk=their_chat.pk).update(last_activity_at=old)
    SafetyFlag.objects.create(conversation=their_chat, source=FlagSource.CLASSIFIER, level=2)

    results = _run_together(2)

    assert all(status == "ok" for status, _ in results), results
    totals = {}
    for _, counts in results:
        for kind, n in counts.items():
            totals[kind] = totals.get(kind, 0) + n
    assert totals["conversations"] == DUE
    assert totals["room_messages"] == DUE
    assert totals["seeker_accounts"] == DUE + 1  # each erased once; the one under review is closed, not deleted
    assert set(Conversation.objects.values_list("pk", flat=True)) == {reviewed.pk, their_chat.pk}
    assert list(RoomMessage.objects.values_list("pk", flat=True)) == [held.pk]
    assert not User.objects.filter(pk__in=accounts).exists()
    assert User.objects.get(pk=under_review.pk).deleted_at is not None
    assert retention_run(batch_size=3) == {}
