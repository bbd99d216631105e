"""The staff socket and the escalation path, end to end through the real ASGI application."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from chat.models import Conversation, Message
from chat.services.messages import message_send
from safety.models import FlagSource, FlagStatus, SafetyFlag, StaffParticipation
from safety.services import STAFF_JOINED, STAFF_TOOK_OVER
from tests.factories import ListenerFactory, SeekerFactory
from tests.safety.helpers import CRISIS, IMMINENT, flagged_pair, matched_pair, staff_member
from tests.ws import connected, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def receive_message(ws, text: str) -> dict:
    """The ``message.created`` carrying ``text`` (others, such as one's own echoes, are skipped)."""
    for _ in range(10):
        frame = await receive_until(ws, "message.created")
        if frame["message"]["text"] == text:
            return frame
    raise AssertionError(f"no message {text!r}")


STAFF = "/ws/v1/staff/"
db = database_sync_to_async


async def test_staff_socket_refuses_anonymous_visitors_with_4401():
    async with connected(None, path=STAFF, expect_hello=False) as ws:
        output = await ws.receive_output(timeout=5)
        assert output == {"type": "websocket.close", "code": 4401}


@pytest.mark.parametrize("factory", [SeekerFactory, ListenerFactory])
async def test_staff_socket_refuses_seekers_and_listeners_with_4403(factory):
    user = await db(factory)()
    async with connected(user, path=STAFF, expect_hello=False) as ws:
        output = await ws.receive_output(timeout=5)
        assert output == {"type": "websocket.close", "code": 4403}


async def test_alert_raised_while_no_staff_was_connected_arrives_on_connect():
    _, _, conversation, flag = await db(flagged_pair)()
    staff = await db(staff_member)()
    async with connected(staff, path=STAFF) as ws:
        hello = ws.hello
        assert hello["type"] == "hello"
        assert [alert["id"] for alert in hello["alerts"]] == [flag.pk]
        assert hello["alerts"][0]["conversation"] == conversation.pk
        assert hello["alerts"][0]["acknowledged_at"] is None


async def test_crisis_message_from_seeker_reaches_connected_staff_live():
    seeker, listener, conversation = await db(matched_pair)()
    staff = await db(staff_member)()
    async with connected(staff, path=STAFF) as staff_ws, connected(seeker) as seeker_ws:
        await seeker_ws.send_json_to(
            {"type": "message.send", "conversation": conversation.pk, "client_id": "c1", "text": CRISIS}
        )
        alert = await receive_until(staff_ws, "alert.created")
        assert alert["alert"]["conversation"] == conversation.pk
        assert alert["alert"]["level_label"] == "elevated"
        resources = await receive_until(seeker_ws, "safety.resources")
        assert resources["helplines"]


async def test_listener_sees_guidance_when_their_seeker_writes_a_crisis_message():
    seeker, listener, conversation = await db(matched_pair)()
    async with connected(listener) as listener_ws, connected(seeker) as seeker_ws:
        await seeker_ws.send_json_to(
            {"type": "message.send", "conversation": conversation.pk, "client_id": "c1", "text": CRISIS}
        )
        guidance = await receive_until(listener_ws, "safety.guidance")
        assert guidance["conversation"] == conversation.pk
        assert (guidance["level"], guidance["level_label"]) == (2, "elevated")


async def test_listener_is_told_of_possible_immediate_risk_when_their_seeker_states_a_plan():
    seeker, listener, conversation = await db(matched_pair)()
    async with connected(listener) as listener_ws, connected(seeker) as seeker_ws:
        await seeker_ws.send_json_to(
            {"type": "message.send", "conversation": conversation.pk, "client_id": "c1", "text": IMMINENT}
        )
        guidance = await receive_until(listener_ws, "safety.guidance")
        assert (guidance["level"], guidance["level_label"]) == (3, "imminent")
        assert "emergency services" in guidance["guidance"]


async def test_acknowledging_an_alert_is_shared_with_every_staff_console():
    _, _, _, flag = await db(flagged_pair)()
    first, second = await db(staff_member)(), await db(staff_member)()
    async with connected(first, path=STAFF) as ws1, connected(second, path=STAFF) as ws2:
        await ws1.send_json_to({"type": "alert.ack", "alert": flag.pk, "ref": "a"})
        reply = await receive_until(ws1, "alert.acknowledged")
        assert reply["ref"] == "a" and reply["alert"]["acknowledged_by"] == first.alias
        update = await receive_until(ws2, "alert.updated")
        assert update["alert"]["id"] == flag.pk and update["alert"]["acknowledged_at"]


async def test_second_reviewer_cannot_claim_a_claimed_flag_and_sees_who_has_it():
    _, _, _, flag = await db(flagged_pair)()
    first, second = await db(staff_member)(), await db(staff_member)()
    async with connected(first, path=STAFF) as ws1, connected(second, path=STAFF) as ws2:
        await ws1.send_json_to({"type": "flag.claim", "flag": flag.pk})
        claimed = await receive_until(ws1, "flag.claimed")
        assert claimed["alert"]["claimed_by"] == first.alias
        await ws2.send_json_to({"type": "flag.claim", "flag": flag.pk})
        error = await receive_until(ws2, "error")
        assert error["code"] == "already_claimed" and error["claimed_by"] == first.alias


async def test_staff_joining_is_announced_to_both_and_staff_messages_reach_the_seeker():
    seeker, listener, conversation, flag = await db(flagged_pair)()
    staff = await db(staff_member)()
    async with (
        connected(staff, path=STAFF) as staff_ws,
        connected(seeker) as seeker_ws,
        connected(listener) as listener_ws,
    ):
        await staff_ws.send_json_to({"type": "conversation.join", "conversation": conversation.pk})
        joined = await receive_until(staff_ws, "conversation.joined")
        assert [m["text"] for m in joined["messages"]][-1] == STAFF_JOINED
        for ws in (seeker_ws, listener_ws):
            notice = await receive_until(ws, "message.created")
            assert notice["message"]["kind"] == "system" and notice["message"]["text"] == STAFF_JOINED
        await staff_ws.send_json_to(
            {"type": "message.send", "conversation": conversation.pk, "client_id": "s1", "text": "I'm here with you."}
        )
        ack = await receive_until(staff_ws, "message.ack")
        assert ack["duplicate"] is False
        received = await receive_until(seeker_ws, "message.created")
        assert received["message"]["sender_role"] == "staff"
        assert received["message"]["text"] == "I'm here with you."
        await seeker_ws.send_json_to(
            {"type": "message.send", "conversation": conversation.pk, "client_id": "k2", "text": "thank you"}
        )
        reply = await receive_message(staff_ws, "thank you")
        assert reply["message"]["sender_role"] == "seeker"


async def test_staff_cannot_join_a_conversation_nobody_flagged_or_reported():
    seeker, listener, conversation = await db(matched_pair)()
    staff = await db(staff_member)()
    async with connected(staff, path=STAFF) as staff_ws:
        await staff_ws.send_json_to({"type": "conversation.join", "conversation": conversation.pk})
        error = await receive_until(staff_ws, "error")
        assert error["code"] == "not_found"
    assert not await db(StaffParticipation.objects.filter(conversation=conversation).exists)()
    assert not await db(Message.objects.filter(conversation=conversation, text=STAFF_JOINED).exists)()


async def test_warm_handoff_moves_the_listener_out_and_keeps_the_seeker_with_staff():
    seeker, listener, conversation, flag = await db(flagged_pair)()
    staff = await db(staff_member)()
    async with (
        connected(staff, path=STAFF) as staff_ws,
        connected(seeker) as seeker_ws,
        connected(listener) as listener_ws,
    ):
        await staff_ws.send_json_to({"type": "conversation.handoff", "conversation": conversation.pk, "ref": 9})
        done = await receive_until(staff_ws, "conversation.handed_off")
        assert done["ref"] == 9
        left = await receive_until(listener_ws, "conversation.left")
        assert left == {"type": "conversation.left", "conversation": conversation.pk, "reason": "handoff"}
        took_over = await receive_message(seeker_ws, STAFF_TOOK_OVER)
        assert took_over["message"]["kind"] == "system"
        await seeker_ws.send_json_to(
            {"type": "message.send", "conversation": conversation.pk, "client_id": "after", "text": "are you there?"}
        )
        ack = await receive_until(seeker_ws, "message.ack")
        assert ack["duplicate"] is False
        reply = await receive_message(staff_ws, "are you there?")
        assert reply["message"]["sender_role"] == "seeker"
    fresh = await db(Conversation.objects.get)(pk=conversation.pk)
    assert fresh.status == "active" and fresh.listener_id is None


async def test_listener_raises_their_chat_with_the_safety_team():
    seeker, listener, conversation = await db(matched_pair)()
    staff = await db(staff_member)()
    async with connected(staff, path=STAFF) as staff_ws, connected(listener) as listener_ws:
        await listener_ws.send_json_to(
            {"type": "conversation.flag", "conversation": conversation.pk, "note": "talks about a plan", "ref": "f"}
        )
        reply = await receive_until(listener_ws, "conversation.flagged")
        assert reply["duplicate"] is False and reply["ref"] == "f"
        alert = await receive_until(staff_ws, "alert.created")
        assert alert["alert"]["source"] == "listener" and alert["alert"]["reason"] == "talks about a plan"
        await listener_ws.send_json_to({"type": "conversation.flag", "conversation": conversation.pk})
        again = await receive_until(listener_ws, "conversation.flagged")
        assert again["duplicate"] is True and again["flag"] == reply["flag"]
    flag = await db(SafetyFlag.objects.get)(pk=reply["flag"])
    assert flag.source == FlagSource.LISTENER and flag.status == FlagStatus.OPEN


async def test_seeker_cannot_use_the_listener_escalation_frame():
    seeker, listener, conversation = await db(matched_pair)()
    async with connected(seeker) as seeker_ws:
        await seeker_ws.send_json_to({"type": "conversation.flag", "conversation": conversation.pk})
        error = await receive_until(seeker_ws, "error")
        assert error["code"] == "forbidden"
        await seeker_ws.send_json_to({"type": "conversation.flag", "conversation": conversation.pk, "note": "x" * 301})
        error = await receive_until(seeker_ws, "error")
        assert error["code"] == "note_too_long"


async def test_staff_frames_with_bad_fields_get_error_frames_and_the_socket_stays_open():
    staff = await db(staff_member)()
    async with connected(staff, path=STAFF) as ws:
        await ws.send_json_to({"type": "alert.ack", "alert": "one"})
        assert (await receive_until(ws, "error"))["code"] == "invalid_field"
        await ws.send_json_to({"type": "flag.claim"})
        assert (await receive_until(ws, "error"))["code"] == "missing_field"
        await ws.send_json_to({"type": "alert.ack", "alert": 999999})
        assert (await receive_until(ws, "error"))["code"] == "not_found"
        await ws.send_to(text_data="{nope")
        assert (await receive_until(ws, "error"))["code"] == "malformed_json"
        await ws.send_json_to({"type": "ping"})
        assert (await receive_until(ws, "pong"))["type"] == "pong"


async def test_staff_who_took_over_can_close_the_chat_with_a_reason_the_seeker_reads():
    from safety.models import AuditRecord

    seeker, listener, conversation, flag = await db(flagged_pair)()
    staff = await db(staff_member)()
    async with connected(staff, path=STAFF) as staff_ws, connected(seeker) as seeker_ws:
        await staff_ws.send_json_to({"type": "conversation.end", "conversation": conversation.pk})
        assert (await receive_until(staff_ws, "error"))["code"] == "not_joined"
        await staff_ws.send_json_to({"type": "conversation.handoff", "conversation": conversation.pk})
        await receive_until(staff_ws, "conversation.handed_off")
        await staff_ws.send_json_to(
            {"type": "conversation.end", "conversation": conversation.pk, "note": "helped to call 988"}
        )
        assert (await receive_until(staff_ws, "conversation.end.ack"))["status"] == "ended"
        ended = await receive_until(seeker_ws, "conversation.ended")
        assert ended["reason"] == "staff_ended" and ended["reason_text"]
    assert await db(AuditRecord.objects.filter(action="conversation.end", target_id=conversation.pk).exists)()


async def test_an_alert_raised_while_the_staff_socket_reads_open_alerts_still_arrives_live(monkeypatch):
    """The socket joins the staff group before it reads the open alerts: an alert
    committed just after that read (so not in ``hello``) must arrive live."""
    import safety.consumers  # patched where the consumer looks the reader up

    seeker, _, conversation = await db(matched_pair)()
    staff = await db(staff_member)()
    read_open_alerts = safety.consumers.selectors.alerts_open
    raised: list[int] = []

    def read_then_raise():
        alerts = list(read_open_alerts())
        result = message_send(sender=seeker, conversation_id=conversation.pk, client_id="gap-1", text=CRISIS)
        raised.append(SafetyFlag.objects.get(message=result.message).pk)
        return alerts

    monkeypatch.setattr(safety.consumers.selectors, "alerts_open", read_then_raise)
    async with connected(staff, path=STAFF) as ws:
        assert ws.hello["alerts"] == []
        alert = await receive_until(ws, "alert.created")
        assert alert["alert"]["id"] == raised[0]
