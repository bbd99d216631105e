"""Every staff read of people's words leaves an audit record naming the reader."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from chat.services.messages import message_send
from safety.models import AuditRecord
from tests.safety.helpers import CRISIS, flagged_pair, matched_pair, staff_member

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_reading_the_review_queue_is_audited_with_the_items_seen_and_the_readers_name():
    _, _, _, flag = flagged_pair()
    staff = staff_member(alias="DeskOne")
    response = client_for(staff).get("/api/v1/staff/queue")
    assert response.status_code == 200
    record = AuditRecord.objects.get(action="queue.read")
    assert record.actor_id == staff.pk and record.actor_alias == "DeskOne"
    assert record.data["flags"] == [flag.pk]


def test_opening_one_item_is_audited():
    _, _, _, flag = flagged_pair()
    staff = staff_member()
    assert client_for(staff).get(f"/api/v1/staff/flags/{flag.pk}").status_code == 200
    assert AuditRecord.objects.filter(action="flag.read", flag_id=flag.pk, actor=staff).exists()


def test_the_queue_filters_by_category_and_refuses_an_unknown_one():
    seeker, listener, conversation = matched_pair()
    message_send(
        sender=listener, conversation_id=conversation.pk, client_id="g", text="add me on snap, dont tell anyone"
    )
    _, _, _, crisis = flagged_pair(text=CRISIS)
    client = client_for(staff_member())
    misconduct = client.get("/api/v1/staff/queue?category=listener_misconduct").json()["items"]
    assert [item["conversation"] for item in misconduct] == [conversation.pk]
    assert misconduct[0]["subject_role"] == "listener"
    risk = client.get("/api/v1/staff/queue?category=self_harm").json()["items"]
    assert [item["id"] for item in risk] == [crisis.pk]
    bad = client.get("/api/v1/staff/queue?category=nonsense")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_field"


def test_the_transcript_shows_staff_the_messages_screening_held_back():
    seeker, listener, conversation = matched_pair()
    result = message_send(sender=listener, conversation_id=conversation.pk, client_id="g", text="send me a pic of you")
    body = client_for(staff_member()).get(f"/api/v1/staff/flags/{result.held.flag_id}/transcript").json()
    assert [(h["sender_role"], h["text"]) for h in body["held"]] == [("listener", "send me a pic of you")]
    assert all(m["text"] != "send me a pic of you" for m in body["messages"])


def test_the_audit_trail_is_in_words():
    _, _, _, flag = flagged_pair()
    staff = staff_member()
    client = client_for(staff)
    client.post(f"/api/v1/staff/flags/{flag.pk}/claim")
    records = client.get(f"/api/v1/staff/flags/{flag.pk}/audit").json()["records"]
    assert {"claimed the item"} <= {record["action_label"] for record in records}


def test_a_reviewer_sees_the_persons_earlier_cases_reports_and_sanctions_and_the_read_is_audited():
    from safety.models import Report, SafetyFlag
    from safety.sanctions import sanction_warn
    from safety.services import flag_resolve

    staff = staff_member(alias="DeskTwo")
    seeker, listener, conversation, earlier = flagged_pair()
    client_for(staff).post(f"/api/v1/staff/flags/{earlier.pk}/claim")
    warning = sanction_warn(staff=staff, flag_id=earlier.pk, target="seeker", note="Talked it through")
    flag_resolve(staff=staff, flag_id=earlier.pk, note="Seeker safe, called a helpline")
    Report.objects.create(
        reporter=listener,
        subject=seeker,
        conversation=conversation,
        target_key=f"user:{seeker.pk}",
        reason="harassment",
        text="rude",
        created_at=earlier.created_at,
    )
    _, _, _, current = flagged_pair(text="i want to end it all tonight")
    SafetyFlag.objects.filter(pk=current.pk).update(subject=seeker)
    other_seeker_case = flagged_pair()[3]

    body = client_for(staff).get(f"/api/v1/staff/flags/{current.pk}/history").json()
    assert body["subject"] == {"alias": seeker.alias, "role": "seeker"}
    assert [case["id"] for case in body["cases"]] == [earlier.pk]
    assert body["cases"][0]["status"] == "resolved"
    assert body["cases"][0]["resolution"]["note"] == "Seeker safe, called a helpline"
    assert other_seeker_case.pk not in [case["id"] for case in body["cases"]]
    assert [(report["reason_label"], report["text"]) for report in body["reports"]] == [("Harassment", "rude")]
    assert [(s["id"], s["kind_label"], s["created_by"]) for s in body["sanctions"]] == [
        (warning.pk, "Warning", "DeskTwo")
    ]

    record = AuditRecord.objects.get(action="person.history")
    assert record.actor_id == staff.pk and record.flag_id == current.pk and record.target_id == seeker.pk
    assert record.data["cases"] == [earlier.pk]
    records = client_for(staff).get(f"/api/v1/staff/flags/{current.pk}/audit").json()["records"]
    labels = {record["action"]: record["action_label"] for record in records}
    assert labels["person.history"] == "read the person's earlier cases, reports and sanctions"


def test_the_history_is_for_safety_staff_only():
    seeker, _, _, flag = flagged_pair()
    assert client_for(seeker).get(f"/api/v1/staff/flags/{flag.pk}/history").status_code in (403, 404)
    assert client_for(staff_member()).get("/api/v1/staff/flags/999999/history").status_code == 404
    assert not AuditRecord.objects.filter(action="person.history").exists()
