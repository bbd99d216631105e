"""Instances as the ORM would give them, from rows read outside its loading."""

from __future__ import annotations

from chat.models import Conversation
from support.rawsql import instance


def test_instance_maps_values_by_name_whatever_their_order_and_defers_the_rest():
    conversation = instance(Conversation, ("last_seq", "status", "id"), (7, "active", 42))
    assert (conversation.pk, conversation.status, conversation.last_seq) == (42, "active", 7)
    assert "seeker_id" in conversation.get_deferred_fields()
    assert conversation._state.adding is False
