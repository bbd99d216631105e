"""Message persistence, sequence numbers, idempotency, limits and lifecycle (service level)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.dispatch import requests_dispatch
from chat.models import ChatRequest, ConversationStatus, EndReason, Message, MessageKind, RequestPriority, RequestStatus
from chat.selectors import messages_after
from chat.services.conversations import conversation_end, conversation_transfer, conversations_inactivity
from chat.services.messages import EMPTY_MESSAGE, conversation_mark_read, message_send
from chat.services.offers import offer_accept
from chat.services.requests import request_create
from listeners.jobs import presence_sweep
from support.errors import DomainError, NotFoundOrForbidden, RateLimited
from support.models import Connection
from tests.chat.helpers import listener_on_shift, matched_pair, pending_offer_for
from tests.factories import SeekerFactory

pytestmark = pytest.mark.django_db


def texts(conversation):
    return [m.text for m in Message.objects.filter(conversation=conversation, kind=MessageKind.TEXT).order_by("seq")]


def test_messages_get_gap_free_increasing_sequence_numbers():
    seeker, listener, conversation = matched_pair()
    seqs = [
        message_send(
            sender=seeker if i % 2 else listener, conversation_id=conversation.pk, client_id=f"c{i}", text=f"m{i}"
        ).message.seq
        for i in range(6)
    ]
    all_seqs = list(Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", flat=True))
    assert all_seqs == list(range(1, len(all_seqs) + 1))
    assert seqs == sorted(seqs)


def test_resending_a_client_id_returns_the_original_and_stores_nothing_new():
    seeker, _, conversation = matched_pair()
    first = message_send(sender=seeker, conversation_id=conversation.pk, client_id="abc", text="hello")
    again = message_send(sender=seeker, conversation_id=conversation.pk, client_id="abc", text="hello")
    assert again.duplicate is True
    assert again.message.pk == first.message.pk and again.message.seq == first.message.seq
    assert texts(conversation) == ["hello"]


def test_same_client_id_from_the_other_participant_is_a_different_message():
    seeker, listener, conversation = matched_pair()
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="x", text="from seeker")
    message_send(sender=listener, conversation_id=conversation.pk, client_id="x", text="from listener")
    assert texts(conversation) == ["from seeker", "from listener"]


def test_what_a_seeker_writes_while_waiting_reaches_the_listener_at_the_match():
    listener = listener_on_shift()
    seeker = SeekerFactory()
    request = request_create(seeker=seeker, topic_slug="anxiety")
    message_send(sender=seeker, conversation_id=request.conversation_id, client_id="w1", text="I can't sleep again")
    requests_dispatch()
    conversation = offer_accept(listener=listener, offer_id=pending_offer_for(listener).pk)
    visible = messages_after(conversation=conversation, after_seq=0)
    assert "I can't sleep again" in [m.text for m in visible]


def test_listener_cannot_write_before_joining_and_nobody_after_the_end():
    seeker, listener, conversation = matched_pair()
    conversation_end(user=seeker, conversation_id=conversation.pk)
    with pytest.raises(DomainError) as error:
        message_send(sender=listener, conversation_id=conversation.pk, client_id="late", text="hello?")
    assert error.value.code == "conversation_ended"


@pytest.mark.parametrize(
    "text, code",
    [("", "empty_message"), ("   \n\t ", "empty_message"), ("x" * 2001, "message_too_long"), (None, "invalid_field")],
)
def test_text_limits(text, code):
    seeker, _, conversation = matched_pair()
    with pytest.raises(DomainError) as error:
        message_send(sender=seeker, conversation_id=conversation.pk, client_id="c", text=text)
    assert error.value.code == code
    if code == "empty_message":
        assert error.value.message == EMPTY_MESSAGE
    assert texts(conversation) == []


def test_text_of_exactly_the_limit_is_accepted():
    seeker, _, conversation = matched_pair()
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="c", text="y" * 2000)
    assert len(texts(conversation)[0]) == 2000


@pytest.mark.parametrize("client_id", ["", "x" * 65, 5, "bad\nid"])
def test_client_id_is_validated(client_id):
    seeker, _, conversation = matched_pair()
    with pytest.raises(DomainError) as error:
        message_send(sender=seeker, conversation_id=conversation.pk, client_id=client_id, text="hi")
    assert error.value.code == "invalid_field"


def test_rate_limit_answers_with_retry_after(settings):
    settings.CHAT_RATE_MESSAGES = 3
    seeker, _, conversation = matched_pair()
    for i in range(3):
        message_send(sender=seeker, conversation_id=conversation.pk, client_id=f"r{i}", text="hi")
    with pytest.raises(RateLimited) as error:
        message_send(sender=seeker, conversation_id=conversation.pk, client_id="r3", text="hi")
    assert 1 <= error.value.retry_after <= settings.CHAT_RATE_WINDOW_SECONDS
    assert len(texts(conversation)) == 3


def test_outsiders_cannot_send_or_read_and_cannot_tell_if_it_exists():
    _, _, conversation = matched_pair()
    outsider = SeekerFactory()
    with pytest.raises(NotFoundOrForbidden) as exists:
        message_send(sender=outsider, conversation_id=conversation.pk, client_id="x", text="hi")
    with pytest.raises(NotFoundOrForbidden) as missing:
        message_send(sender=outsider, conversation_id=999999, client_id="x", text="hi")
    assert exists.value.code == missing.value.code and exists.value.message == missing.value.message


def test_contact_details_are_masked_before_storing():
    seeker, _, conversation = matched_pair()
    result = message_send(
        sender=seeker, conversation_id=conversation.pk, client_id="p", text="text me on 555-123-4567 ok"
    )
    assert result.message.masked is True
    assert "555-123-4567" not in Message.objects.get(pk=result.message.pk).text
    assert result.screening.notice


def test_read_marker_is_stored_and_never_moves_back():
    seeker, listener, conversation = matched_pair()
    for i in range(3):
        message_send(sender=listener, conversation_id=conversation.pk, client_id=f"l{i}", text="hi")
    conversation.refresh_from_db()
    assert (
        conversation_mark_read(user=seeker, conversation_id=conversation.pk, seq=conversation.last_seq)
        == conversation.last_seq
    )
    assert conversation_mark_read(user=seeker, conversation_id=conversation.pk, seq=1) == conversation.last_seq
    conversation.refresh_from_db()
    assert conversation.seeker_read_seq == conversation.last_seq


def test_ending_records_a_reason_the_seeker_can_read():
    seeker, listener, conversation = matched_pair()
    conversation_end(user=listener, conversation_id=conversation.pk)
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.ENDED
    assert conversation.end_reason == EndReason.LISTENER_ENDED
    last = Message.objects.filter(conversation=conversation).order_by("-seq").first()
    assert last.kind == MessageKind.SYSTEM and last.text == EndReason.LISTENER_ENDED.label


def test_inactive_chat_is_warned_then_ended(settings):
    seeker, listener, conversation = matched_pair()
    later = timezone.now() + timedelta(seconds=settings.CHAT_INACTIVITY_WARN_SECONDS + 1)
    conversations_inactivity(now=later)
    conversation.refresh_from_db()
    assert conversation.inactivity_warned_at is not None and conversation.status == ConversationStatus.ACTIVE
    conversations_inactivity(now=timezone.now() + timedelta(seconds=settings.CHAT_INACTIVITY_END_SECONDS + 1))
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.ENDED and conversation.end_reason == EndReason.INACTIVITY


def test_a_new_message_resets_the_inactivity_warning(settings):
    seeker, listener, conversation = matched_pair()
    conversations_inactivity(now=timezone.now() + timedelta(seconds=settings.CHAT_INACTIVITY_WARN_SECONDS + 1))
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="back", text="sorry, I'm here")
    conversation.refresh_from_db()
    assert conversation.inactivity_warned_at is None


def test_listener_gone_past_grace_sends_seeker_to_the_front_keeping_the_conversation(settings):
    seeker, listener, conversation = matched_pair()
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="m", text="it's been hard")
    Connection.objects.filter(user=listener).delete()
    presence_sweep(now=timezone.now() + timedelta(seconds=settings.MATCHING_LISTENER_GRACE_SECONDS + 5))
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.WAITING and conversation.listener is None
    request = ChatRequest.objects.get(conversation=conversation, status=RequestStatus.WAITING)
    assert request.priority >= RequestPriority.RETURNING
    assert "it's been hard" in texts(conversation)
    assert listener.shifts.get().ended_at is not None


def test_listener_within_grace_is_not_dropped(settings):
    seeker, listener, conversation = matched_pair()
    presence_sweep(now=timezone.now() + timedelta(seconds=5))
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.ACTIVE


def test_transfer_hands_the_chat_over_without_the_seeker_leaving():
    seeker, first, conversation = matched_pair()
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="m", text="before the hand-over")
    second = listener_on_shift()
    conversation_transfer(listener=first, conversation_id=conversation.pk)
    requests_dispatch()
    offer = pending_offer_for(second)
    offer_accept(listener=second, offer_id=offer.pk)
    conversation.refresh_from_db()
    assert conversation.listener == second and conversation.status == ConversationStatus.ACTIVE
    assert "before the hand-over" in [m.text for m in messages_after(conversation=conversation, after_seq=0)]
    with pytest.raises(NotFoundOrForbidden):
        message_send(sender=first, conversation_id=conversation.pk, client_id="gone", text="still here?")


def test_message_send_query_count_stays_small():
    seeker, _, conversation = matched_pair()
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="warm", text="warm up")
    with CaptureQueriesContext(connection) as queries:
        message_send(sender=seeker, conversation_id=conversation.pk, client_id="q", text="how are you today")
    # access, nearby messages (idempotency + context), mute check, seq, insert; plus the test savepoint pair
    assert len(queries) <= 7, [q["sql"] for q in queries.captured_queries]


def test_a_plan_named_after_earlier_ideation_in_the_chat_is_flagged_imminent(settings):
    """The rules' context check runs on the stored conversation: ideation two messages back makes a
    plan imminent (the stored risk levels say where to look)."""
    from safety.classifier import Level
    from safety.models import SafetyFlag

    # The rules alone: the learned model (the default backend's second opinion) reads a
    # bottle of pills as a risk even without ideation before it.
    settings.SAFETY_ASSESSOR_BACKEND = "safety.classifier.assess"

    seeker, listener, conversation = matched_pair()
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="c1", text="honestly i just want to die")
    message_send(
        sender=listener,
        conversation_id=conversation.pk,
        client_id="c2",
        text="I'm really glad you told me. Do you have a way in mind?",
    )
    plain = "there's a bottle of my mum's pills in the bathroom"
    result = message_send(sender=seeker, conversation_id=conversation.pk, client_id="c3", text=plain)
    assert result.screening.level == Level.IMMINENT
    assert SafetyFlag.objects.filter(message_id=result.message.pk, level=Level.IMMINENT).exists()

    _, _, calm = matched_pair()
    alone = message_send(sender=calm.seeker, conversation_id=calm.pk, client_id="c4", text=plain)
    assert alone.screening.level < Level.ELEVATED  # the same words with no ideation before them
