"""One rule for "this listener is suspended" (``ListenerProfile.is_suspended``), and the filters
that must say it in SQL agreeing with it on the same rows."""

from __future__ import annotations

import pytest
from django.utils import timezone

from chat.models import Conversation, ConversationStatus
from chat.selectors import conversation_get_for_participant, conversations_for_user
from listeners.models import ListenerProfile, ListenerStatus, suspended_listener_q
from listeners.selectors import listener_candidates, listener_is_suspended
from support.errors import NotFoundOrForbidden
from tests.factories import ListenerFactory, SeekerFactory, open_shift
from tests.safety.helpers import present

pytestmark = pytest.mark.django_db


def test_only_a_suspended_profile_is_suspended():
    assert {status: ListenerProfile(status=status).is_suspended for status in ListenerStatus} == {
        ListenerStatus.PENDING: False,
        ListenerStatus.ACTIVE: False,
        ListenerStatus.REJECTED: False,
        ListenerStatus.SUSPENDED: True,
    }


def test_the_sql_spellings_of_suspended_agree_with_the_rule_on_every_status():
    listeners = {status: ListenerFactory(profile__status=status) for status in ListenerStatus}
    chats = {
        status: Conversation.objects.create(
            seeker=SeekerFactory(),
            listener=listener,
            status=ConversationStatus.ENDED,
            last_activity_at=timezone.now(),
        )
        for status, listener in listeners.items()
    }
    filtered = set(ListenerProfile.objects.filter(suspended_listener_q()).values_list("user_id", flat=True))
    for status, listener in listeners.items():
        suspended = ListenerProfile.objects.get(user=listener).is_suspended
        assert (listener.pk in filtered) is suspended, status
        assert listener_is_suspended(listener.pk) is suspended, status
        # The access function: a suspended listener reads no transcript of theirs.
        assert (chats[status] in conversations_for_user(user=listener)) is not suspended, status
        if suspended:
            with pytest.raises(NotFoundOrForbidden):
                conversation_get_for_participant(user=listener, conversation_id=chats[status].pk)
        else:
            assert conversation_get_for_participant(user=listener, conversation_id=chats[status].pk) == chats[status]


@pytest.mark.parametrize("trained", [True, False], ids=["trained", "untrained"])
def test_the_dispatch_rounds_hand_written_read_offers_only_listeners_who_may_take_chats(trained):
    """``listeners.candidates_sql`` reads plain rows; whoever it lets through must pass the same rule
    as a loaded profile, so a listener suspended while on shift is never offered a chat."""
    listeners = {}
    for status in ListenerStatus:
        listener = ListenerFactory(profile__status=status, profile__trained_at=timezone.now() if trained else None)
        open_shift(listener)
        present(listener)
        listeners[status] = listener
    offered = {candidate.listener_id for candidate in listener_candidates()}
    for status, listener in listeners.items():
        profile = ListenerProfile.objects.get(user=listener)
        assert (listener.pk in offered) is profile.may_take_chats, status
        if profile.is_suspended:
            assert listener.pk not in offered
