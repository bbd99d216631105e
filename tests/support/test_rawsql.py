"""Helpers for hand-written statements: instances and datetimes as the ORM would give them."""

from __future__ import annotations

import datetime as dt

from chat.models import Conversation
from support.rawsql import aware, instance


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
