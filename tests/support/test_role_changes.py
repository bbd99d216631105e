"""Removing staff rights (from the user or from the group side) closes that person's sockets."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from support.events import collecting_events
from support.roles import LISTENER_MANAGERS_GROUP, SAFETY_STAFF_GROUP
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def revocations(outbox):
    return [group for group, event in outbox if event["type"] == "access.revoked"]


@pytest.mark.parametrize(
    "remove",
    [
        lambda user, group: user.groups.remove(group),
        lambda user, group: user.groups.clear(),
        lambda user, group: group.user_set.remove(user),
        lambda user, group: group.user_set.clear(),
    ],
    ids=["user.groups.remove", "user.groups.clear", "group.user_set.remove", "group.user_set.clear"],
)
def test_losing_the_safety_staff_group_revokes_access(django_capture_on_commit_callbacks, remove):
    staff = StaffFactory()
    group = Group.objects.get(name=SAFETY_STAFF_GROUP)
    with collecting_events() as outbox, django_capture_on_commit_callbacks(execute=True):
        remove(staff, group)
    assert revocations(outbox) == [f"user.{staff.pk}"]


def test_losing_an_unrelated_group_changes_nothing(django_capture_on_commit_callbacks):
    staff = StaffFactory()
    other = Group.objects.get(name=LISTENER_MANAGERS_GROUP)
    staff.groups.add(other)
    with collecting_events() as outbox, django_capture_on_commit_callbacks(execute=True):
        staff.groups.remove(other)
    assert revocations(outbox) == []
