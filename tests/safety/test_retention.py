"""Retention: old ended chats go; anything under review stays until resolved plus the same period."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from chat.models import Conversation, Message
from safety.models import AuditRecord
from safety.retention import retention_run
from safety.services import flag_resolve
from tests.safety.helpers import flagged_pair, matched_pair, staff_member

pytestmark = pytest.mark.django_db


def _end(conversation, *, days_ago: int) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(
        status="ended", ended_at=timezone.now() - timedelta(days=days_ago)
    )


def test_old_ended_conversations_are_deleted_with_their_messages(settings):
    settings.SAFETY_RETENTION_DAYS = 30
    _, _, old = matched_pair()
    _, _, recent = matched_pair()
    _end(old, days_ago=31)
    _end(recent, days_ago=5)
    out = StringIO()
    call_command("safety_retention", stdout=out)
    assert "conversations: 1" in out.getvalue()
    assert not Conversation.objects.filter(pk=old.pk).exists()
    assert not Message.objects.filter(conversation_id=old.pk).exists()
    assert Conversation.objects.filter(pk=recent.pk).exists()


def test_open_conversations_are_never_deleted(settings):
    _, _, active = matched_pair()
    Conversation.objects.filter(pk=active.pk).update(created_at=timezone.now() - timedelta(days=400))
    assert "conversations" not in retention_run()
    assert Conversation.objects.filter(pk=active.pk).exists()


def test_a_flagged_conversation_is_kept_until_resolved_plus_the_retention_period(settings):
    settings.SAFETY_RETENTION_DAYS = 30
    staff = staff_member()
    _, _, conversation, flag = flagged_pair()
    _end(conversation, days_ago=90)
    assert "conversations" not in retention_run()  # under open review

    resolved_at = timezone.now() - timedelta(days=10)
    flag_resolve(staff=staff, flag_id=flag.pk, note="followed up", now=resolved_at)
    assert "conversations" not in retention_run()  # resolved only 10 days ago
    assert retention_run(now=resolved_at + timedelta(days=31))["conversations"] == 1
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    assert AuditRecord.objects.filter(flag_id=flag.pk, action="flag.resolve").exists()  # the trail outlives the chat
