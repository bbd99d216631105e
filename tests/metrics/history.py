"""A factory-built week of service history whose every dashboard figure is known in advance.

Monday 2 November 2026 (UTC) is the week. Hours of the week: Mon 10:00 is index 10,
Mon 11:00 is 11, Tue 09:00 is 33. The expected figures are written out in the tests.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group
from django.utils import timezone

from chat.models import ChatRequest, Conversation, ConversationStatus, RequestStatus
from listeners.models import Shift
from safety.models import Report, SafetyFlag, Sanction
from support.models import AgeGroup, Topic
from support.roles import SERVICE_MANAGERS_GROUP
from tests.factories import ListenerFactory, SeekerFactory, StaffFactory, UserFactory

UTC = dt.UTC
MONDAY = dt.datetime(2026, 11, 2, tzinfo=UTC)
WEEK = {"from": "2026-11-02", "to": "2026-11-08"}


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return MONDAY + dt.timedelta(days=day, hours=hour, minutes=minute, seconds=second)


def service_manager():
    user = UserFactory(role="staff")
    user.groups.add(Group.objects.get(name=SERVICE_MANAGERS_GROUP))
    return user


def request_made(
    *, created, wait=None, abandoned=False, topic="anxiety", age=AgeGroup.ADULT, transfer_from=None, listener=None
):
    """A seeker's request made at ``created``: matched after ``wait`` seconds, cancelled, or still waiting."""
    seeker = SeekerFactory(age_group=age)
    topic_row = Topic.objects.get(slug=topic)
    conversation = Conversation.objects.create(seeker=seeker, topic=topic_row)
    request = ChatRequest.objects.create(
        seeker=seeker,
        conversation=conversation,
        topic=topic_row,
        age_group=age,
        queued_at=created,
        transfer_from=transfer_from,
    )
    fields = {"created_at": created}
    if wait is not None:
        matched = created + dt.timedelta(seconds=wait)
        fields.update(status=RequestStatus.MATCHED, matched_at=matched, closed_at=matched)
        Conversation.objects.filter(pk=conversation.pk).update(
            created_at=created,
            status=ConversationStatus.ENDED,
            listener=listener,
            started_at=matched,
            ended_at=matched + dt.timedelta(minutes=20),
        )
    elif abandoned:
        fields.update(status=RequestStatus.CANCELLED, closed_at=created + dt.timedelta(minutes=3))
        Conversation.objects.filter(pk=conversation.pk).update(
            created_at=created,
            status=ConversationStatus.ENDED,
            ended_at=created + dt.timedelta(minutes=3),
            end_reason="cancelled",
        )
    ChatRequest.objects.filter(pk=request.pk).update(**fields)
    return request


def build_week() -> dict:
    """The known week; returns a few rows tests refer to."""
    listener = ListenerFactory()
    # Mon 10:00, anxiety: six matched (10 … 50 s and 600 s), five who gave up.
    for index, wait in enumerate((10, 20, 30, 40, 50, 600)):
        request_made(created=at(0, 10, index), wait=wait, listener=listener)
    for index in range(5):
        request_made(created=at(0, 10, 30 + index), abandoned=True)
    # Mon 10:00, sleep: one matched after 5 s (only without a topic filter).
    request_made(created=at(0, 10, 50), wait=5, topic="sleep", listener=listener)
    # A listener's hand-over in the same hour is not demand.
    request_made(created=at(0, 10, 55), wait=1, transfer_from=listener, listener=listener)
    # Tue 09:00: three matched: too few to show.
    for index in range(3):
        request_made(created=at(1, 9, index), wait=100 + index, listener=listener)

    # Five listeners on an anxiety shift Mon 10:00–11:30, one on a sleep shift Mon 10:00–11:00.
    for topic, end in [("anxiety", at(0, 11, 30))] * 5 + [("sleep", at(0, 11))]:
        shift = Shift.objects.create(
            listener=ListenerFactory(),
            capacity=2,
            started_at=at(0, 10),
            idle_since=at(0, 10),
            ended_at=end,
            end_reason="ended_by_listener",
        )
        shift.topics.set(Topic.objects.filter(slug=topic))

    # Wed 12:00: six elevated alerts acknowledged after 30 … 180 s, five resolved after 1 … 5 h;
    # two imminent (too few to show); one distress flag (not an alert).
    staff = StaffFactory()
    case = ChatRequest.objects.filter(topic__slug="anxiety", matched_at__isnull=False).first().conversation
    for index in range(6):
        flag = SafetyFlag.objects.create(conversation=case, source="classifier", level=2)
        created = at(2, 12, index)
        fields = {
            "created_at": created,
            "acknowledged_at": created + dt.timedelta(seconds=30 * (index + 1)),
            "acknowledged_by": staff,
        }
        if index < 5:
            fields.update(status="resolved", resolved_at=created + dt.timedelta(hours=index + 1), resolved_by=staff)
        SafetyFlag.objects.filter(pk=flag.pk).update(**fields)
    for index in range(2):
        flag = SafetyFlag.objects.create(conversation=case, source="classifier", level=3)
        SafetyFlag.objects.filter(pk=flag.pk).update(created_at=at(2, 13, index), acknowledged_at=at(2, 13, index, 20))
    flag = SafetyFlag.objects.create(conversation=case, source="classifier", level=1)
    SafetyFlag.objects.filter(pk=flag.pk).update(created_at=at(2, 14))

    # The week: five reports and two sanctions (too few to show).
    for index in range(5):
        Report.objects.create(
            reporter=case.seeker,
            conversation=case,
            target_key=f"user:{index}",
            reason="harassment",
            created_at=at(3, 9, index),
        )
    for index in range(2):
        Sanction.objects.create(
            subject=listener,
            kind="warning",
            note="-",
            created_by=staff,
            created_at=at(3, 10, index),
            expires_at=at(30, 0),
            flag=flag,
        )
    return {"listener": listener, "staff": staff}


def build_line(*, now) -> None:
    """Waiting now: five adults on anxiety (the first for ten minutes), one teen."""
    for index in range(5):
        request = request_made(created=now)
        ChatRequest.objects.filter(pk=request.pk).update(created_at=now - dt.timedelta(seconds=600 - index * 60))
    request_made(created=now, age=AgeGroup.TEEN)
    # Away from the line: not counted.
    away = request_made(created=now)
    ChatRequest.objects.filter(pk=away.pk).update(away_since=timezone.now())
