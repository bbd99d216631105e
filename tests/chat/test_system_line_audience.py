"""A system line written to the seeker ("Your listener lost their connection…") says so, so the next
listener's and staff's pages do not show it as if it spoke to them."""

from __future__ import annotations

import pytest

from chat.models import Message
from chat.payloads import message_payload
from chat.selectors import messages_after
from chat.services.conversations import listener_departed
from tests.chat.helpers import matched_pair

pytestmark = pytest.mark.django_db


def test_the_lost_connection_line_is_for_the_seeker_only_and_the_join_line_for_everyone():
    seeker, listener, conversation = matched_pair()
    listener_departed(listener_id=listener.pk, reason="connection_lost")
    lines = [message_payload(m) for m in messages_after(conversation=conversation, after_seq=0) if m.kind == "system"]
    assert [(line["text"].split(".")[0], line["for_role"]) for line in lines] == [
        (f"{listener.alias} has joined the chat", None),
        ("Your listener lost their connection", "seeker"),
    ]
    assert Message.objects.filter(conversation=conversation, for_role="seeker").count() == 1
