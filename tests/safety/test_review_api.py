"""The staff review queue: ordering, claims, transcripts (audited), actions and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from chat.models import Conversation
from listeners.models import ListenerProfile, Shift
from safety.admin import AuditActionFilter
from safety.audit import audit_record
from safety.models import AuditRecord, DeviceBan, EmergencyCall, SafetyFlag, Sanction
from safety.sanctions import sanctions_expire
from safety.services import flag_claim
from support.errors import DomainError
from tests.factories import SeekerFactory
from tests.safety.helpers import IMMINENT, flagged_pair, matched_pair, staff_member
from tests.safety.test_reports_blocks import client_for

pytestmark = pytest.mark.django_db


def test_queue_lists_most_severe_first_then_oldest_with_time_waiting():
    staff = staff_member()
    _, _, _, older_elevated = flagged_pair()
    _, _, _, imminent = flagged_pair(text=IMMINENT)
    _, _, _, newer_elevated = flagged_pair()
    SafetyFlag.objects.filter(pk=older_elevated.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    items = client_for(staff).get("/api/v1/staff/queue").json()["items"]
    assert [item["id"] for item in items] == [imminent.pk, older_elevated.pk, newer_elevated.pk]
    assert items[1]["waiting_seconds"] >= 600


def test_people_without_the_safety_permission_cannot_use_the_staff_api():
    _, listener, _, flag = flagged_pair()
    for path in ("/api/v1/staff/queue", f"/api/v1/staff/flags/{flag.pk}/transcript"):
        response = client_for(listener).get(path)
        assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert APIClient().get("/api/v1/staff/queue").status_code == 403


def test_two_reviewers_cannot_claim_the_same_item_and_the_claim_shows_who():
    first, second = staff_member(), staff_member()
    _, _, _, flag = flagged_pair()
    assert client_for(first).post(f"/api/v1/staff/flags/{flag.pk}/claim").json()["claimed_by"] == first.alias
    response = client_for(second).post(f"/api/v1/staff/flags/{flag.pk}/claim")
    assert response.status_code == 409
    assert response.json() == {
        "error": "already_claimed",
        "message": "Another reviewer has already claimed this item.",
        "claimed_by": first.alias,
    }
    with pytest.raises(DomainError):
        flag_claim(staff=second, flag_id=flag.pk)


def test_transcript_marks_the_flagged_message_and_every_read_is_audited():
    staff = staff_member()
    seeker, listener, conversation, flag = flagged_pair()
    client = client_for(staff)
    for _ in range(2):
        body = client.get(f"/api/v1/staff/flags/{flag.pk}/transcript").json()
    flagged = [m for m in body["messages"] if m["flagged"]]
    assert [m["seq"] for m in flagged] == [flag.message.seq]
    reads = AuditRecord.objects.filter(
        actor=staff, action="conversation.transcript", target_id=conversation.pk, flag_id=flag.pk
    )
    assert reads.count() == 2


def test_a_reviewer_cannot_open_a_conversation_nobody_flagged_or_reported():
    staff = staff_member()
    _, _, conversation = matched_pair()
    response = client_for(staff).get(f"/api/v1/staff/conversations/{conversation.pk}/transcript")
    missing = client_for(staff).get("/api/v1/staff/conversations/987654/transcript")
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    assert not AuditRecord.objects.filter(target_id=conversation.pk, target_type="conversation").exists()


def test_a_reported_conversation_can_be_opened_and_the_read_is_audited():
    staff = staff_member()
    seeker, listener, conversation = matched_pair()
    client_for(seeker).post("/api/v1/reports", {"conversation": conversation.pk, "reason": "harassment"}, format="json")
    response = client_for(staff).get(f"/api/v1/staff/conversations/{conversation.pk}/transcript")
    assert response.status_code == 200
    assert (
        AuditRecord.objects.filter(actor=staff, action="conversation.transcript", target_id=conversation.pk).count()
        == 1
    )


def test_resolving_needs_a_note_and_is_recorded_in_the_items_audit_trail():
    staff = staff_member()
    _, _, _, flag = flagged_pair()
    client = client_for(staff)
    assert client.post(f"/api/v1/staff/flags/{flag.pk}/resolve", {"note": ""}, format="json").status_code == 400
    assert client.post(f"/api/v1/staff/flags/{flag.pk}/resolve", {}, format="json").json()["fields"]["note"]
    done = client.post(
        f"/api/v1/staff/flags/{flag.pk}/resolve", {"note": "talked it through; safe with family"}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    again = client.post(f"/api/v1/staff/flags/{flag.pk}/resolve", {"note": "again"}, format="json")
    assert again.status_code == 409 and again.json()["error"] == "already_resolved"
    trail = client.get(f"/api/v1/staff/flags/{flag.pk}/audit").json()["records"]
    assert [record["action"] for record in trail] == ["flag.claim", "flag.resolve"]
    assert trail[1]["note"] == "talked it through; safe with family" and trail[1]["actor"] == staff.alias


def test_warning_and_mute_reach_the_user_and_mute_has_an_end():
    staff = staff_member()
    seeker, listener, conversation, flag = flagged_pair()
    client = client_for(staff)
    warned = client.post(
        f"/api/v1/staff/flags/{flag.pk}/warn", {"target": "listener", "note": "shared personal story"}, format="json"
    )
    assert warned.status_code == 201 and warned.json()["expires_at"]
    muted = client.post(
        f"/api/v1/staff/flags/{flag.pk}/mute", {"target": "seeker", "minutes": 15, "note": "abusive"}, format="json"
    )
    assert muted.status_code == 201
    sanction = Sanction.objects.get(pk=muted.json()["id"])
    assert sanction.subject == seeker and sanction.kind == "mute"
    assert timedelta(minutes=14) < sanction.expires_at - timezone.now() <= timedelta(minutes=15)
    bad = client.post(
        f"/api/v1/staff/flags/{flag.pk}/mute", {"target": "seeker", "minutes": 0, "note": "x"}, format="json"
    )
    assert bad.status_code == 400
    flag.refresh_from_db()
    assert flag.action_taken is True


def test_suspending_a_listener_ends_their_shift_and_requeues_their_seeker():
    staff = staff_member()
    seeker, listener, conversation, flag = flagged_pair()
    response = client_for(staff).post(
        f"/api/v1/staff/flags/{flag.pk}/suspend",
        {"note": "misconduct", "review_at": (timezone.now() + timedelta(days=7)).isoformat()},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert ListenerProfile.objects.get(user=listener).status == "suspended"
    assert not Shift.objects.filter(listener=listener, ended_at__isnull=True).exists()
    conversation.refresh_from_db()
    assert conversation.status == "waiting" and conversation.listener_id is None


def test_a_listener_who_was_handed_off_before_writing_can_still_be_suspended():
    from safety.services import staff_conversation_handoff

    staff = staff_member()
    seeker, listener, conversation, flag = flagged_pair()  # the seeker wrote; the listener never did
    staff_conversation_handoff(staff=staff, conversation_id=conversation.pk)
    conversation.refresh_from_db()
    assert conversation.listener_id is None
    response = client_for(staff).post(
        f"/api/v1/staff/flags/{flag.pk}/suspend",
        {"note": "left a seeker in crisis", "until": (timezone.now() + timedelta(days=3)).isoformat()},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert ListenerProfile.objects.get(user=listener).status == "suspended"
    assert Sanction.objects.get(kind="suspension").subject_id == listener.pk


def test_suspension_and_ban_need_an_end_or_a_review_date_and_the_right_target():
    staff = staff_member()
    _, _, _, flag = flagged_pair()
    client = client_for(staff)
    response = client.post(f"/api/v1/staff/flags/{flag.pk}/suspend", {"note": "x"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "until"


def test_a_banned_seeker_cannot_start_a_new_anonymous_session_from_the_same_browser(csrf_client):
    staff = staff_member()
    csrf_client.get("/api/v1/session/csrf")
    token = csrf_client.cookies["csrftoken"].value
    started = csrf_client.post("/api/v1/session/anonymous", {"age": 30}, format="json", HTTP_X_CSRFTOKEN=token)
    assert started.status_code == 201 and "hearth_device" in started.cookies
    seeker = SeekerFactory._meta.model.objects.get(pk=started.json()["id"])
    _, _, conversation, flag = flagged_pair()
    Conversation.objects.filter(pk=conversation.pk).update(seeker=seeker)
    banned = client_for(staff).post(
        f"/api/v1/staff/flags/{flag.pk}/ban",
        {"note": "threats", "until": (timezone.now() + timedelta(days=30)).isoformat()},
        format="json",
    )
    assert banned.status_code == 201, banned.json()
    seeker.refresh_from_db()
    assert seeker.is_active is False
    assert DeviceBan.objects.count() == 1
    conversation.refresh_from_db()
    assert conversation.status == "ended"

    csrf_client.cookies.pop("sessionid", None)
    csrf_client.get("/api/v1/session/csrf")  # login rotated the token
    token = csrf_client.cookies["csrftoken"].value
    again = csrf_client.post("/api/v1/session/anonymous", {"age": 30}, format="json", HTTP_X_CSRFTOKEN=token)
    assert again.status_code == 403
    assert again.json()["error"] == "banned" and again.json()["helplines"]

    other_browser = APIClient()
    assert other_browser.post("/api/v1/session/anonymous", {"age": 30}, format="json").status_code == 201


def test_an_expired_ban_is_lifted_by_the_scheduled_job():
    staff = staff_member()
    seeker, _, _, flag = flagged_pair()
    until = timezone.now() + timedelta(days=1)
    client_for(staff).post(
        f"/api/v1/staff/flags/{flag.pk}/ban", {"note": "x", "until": until.isoformat()}, format="json"
    )
    assert sanctions_expire(now=until - timedelta(minutes=1)) == 0
    assert sanctions_expire(now=until + timedelta(minutes=1)) == 1
    seeker.refresh_from_db()
    assert seeker.is_active is True
    assert AuditRecord.objects.filter(action="sanction.lift_ban", actor__isnull=True).exists()


# "escalations" is the path's earlier name, kept as a deprecated alias that answers the same way.
@pytest.mark.parametrize("path", ["emergency-calls", "escalations"])
def test_an_emergency_call_is_recorded_with_who_was_called(path):
    staff = staff_member()
    _, _, _, flag = flagged_pair(text=IMMINENT)
    response = client_for(staff).post(
        f"/api/v1/staff/flags/{flag.pk}/{path}",
        {
            "contacted": "Emergency services, Springfield",
            "reference": "CAD-2231",
            "note": "shared location; police dispatched",
        },
        format="json",
    )
    assert response.status_code == 201
    call = EmergencyCall.objects.get(flag=flag)
    assert response.json() == {
        "id": call.pk,
        "flag": flag.pk,
        "contacted": "Emergency services, Springfield",
        "reference": "CAD-2231",
        "note": "shared location; police dispatched",
        "created_at": call.created_at.isoformat().replace("+00:00", "Z"),
    }
    flag.refresh_from_db()
    assert flag.action_taken is True
    record = AuditRecord.objects.get(action="emergency_call.record", flag_id=flag.pk)
    assert record.data == {"contacted": "Emergency services, Springfield", "reference": "CAD-2231"}
    assert (
        client_for(staff).post(f"/api/v1/staff/flags/{flag.pk}/{path}", {"note": "x"}, format="json").status_code == 400
    )


def test_the_schema_names_emergency_calls_and_marks_the_old_escalations_path_deprecated():
    paths = client_for(staff_member()).get("/api/schema/?format=json").json()["paths"]
    current = paths["/api/v1/staff/flags/{flag_id}/emergency-calls"]["post"]
    old = paths["/api/v1/staff/flags/{flag_id}/escalations"]["post"]
    assert not current.get("deprecated") and old["deprecated"] is True
    assert current["requestBody"] == old["requestBody"]


def _record_call(staff, flag, action):
    return audit_record(actor=staff, action=action, target_type="flag", target_id=flag.pk, flag_id=flag.pk)


def test_a_call_recorded_under_the_old_action_name_reads_as_an_emergency_call():
    staff = staff_member()
    _, _, _, flag = flagged_pair()
    _record_call(staff, flag, "escalation.record")  # written by a process still on the previous release
    _record_call(staff, flag, "emergency_call.record")
    trail = client_for(staff).get(f"/api/v1/staff/flags/{flag.pk}/audit").json()["records"]
    assert [record["action"] for record in trail] == ["emergency_call.record"] * 2
    assert [record["action_label"] for record in trail] == ["recorded a call to emergency services or another body"] * 2


def test_the_audit_admin_filters_old_and_new_names_of_an_action_as_one():
    staff = staff_member(is_superuser=True, is_staff=True)
    _, _, _, flag = flagged_pair()
    old = _record_call(staff, flag, "escalation.record")
    new = _record_call(staff, flag, "emergency_call.record")
    read = _record_call(staff, flag, "flag.read")
    admin = site._registry[AuditRecord]
    request = RequestFactory().get("/admin/")
    request.user = staff

    def chosen(value):
        action_filter = AuditActionFilter(request, {"action": [value]} if value else {}, AuditRecord, admin)
        return action_filter, set(action_filter.queryset(request, AuditRecord.objects.all()))

    action_filter, everything = chosen(None)
    assert [value for value, _ in action_filter.lookup_choices] == ["emergency_call.record", "flag.read"]
    assert everything >= {old, new, read}
    assert chosen("emergency_call.record")[1] == {old, new}
    assert chosen("flag.read")[1] == {read}


def test_audit_records_cannot_be_changed_or_deleted():
    staff = staff_member()
    _, _, _, flag = flagged_pair()
    client_for(staff).get(f"/api/v1/staff/flags/{flag.pk}/transcript")
    record = AuditRecord.objects.get(flag_id=flag.pk)
    record.note = "edited"
    with pytest.raises(PermissionError):
        record.save()
    with pytest.raises(PermissionError):
        record.delete()
    with pytest.raises(PermissionError):
        AuditRecord.objects.filter(pk=record.pk).update(note="edited")
    with pytest.raises(PermissionError):
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.get(pk=record.pk).note == ""


def test_audit_admin_is_read_only_with_no_delete():
    admin = site._registry[AuditRecord]
    request = RequestFactory().get("/admin/")
    request.user = staff_member(is_superuser=True, is_staff=True)
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request)
    assert not admin.has_delete_permission(request)
    assert admin.get_actions(request) == {}
