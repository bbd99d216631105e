"""What screening leads to: held listener misconduct, one case per conversation, quotes, assessor failure."""

from __future__ import annotations

import pytest

from chat.models import Message
from chat.services.messages import message_send
from listeners.models import ListenerProfile
from listeners.selectors import listener_candidates
from safety.classifier import Assessment, Level
from safety.models import FlagStatus, HeldMessage, SafetyFlag
from safety.screening import HELD_NOTICE, screen_message, unquoted, verdict_for
from safety.services import flag_resolve
from tests.factories import TeenSeekerFactory
from tests.safety.helpers import CRISIS, IMMINENT, listener_on_shift, matched_pair, staff_member

pytestmark = pytest.mark.django_db

GROOMING = "add me on snap so we can talk after, dont tell your parents ok"


def teen_pair():
    listener = listener_on_shift()
    ListenerProfile.objects.filter(user=listener).update(approved_for_teens=True)
    return matched_pair(seeker=TeenSeekerFactory(), listener=listener)


def test_a_listener_asking_a_teen_for_their_snapchat_is_held_never_delivered_and_pauses_their_offers(
    django_capture_on_commit_callbacks,
):
    seeker, listener, conversation = teen_pair()
    before = Message.objects.filter(conversation=conversation).count()
    with django_capture_on_commit_callbacks(execute=True):
        result = message_send(sender=listener, conversation_id=conversation.pk, client_id="g1", text=GROOMING)
    assert result.message is None and result.held is not None
    assert result.verdict.notice == HELD_NOTICE
    assert Message.objects.filter(conversation=conversation).count() == before
    held = HeldMessage.objects.get(conversation=conversation)
    assert held.sender == listener and held.flag.subject == listener
    assert held.flag.level >= Level.ELEVATED and "listener_misconduct" in held.flag.categories
    assert held.flag.paused_listener == listener
    assert ListenerProfile.objects.get(user=listener).held_for_review
    assert all(not c.available for c in listener_candidates() if c.listener_id == listener.pk)

    flag_resolve(staff=staff_member(), flag_id=held.flag.pk, note="Suspended pending investigation")
    assert not ListenerProfile.objects.get(user=listener).held_for_review


def test_a_listener_asking_an_adult_to_meet_is_held_and_flagged_without_pausing_offers():
    seeker, listener, conversation = matched_pair()
    result = message_send(
        sender=listener,
        conversation_id=conversation.pk,
        client_id="m1",
        text="we should meet up irl sometime, where do you live?",
    )
    assert result.held is not None
    assert result.held.flag.level >= Level.ELEVATED and result.held.flag.paused_listener is None
    assert not ListenerProfile.objects.get(user=listener).held_for_review


def test_a_listener_telling_a_seeker_to_kill_themselves_is_held():
    seeker, listener, conversation = matched_pair()
    result = message_send(
        sender=listener, conversation_id=conversation.pk, client_id="k1", text="honestly just go kill yourself"
    )
    assert result.held is not None and "harassment" in result.held.flag.categories


def test_resending_a_held_message_holds_it_once():
    seeker, listener, conversation = matched_pair()
    first = message_send(sender=listener, conversation_id=conversation.pk, client_id="d1", text=GROOMING)
    again = message_send(sender=listener, conversation_id=conversation.pk, client_id="d1", text=GROOMING)
    assert again.held.pk == first.held.pk and again.duplicate and not first.duplicate
    assert HeldMessage.objects.count() == 1 and SafetyFlag.objects.get().texts_attached == 1


def test_crisis_messages_in_one_conversation_make_one_case_whose_level_rises(django_capture_on_commit_callbacks):
    seeker, listener, conversation = matched_pair()
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="c1", text=CRISIS)
    case = SafetyFlag.objects.get(conversation=conversation)
    case.acknowledged_at = case.created_at
    case.save(update_fields=["acknowledged_at"])
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="c2", text="i really do want to die")
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="c3", text=IMMINENT)
    case.refresh_from_db()
    assert SafetyFlag.objects.filter(conversation=conversation).count() == 1
    assert case.texts_attached == 3
    assert case.level == Level.IMMINENT
    assert case.acknowledged_at is None, "a case whose level rose must be acknowledged again"


def test_a_listener_reflecting_the_seekers_words_back_adds_nothing_to_the_case():
    seeker, listener, conversation = matched_pair()
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="s1", text="i took all my pills an hour ago")
    reply = message_send(
        sender=listener,
        conversation_id=conversation.pk,
        client_id="l1",
        text="you took all my pills an hour ago? please call 911 now, are you safe?",
    )
    assert not reply.verdict.flag
    case = SafetyFlag.objects.get(conversation=conversation)
    assert case.subject == seeker and case.subject_role == "seeker" and case.texts_attached == 1


def test_unquoted_removes_runs_of_three_or_more_repeated_words_only():
    stripped = unquoted("you said you took the pills tonight?", ("i took the pills tonight",))
    assert "pills" not in stripped and len(stripped) == len("you said you took the pills tonight?")
    assert unquoted("how are you feeling tonight?", ("i took the pills tonight",)) == "how are you feeling tonight?"


def _failing_assessor(text, context=None):
    raise RuntimeError("model file unreadable")


def test_when_the_assessor_fails_a_seekers_message_is_still_delivered_and_flagged_unscreened(settings):
    seeker, listener, conversation = matched_pair()
    settings.SAFETY_ASSESSOR_BACKEND = "tests.safety.test_acting_on_screening._failing_assessor"
    result = message_send(sender=seeker, conversation_id=conversation.pk, client_id="u1", text="anything at all")
    assert result.message is not None and result.message.text == "anything at all"
    flag = SafetyFlag.objects.get(conversation=conversation)
    assert "unscreened" in flag.categories and flag.level >= Level.ELEVATED


def test_when_the_assessor_fails_a_listeners_message_is_held(settings):
    seeker, listener, conversation = matched_pair()
    settings.SAFETY_ASSESSOR_BACKEND = "tests.safety.test_acting_on_screening._failing_assessor"
    result = message_send(sender=listener, conversation_id=conversation.pk, client_id="u2", text="how are you?")
    assert result.message is None and result.held is not None
    assert "unscreened" in result.held.flag.categories


@pytest.mark.parametrize("text", ["", "😀" * 2000, "\ud800 lone", "nul\x00byte", "mixed кириллица 漢字 text"])
def test_screening_never_raises(text):
    screening = screen_message(text=text, sender_role="listener", quoted_from=("earlier words here",))
    assert isinstance(screening.assessment, Assessment)
    verdict_for(screening, author_role="listener")


def test_a_resolved_case_is_not_reopened_by_a_later_crisis_message():
    seeker, listener, conversation = matched_pair()
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="r1", text=CRISIS)
    first = SafetyFlag.objects.get(conversation=conversation)
    flag_resolve(staff=staff_member(), flag_id=first.pk, note="Talked it through; safety plan in place")
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="r2", text=IMMINENT)
    assert (
        SafetyFlag.objects.filter(conversation=conversation, status=FlagStatus.OPEN).exclude(pk=first.pk).count() == 1
    )
