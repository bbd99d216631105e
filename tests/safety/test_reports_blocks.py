"""Reports, blocks, device bans and a seeker deleting their history (REST)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from chat.dispatch import requests_dispatch
from chat.models import Conversation, Offer, OfferStatus
from chat.services.messages import message_send
from chat.services.requests import request_create
from safety.models import Block, FlagSource, Report, SafetyFlag
from safety.sanctions import sanction_warn
from safety.services import flag_resolve
from tests.factories import SeekerFactory
from tests.safety.helpers import listener_on_shift, matched_pair, staff_member

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_seeker_reports_a_listener_message_and_it_enters_the_review_queue():
    seeker, listener, conversation = matched_pair()
    sent = message_send(
        sender=listener, conversation_id=conversation.pk, client_id="l1", text="honestly you just need to get over it"
    )
    response = client_for(seeker).post(
        "/api/v1/reports",
        {"conversation": conversation.pk, "seq": sent.message.seq, "reason": "other", "text": "dismissive"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["outcome_text"] == "Under review"
    report = Report.objects.get(pk=response.json()["id"])
    assert report.subject == listener and report.flag.source == FlagSource.REPORT
    assert report.flag.conversation == conversation


def test_reporting_a_message_you_cannot_see_looks_exactly_like_one_that_does_not_exist():
    _, _, conversation = matched_pair()
    outsider = SeekerFactory()
    hidden = client_for(outsider).post(
        "/api/v1/reports", {"conversation": conversation.pk, "seq": 1, "reason": "spam"}, format="json"
    )
    missing = client_for(outsider).post(
        "/api/v1/reports", {"conversation": 987654, "seq": 1, "reason": "spam"}, format="json"
    )
    seeker = conversation.seeker
    no_seq = client_for(seeker).post(
        "/api/v1/reports", {"conversation": conversation.pk, "seq": 999, "reason": "spam"}, format="json"
    )
    assert hidden.status_code == missing.status_code == no_seq.status_code == 404
    assert hidden.json() == missing.json() == no_seq.json() == {"error": "not_found", "message": "Not found."}


def test_repeating_a_report_returns_the_same_report_without_a_second_row():
    seeker, listener, conversation = matched_pair()
    client = client_for(seeker)
    first = client.post("/api/v1/reports", {"conversation": conversation.pk, "reason": "harassment"}, format="json")
    second = client.post("/api/v1/reports", {"conversation": conversation.pk, "reason": "harassment"}, format="json")
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert Report.objects.filter(reporter=seeker).count() == 1


def test_new_reports_are_rate_limited_per_reporter(settings):
    settings.SAFETY_REPORTS_PER_HOUR = 2
    seeker, listener, conversation = matched_pair()
    for seq_text in ("one", "two", "three"):
        message_send(sender=listener, conversation_id=conversation.pk, client_id=seq_text, text=f"message {seq_text}")
    seqs = list(conversation.messages.filter(sender=listener).values_list("seq", flat=True))
    client = client_for(seeker)
    codes = [
        client.post("/api/v1/reports", {"conversation": conversation.pk, "seq": seq, "reason": "spam"}, format="json")
        for seq in seqs
    ]
    assert [r.status_code for r in codes] == [201, 201, 429]
    assert codes[2].json()["error"] == "rate_limited" and codes[2]["Retry-After"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"conversation": 1, "reason": "because"}, "reason"),
        ({"conversation": 1, "reason": "other", "text": "x" * 1001}, "text"),
        ({"conversation": "1", "reason": "other"}, "conversation"),
        ({"conversation": True, "reason": "other"}, "conversation"),
        ({"reason": "other"}, "conversation"),
    ],
)
def test_invalid_report_input_gets_a_clear_error(body, field):
    response = client_for(SeekerFactory()).post("/api/v1/reports", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid" and field in response.json()["fields"]


def test_reporting_your_own_message_is_refused():
    seeker, listener, conversation = matched_pair()
    sent = message_send(sender=seeker, conversation_id=conversation.pk, client_id="s1", text="hello")
    response = client_for(seeker).post(
        "/api/v1/reports", {"conversation": conversation.pk, "seq": sent.message.seq, "reason": "spam"}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_target"


def test_reporter_sees_the_outcome_in_general_terms():
    seeker, listener, conversation = matched_pair()
    staff = staff_member()
    client = client_for(seeker)
    client.post("/api/v1/reports", {"conversation": conversation.pk, "reason": "harassment"}, format="json")
    flag = SafetyFlag.objects.get(conversation=conversation)
    sanction_warn(staff=staff, flag_id=flag.pk, target="listener", note="rude to seeker")
    flag_resolve(staff=staff, flag_id=flag.pk, note="warned")
    mine = client.get("/api/v1/reports/mine").json()
    assert [item["outcome_text"] for item in mine] == ["Reviewed — action taken"]
    assert "note" not in mine[0] and "warned" not in str(mine)

    other_seeker, other_listener, other_conversation = matched_pair()
    other_client = client_for(other_seeker)
    other_client.post("/api/v1/reports", {"conversation": other_conversation.pk, "reason": "spam"}, format="json")
    flag_resolve(staff=staff, flag_id=SafetyFlag.objects.get(conversation=other_conversation).pk, note="nothing wrong")
    assert other_client.get("/api/v1/reports/mine").json()[0]["outcome_text"] == "Reviewed — no action needed"


def test_reports_on_one_chat_join_its_open_flag_and_raise_its_level():
    seeker, listener, conversation = matched_pair()
    client_for(seeker).post("/api/v1/reports", {"conversation": conversation.pk, "reason": "spam"}, format="json")
    client_for(listener).post(
        "/api/v1/reports", {"conversation": conversation.pk, "reason": "self_harm_risk"}, format="json"
    )
    flags = list(SafetyFlag.objects.filter(conversation=conversation))
    assert len(flags) == 1
    assert flags[0].level == 2 and set(flags[0].categories) == {"spam", "self_harm"}
    assert flags[0].reports.count() == 2


def test_seeker_blocks_their_listener_the_chat_ends_and_they_are_never_matched_again():
    listener = listener_on_shift()
    seeker, _, conversation = matched_pair(listener=listener)
    response = client_for(seeker).post("/api/v1/blocks", {"conversation": conversation.pk}, format="json")
    assert response.status_code == 201
    assert response.json() == {"blocked": True, "chat_ended": True}
    conversation.refresh_from_db()
    assert conversation.status == "ended" and conversation.end_reason == "blocked"
    assert Block.objects.filter(blocker=seeker, blocked=listener).exists()

    request_create(seeker=seeker, topic_slug="anxiety")
    requests_dispatch()
    assert not Offer.objects.filter(listener=listener, status=OfferStatus.PENDING).exists()
    other = listener_on_shift()
    requests_dispatch()
    assert Offer.objects.filter(listener=other, status=OfferStatus.PENDING).exists()


def test_listener_blocks_a_seeker_and_that_seeker_is_never_offered_to_them_again():
    listener = listener_on_shift()
    seeker, _, conversation = matched_pair(listener=listener)
    response = client_for(listener).post("/api/v1/blocks", {"conversation": conversation.pk}, format="json")
    assert response.status_code == 201
    assert "id" not in str(response.json()) and str(seeker.pk) not in response.content.decode()
    request_create(seeker=seeker, topic_slug="anxiety")
    requests_dispatch()
    assert not Offer.objects.filter(listener=listener, status=OfferStatus.PENDING).exists()


def test_blocking_twice_is_harmless_and_outsiders_get_not_found():
    seeker, listener, conversation = matched_pair()
    client = client_for(seeker)
    assert client.post("/api/v1/blocks", {"conversation": conversation.pk}, format="json").status_code == 201
    again = client.post("/api/v1/blocks", {"conversation": conversation.pk}, format="json")
    assert again.status_code == 200 and again.json() == {"blocked": True, "chat_ended": False}
    outsider = client_for(SeekerFactory()).post("/api/v1/blocks", {"conversation": conversation.pk}, format="json")
    assert outsider.status_code == 404 and outsider.json()["error"] == "not_found"


def test_seeker_deletes_history_but_what_is_under_review_is_kept_and_they_are_told():
    listener = listener_on_shift(capacity=5)
    seeker = SeekerFactory()
    _, _, reviewed = matched_pair(seeker=seeker, listener=listener)
    message_send(sender=seeker, conversation_id=reviewed.pk, client_id="c", text="i want to kill myself")
    for conversation in [reviewed]:
        Conversation.objects.filter(pk=conversation.pk).update(status="ended", ended_at=timezone.now())
    _, _, plain = matched_pair(seeker=seeker, listener=listener)
    Conversation.objects.filter(pk=plain.pk).update(status="ended", ended_at=timezone.now())

    response = client_for(seeker).delete("/api/v1/me/history")
    assert response.status_code == 200
    body = response.json()
    assert body["deleted"] == 1 and body["kept_under_review"] == 1
    assert "safety team" in body["message"]
    assert Conversation.objects.filter(pk=reviewed.pk).exists()
    assert not Conversation.objects.filter(pk=plain.pk).exists()


def test_only_seekers_delete_history_here():
    _, listener, _ = matched_pair()
    response = client_for(listener).delete("/api/v1/me/history")
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
