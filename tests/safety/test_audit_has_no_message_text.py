"""Audit records outlive conversations (two years by default), so they must never carry what people wrote."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.services.messages import message_send
from rooms.models import RoomMessage, RoomMessageStatus
from safety.models import AuditRecord, FlagSource, SafetyFlag
from safety.retention import account_delete_for_seeker
from safety.sanctions import emergency_call_record, sanction_ban_seeker, sanction_lift, sanction_warn
from safety.selectors import conversation_get_for_staff, room_context_get_for_staff
from safety.services import (
    alert_acknowledge,
    flag_claim,
    flag_resolve,
    staff_conversation_end,
    staff_conversation_handoff,
    staff_conversation_join,
)
from tests.rooms.helpers import make_member, make_room
from tests.safety.helpers import CRISIS, flagged_pair, staff_member

pytestmark = pytest.mark.django_db

SECRET = "my sister lives on Birch Lane 12"


def _dump(record: AuditRecord) -> str:
    return f"{record.action} {record.target_type} {record.note} {json.dumps(record.data)}".lower()


def test_no_audit_record_written_across_a_whole_review_contains_message_text():
    staff = staff_member()
    seeker, listener, conversation, flag = flagged_pair(text=f"{CRISIS}. {SECRET}")
    message_send(sender=seeker, conversation_id=conversation.pk, client_id="s2", text=SECRET)
    message_send(sender=listener, conversation_id=conversation.pk, client_id="l1", text=f"I hear you. {SECRET}")

    alert_acknowledge(staff=staff, flag_id=flag.pk)
    flag_claim(staff=staff, flag_id=flag.pk)
    conversation_get_for_staff(staff=staff, conversation_id=conversation.pk, purpose="transcript", flag_id=flag.pk)
    staff_conversation_join(staff=staff, conversation_id=conversation.pk)
    staff_conversation_handoff(staff=staff, conversation_id=conversation.pk)
    emergency_call_record(
        staff=staff, flag_id=flag.pk, contacted="local crisis team", reference="ref-1", note="called them"
    )
    sanction_warn(staff=staff, flag_id=flag.pk, target="listener", note="be careful with advice")
    staff_conversation_end(staff=staff, conversation_id=conversation.pk, note="help arranged")
    flag_resolve(staff=staff, flag_id=flag.pk, note="followed up")

    room = make_room()
    member = make_member(room)
    room_flag = SafetyFlag.objects.create(source=FlagSource.CLASSIFIER, level=2, excerpt=SECRET[:40])
    RoomMessage.objects.create(
        room=room,
        seq=1,
        sender=member,
        text=SECRET,
        status=RoomMessageStatus.HELD,
        flag=room_flag,
        created_at=conversation.created_at,
    )
    room_context_get_for_staff(staff=staff, flag=room_flag)
    account_delete_for_seeker(seeker=seeker)

    records = list(AuditRecord.objects.all())
    assert len(records) >= 10
    assert {"conversation.transcript", "flag.resolve", "emergency_call.record", "room.transcript"} <= {
        r.action for r in records
    }
    for record in records:
        dump = _dump(record)
        for fragment in ("birch lane", "kill myself", "i hear you"):
            assert fragment not in dump, (record.action, dump)


def test_lifting_a_ban_writes_only_staff_words():
    staff = staff_member()
    seeker, _, _, flag = flagged_pair(text=f"{CRISIS}. {SECRET}")
    ban = sanction_ban_seeker(
        staff=staff, flag_id=flag.pk, note="repeated abuse", until=timezone.now() + timedelta(days=1)
    )
    sanction_lift(staff=staff, sanction_id=ban.pk, note="appeal accepted")

    for record in AuditRecord.objects.all():
        assert "birch lane" not in _dump(record)
