"""A safety sanction and a listener-program decision suspend a listener the same way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from chat.models import ConversationStatus, OfferStatus
from listeners.models import ListenerDecision, ListenerProfile, ListenerStatus, Shift
from safety.sanctions import sanction_suspend_listener
from tests.chat.helpers import listener_on_shift
from tests.safety.helpers import flagged_pair, staff_member


def suspended_by(staff, django_capture_on_commit_callbacks):
    seeker, listener, conversation, flag = flagged_pair()
    other = listener_on_shift()
    with django_capture_on_commit_callbacks(execute=True):
        sanction_suspend_listener(
            staff=staff, flag_id=flag.pk, note="misconduct", until=timezone.now() + timedelta(days=3)
        )
    conversation.refresh_from_db()
    return {
        "status": ListenerProfile.objects.get(user=listener).status,
        "on_shift": Shift.objects.filter(listener=listener, ended_at__isnull=True).exists(),
        "chat": (conversation.status, conversation.listener_id),
        # The requeued seeker is offered to another listener at once (the service's own round).
        "offered_to_other": other.offers.filter(
            request__conversation=conversation, status=OfferStatus.PENDING
        ).exists(),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("manages_listeners", [False, True])
def test_a_sanction_suspends_like_a_listener_decision(manages_listeners, django_capture_on_commit_callbacks):
    staff = staff_member()
    if manages_listeners:  # then the listener program's decision is used (and recorded)
        staff.user_permissions.add(Permission.objects.get(codename="listener_manage"))
        staff = type(staff).objects.get(pk=staff.pk)
    assert suspended_by(staff, django_capture_on_commit_callbacks) == {
        "status": ListenerStatus.SUSPENDED,
        "on_shift": False,
        "chat": (ConversationStatus.WAITING, None),
        "offered_to_other": True,
    }
    assert ListenerDecision.objects.filter(action="suspend").exists() == manages_listeners
