"""A suspended listener comes back the same way whoever ends the suspension: the listener
program's reinstate decision, safety staff lifting the sanction, or the sanction's end date
(``listeners.services.listener_reinstate``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from chat.dispatch import line_changed_take
from listeners.models import ListenerProfile, ListenerStatus
from listeners.services import listener_decide, shift_start
from safety.sanctions import sanction_lift, sanction_suspend_listener, sanctions_expire
from support.roles import LISTENER_MANAGERS_GROUP
from tests.safety.helpers import flagged_pair, staff_member

pytestmark = pytest.mark.django_db


def _suspended_listener(until):
    staff = staff_member()
    _, listener, _, flag = flagged_pair()
    sanction = sanction_suspend_listener(staff=staff, flag_id=flag.pk, note="Rude to a seeker", until=until)
    assert ListenerProfile.objects.get(user=listener).status == ListenerStatus.SUSPENDED
    return staff, listener, sanction


def _reinstate_by_decision(staff, listener, sanction, until):
    staff.groups.add(Group.objects.get(name=LISTENER_MANAGERS_GROUP))
    manager = type(staff).objects.get(pk=staff.pk)  # permissions are cached on the instance
    listener_decide(staff=manager, listener_id=listener.pk, action="reinstate", note="Reviewed")


def _reinstate_by_lifting_the_sanction(staff, listener, sanction, until):
    sanction_lift(staff=staff, sanction_id=sanction.pk, note="Appeal accepted")


def _reinstate_by_the_end_date(staff, listener, sanction, until):
    assert sanctions_expire(now=until + timedelta(minutes=1)) == 1


@pytest.mark.parametrize(
    "reinstate",
    [_reinstate_by_decision, _reinstate_by_lifting_the_sanction, _reinstate_by_the_end_date],
    ids=["staff-decision", "sanction-lifted", "sanction-expired"],
)
def test_a_reinstated_listener_may_take_chats_again_and_the_line_is_sent_afresh(
    reinstate, django_capture_on_commit_callbacks
):
    until = timezone.now() + timedelta(days=2)
    staff, listener, sanction = _suspended_listener(until)
    line_changed_take()
    with django_capture_on_commit_callbacks(execute=True):
        reinstate(staff, listener, sanction, until)
    assert ListenerProfile.objects.get(user=listener).status == ListenerStatus.ACTIVE
    assert line_changed_take(), "waiting seekers are not told the pool changed"
    assert shift_start(listener=listener, topic_slugs=["anxiety"], capacity=1).is_open
