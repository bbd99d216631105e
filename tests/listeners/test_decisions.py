import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from chat.models import (
    ChatRequest,
    Conversation,
    ConversationStatus,
    Offer,
    OfferStatus,
    RequestPriority,
    RequestStatus,
)
from listeners.models import DecisionAction, ListenerDecision, ListenerProfile, ListenerStatus, ShiftEndReason
from listeners.services import listener_decide
from support.errors import DomainError
from tests.factories import ListenerFactory, SeekerFactory, StaffFactory, open_shift, topic
from tests.listeners.conftest import client_for, correct_answers, pass_all_core
from tests.ws import connected, receive_until


def decide(client, listener_id, action, note=""):
    return client.post(f"/api/v1/staff/listeners/{listener_id}/{action}", {"note": note}, format="json")


@pytest.mark.django_db
def test_manager_approves_a_pending_listener_and_the_decision_is_recorded(manager, pending_listener):
    response = decide(client_for(manager), pending_listener.pk, "approve", "Interview went well")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert ListenerProfile.objects.get(user=pending_listener).status == ListenerStatus.ACTIVE
    decision = ListenerDecision.objects.get(listener=pending_listener)
    assert decision.action == DecisionAction.APPROVE
    assert decision.decided_by == manager
    assert decision.status_before == "pending" and decision.status_after == "active"
    assert decision.note == "Interview went well"
    assert decision.created_at is not None


@pytest.mark.django_db
def test_each_decision_is_also_in_the_safety_audit_trail(manager, listener):
    from safety.models import AuditRecord

    decide(client_for(manager), listener.pk, "suspend", "Serious report")
    record = AuditRecord.objects.get(action="listener.suspend")
    assert record.actor == manager
    assert (record.target_type, record.target_id) == ("user", listener.pk)
    assert record.note == "Serious report"
    assert record.data == {"status_before": "active", "status_after": "suspended"}


@pytest.mark.django_db
def test_approval_alone_does_not_let_an_untrained_listener_take_chats(manager, pending_listener):
    decide(client_for(manager), pending_listener.pk, "approve")
    response = client_for(pending_listener).post(
        "/api/v1/listeners/shift", {"topics": ["anxiety"], "capacity": 1}, format="json"
    )
    assert response.json()["error"] == "not_trained"


@pytest.mark.django_db
def test_manager_rejects_an_applicant_who_then_cannot_take_shifts_even_when_trained(manager, pending_listener):
    assert decide(client_for(manager), pending_listener.pk, "reject", "Not a fit").json()["status"] == "rejected"
    pass_all_core(pending_listener)
    assert ListenerProfile.objects.get(user=pending_listener).status == ListenerStatus.REJECTED
    response = client_for(pending_listener).post(
        "/api/v1/listeners/shift", {"topics": ["anxiety"], "capacity": 1}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"] == "not_approved"


@pytest.mark.django_db
def test_a_decision_that_does_not_apply_is_refused_and_not_recorded(manager, listener):
    response = decide(client_for(manager), listener.pk, "reject")
    assert response.status_code == 409
    assert response.json()["error"] == "invalid_transition"
    assert not ListenerDecision.objects.exists()


@pytest.mark.django_db
def test_unknown_listener_or_action_is_not_found(manager, listener):
    client = client_for(manager)
    assert decide(client, 999999, "approve").status_code == 404
    assert decide(client, listener.pk, "promote").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["seeker", "listener", "safety_staff"])
def test_only_listener_managers_make_decisions(who, pending_listener):
    user = {"seeker": SeekerFactory, "listener": ListenerFactory, "safety_staff": StaffFactory}[who]()
    response = decide(client_for(user), pending_listener.pk, "approve")
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert ListenerProfile.objects.get(user=pending_listener).status == ListenerStatus.PENDING


@pytest.mark.django_db
def test_teen_approval_needs_the_teen_module(manager, listener):
    client = client_for(manager)
    response = decide(client, listener.pk, "approve-teens")
    assert response.status_code == 409
    assert response.json()["error"] == "teen_training_incomplete"
    client_for(listener).post(
        "/api/v1/listeners/training/supporting-teens/attempts",
        {"answers": correct_answers("supporting-teens", listener)},
        format="json",
    )
    assert decide(client, listener.pk, "approve-teens").status_code == 200
    assert ListenerProfile.objects.get(user=listener).approved_for_teens is True
    assert ListenerDecision.objects.filter(listener=listener, action=DecisionAction.APPROVE_TEENS).count() == 1


@pytest.mark.django_db
def test_staff_list_filters_by_status(manager, pending_listener, listener):
    body = client_for(manager).get("/api/v1/staff/listeners?status=pending").json()
    assert [item["alias"] for item in body["listeners"]] == [pending_listener.alias]
    assert client_for(manager).get("/api/v1/staff/listeners?status=bogus").status_code == 400


@pytest.mark.django_db
def test_suspend_then_reinstate(manager, listener):
    client = client_for(manager)
    assert decide(client, listener.pk, "suspend", "Reports of rudeness").json()["status"] == "suspended"
    response = client_for(listener).post(
        "/api/v1/listeners/shift", {"topics": ["anxiety"], "capacity": 1}, format="json"
    )
    assert response.json()["error"] == "suspended"
    assert decide(client, listener.pk, "reinstate", "Reviewed").json()["status"] == "active"
    assert list(ListenerDecision.objects.filter(listener=listener).order_by("pk").values_list("action", flat=True)) == [
        "suspend",
        "reinstate",
    ]


@pytest.mark.django_db
def test_suspension_removes_the_listener_from_the_pool_at_once(manager, listener):
    shift = open_shift(listener, topics=("anxiety",), capacity=3)
    now = timezone.now()
    # One active chat and one pending offer.
    seeker_a, seeker_b = SeekerFactory(), SeekerFactory()
    active = Conversation.objects.create(
        seeker=seeker_a, listener=listener, topic=topic(), status=ConversationStatus.ACTIVE, started_at=now
    )
    waiting = Conversation.objects.create(seeker=seeker_b, topic=topic())
    request = ChatRequest.objects.create(
        seeker=seeker_b,
        conversation=waiting,
        topic=topic(),
        age_group="adult",
        queued_at=now,
        status=RequestStatus.OFFERED,
    )
    offer = Offer.objects.create(request=request, listener=listener, expires_at=now + timezone.timedelta(seconds=30))

    listener_decide(
        staff=manager, listener_id=listener.pk, action=DecisionAction.SUSPEND, note="Serious report", now=now
    )

    shift.refresh_from_db()
    assert shift.ended_at == now and shift.end_reason == ShiftEndReason.SUSPENDED
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    request.refresh_from_db()
    assert request.status == RequestStatus.WAITING  # seeker b keeps their place
    active.refresh_from_db()
    assert active.status == ConversationStatus.WAITING and active.listener_id is None
    requeued = ChatRequest.objects.get(conversation=active, status=RequestStatus.WAITING)
    assert requeued.priority >= RequestPriority.RETURNING
    assert "no longer available" in active.messages.order_by("-seq").first().text


@pytest.mark.django_db
def test_a_staff_member_cannot_decide_about_themselves(manager):
    ListenerProfile.objects.create(user=manager, status=ListenerStatus.PENDING)
    with pytest.raises(DomainError) as refused:
        listener_decide(staff=manager, listener_id=manager.pk, action=DecisionAction.APPROVE)
    assert refused.value.code == "forbidden"


@pytest.mark.django_db(transaction=True)
async def test_suspension_closes_the_listeners_sockets_and_tells_the_seeker(manager):
    listener = await sync_to_async(ListenerFactory)()
    seeker = await sync_to_async(SeekerFactory)()

    def setup():
        open_shift(listener)
        return Conversation.objects.create(
            seeker=seeker, listener=listener, topic=topic(), status=ConversationStatus.ACTIVE, started_at=timezone.now()
        )

    conversation = await sync_to_async(setup)()
    async with connected(listener) as listener_socket, connected(seeker) as seeker_socket:
        await sync_to_async(listener_decide)(staff=manager, listener_id=listener.pk, action=DecisionAction.SUSPEND)
        closed = await receive_until(listener_socket, "session.closed")
        assert closed["reason"] == "suspended"
        output = await listener_socket.receive_output(timeout=5)
        while output["type"] != "websocket.close":
            output = await listener_socket.receive_output(timeout=5)
        assert output["code"] == 4410
        requeued = await receive_until(seeker_socket, "conversation.requeued")
        assert requeued["conversation"] == conversation.pk
        assert "no longer available" in requeued["reason_text"]
