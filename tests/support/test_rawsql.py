"""Helpers for hand-written statements: instances and datetimes as the ORM would give them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chat.models import Conversation
from support.models import Topic
from support.rawsql import aware, insert_instance, instance
from tests.factories import SeekerFactory


def test_instance_maps_values_by_name_whatever_their_order_and_defers_the_rest():
    conversation = instance(Conversation, ("last_seq", "status", "id"), (7, "active", 42))
    assert (conversation.pk, conversation.status, conversation.last_seq) == (42, "active", 7)
    assert "seeker_id" in conversation.get_deferred_fields()
    assert conversation._state.adding is False


def test_aware_reads_sqlite_text_and_naive_values_as_utc_and_keeps_aware_ones():
    utc = dt.UTC
    expected = dt.datetime(2026, 11, 25, 23, 0, 0, 123456, tzinfo=utc)
    assert aware("2026-11-25 23:00:00.123456") == expected
    assert aware(dt.datetime(2026, 11, 25, 23, 0, 0, 123456)) == expected
    assert aware(expected.astimezone(dt.timezone(dt.timedelta(hours=2)))) == expected
    assert aware(None) is None


@pytest.mark.django_db
def test_insert_instance_writes_the_row_objects_create_would():
    from chat.models import ChatRequest

    seeker = SeekerFactory()
    now = timezone.now()
    by_orm = ChatRequest.objects.create(
        seeker=seeker,
        conversation=Conversation.objects.create(seeker=seeker, last_activity_at=now),
        age_group="adult",
        queued_at=now,
        note="orm",
        status="cancelled",
    )
    by_hand = insert_instance(
        ChatRequest(
            seeker=seeker,
            conversation=insert_instance(Conversation(seeker=seeker, last_activity_at=now)),
            age_group="adult",
            queued_at=now,
            note="hand",
        )
    )
    assert by_hand.pk and by_hand._state.adding is False
    ignored = {"id", "conversation_id", "created_at", "note", "status"}
    stored = {row["id"]: row for row in ChatRequest.objects.values()}
    assert {k: v for k, v in stored[by_hand.pk].items() if k not in ignored} == {
        k: v for k, v in stored[by_orm.pk].items() if k not in ignored
    }
    assert stored[by_hand.pk]["status"] == "waiting" and stored[by_hand.pk]["note"] == "hand"  # defaults from the model
    assert abs(stored[by_hand.pk]["created_at"] - now) < dt.timedelta(seconds=5)  # auto_now_add stamped
    assert stored[by_hand.pk]["created_at"] == by_hand.created_at  # and on the instance, as save() does


@pytest.mark.django_db
def test_insert_instance_saves_through_the_orm_when_a_save_signal_listens():
    from django.db.models.signals import post_save

    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(receiver, sender=Conversation)
    try:
        conversation = insert_instance(Conversation(seeker=SeekerFactory(), last_activity_at=timezone.now()))
    finally:
        post_save.disconnect(receiver, sender=Conversation)
    assert heard == [(conversation.pk, True)]


@pytest.mark.django_db
def test_the_request_path_finds_only_active_topics_by_slug():
    from chat.request_sql import active_topic

    Topic.objects.create(slug="retired", name="Retired", is_active=False)
    found = active_topic("anxiety")
    assert found == Topic.objects.get(slug="anxiety") and found.is_active is True and found.name
    assert active_topic("retired") is None and active_topic("no-such-topic") is None


@pytest.mark.django_db
def test_the_match_read_gives_the_conversation_topic_and_seeker_as_the_orm_would():
    from chat.offer_sql import conversation_for_match
    from tests.chat.helpers import matched_pair

    _, _, conversation = matched_pair()
    Conversation.objects.filter(pk=conversation.pk).update(escalated=True)
    by_hand = conversation_for_match(conversation.pk)
    by_orm = Conversation.objects.select_related("topic", "seeker").get(pk=conversation.pk)
    for field in Conversation._meta.concrete_fields:
        assert getattr(by_hand, field.attname) == getattr(by_orm, field.attname), field.attname
    assert by_hand.escalated is True and by_hand.started_at.tzinfo is not None  # converted as the ORM does
    assert [getattr(by_hand.topic, f.attname) for f in Topic._meta.concrete_fields] == [
        getattr(by_orm.topic, f.attname) for f in Topic._meta.concrete_fields
    ]
    assert (by_hand.seeker.alias, by_hand.seeker.age_group) == (by_orm.seeker.alias, by_orm.seeker.age_group)
    assert by_hand.get_deferred_fields() == set() and by_hand._state.adding is False
