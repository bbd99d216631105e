"""Safety REST endpoints: reports, blocks, own history, and the staff review queue.

Each view validates, calls one service or selector, and serializes. Staff
endpoints need ``support.safety_review``; conversation contents are only
reached through ``conversation_get_for_staff`` (audited).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import logout
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.payloads import conversation_payload, message_payload
from safety import reports, retention, sanctions, selectors, services
from safety.api import serializers as s
from safety.audit import audit_action_current, audit_action_label, audit_trail_for_flag
from safety.payloads import alert_payload, iso, level_label, report_reporter_payload, report_staff_payload
from support.api.serializers import ErrorOut
from support.errors import DomainError
from support.roles import is_safety_staff


class IsSafetyStaff(BasePermission):
    def has_permission(self, request, view) -> bool:
        return is_safety_staff(request.user)


def _valid(serializer_class, request):
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _topic(flag):
    return flag.conversation.topic.slug if flag.conversation_id and flag.conversation.topic_id else None


def _item(flag, *, now) -> dict:
    payload = alert_payload(flag, topic_slug=_topic(flag), now=now)
    payload["reports"] = [report_staff_payload(report) for report in flag.reports.all()]
    payload["report_count"] = len(payload["reports"])
    payload["resolved_at"] = iso(flag.resolved_at)
    payload["resolution_note"] = flag.resolution_note
    payload["action_taken"] = flag.action_taken
    return payload


# --- participants ---------------------------------------------------------------
class ReportCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Report a message (with seq) or the other person in a conversation",
        request=s.ReportIn,
        responses={201: s.ReportOut, 200: s.ReportOut, 400: ErrorOut, 404: ErrorOut, 429: ErrorOut},
    )
    def post(self, request):
        data = _valid(s.ReportIn, request)
        report, created = reports.report_create(
            reporter=request.user,
            conversation_id=data["conversation"],
            seq=data.get("seq"),
            reason=data["reason"],
            text=data.get("text", ""),
        )
        return Response(
            report_reporter_payload(report), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class MyReportsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="My reports and their outcome in general terms", responses={200: s.ReportOut(many=True)})
    def get(self, request):
        return Response([report_reporter_payload(report) for report in selectors.reports_for_reporter(request.user)])


class BlockCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Block the other person of a conversation you were in (ends an open chat)",
        request=s.BlockIn,
        responses={201: s.BlockOut, 200: s.BlockOut, 404: ErrorOut},
    )
    def post(self, request):
        data = _valid(s.BlockIn, request)
        created, ended = reports.block_create(user=request.user, conversation_id=data["conversation"])
        return Response(
            {"blocked": True, "chat_ended": ended}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


HISTORY_KEPT = (
    "{kept} conversation(s) are being looked at by our safety team, so we keep them until that review is "
    "finished; they are deleted after it."
)
HISTORY_OPEN = "{open} open chat(s) stay until they end."


class MyHistoryView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Delete my chat history (except what is under open review)",
        request=None,
        responses={200: s.HistoryDeleteOut, 403: ErrorOut},
    )
    def delete(self, request):
        result = retention.history_delete_for_seeker(seeker=request.user)
        parts = [f"Deleted {result['deleted']} conversation(s)."]
        if result["kept_under_review"]:
            parts.append(HISTORY_KEPT.format(kept=result["kept_under_review"]))
        if result["kept_open"]:
            parts.append(HISTORY_OPEN.format(open=result["kept_open"]))
        return Response({**result, "message": " ".join(parts)})


ACCOUNT_DELETED = "Your account and everything it held have been deleted."
ACCOUNT_CLOSED = (
    "Your account is closed and can't be used again. {kept} of your chat(s) or room message(s) are being looked at "
    "by our safety team, so we keep them until that review is finished; they are deleted after it, with what is "
    "left of your account."
)
ACCOUNT_AUDIT_KEPT = (
    "The safety team's audit trail (who looked at or acted on what, never what you wrote) is kept for {days} days."
)


class MyAccountView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="What deleting my account would keep, and for how long (seekers)",
        responses={200: s.AccountSummaryOut, 403: ErrorOut},
    )
    def get(self, request):
        summary = retention.account_summary_for_seeker(seeker=request.user)
        user = request.user
        return Response({"alias": user.alias, "has_password": user.has_usable_password(), **summary})

    @extend_schema(
        summary="Delete my account and everything not under safety review (seekers)",
        request=None,
        responses={200: s.AccountDeleteOut, 403: ErrorOut},
    )
    def delete(self, request):
        result = retention.account_delete_for_seeker(seeker=request.user)
        logout(request)
        kept = result["kept_conversations"] + result.get("kept_room_messages", 0)
        parts = [ACCOUNT_DELETED if result["account"] == "deleted" else ACCOUNT_CLOSED.format(kept=kept)]
        parts.append(ACCOUNT_AUDIT_KEPT.format(days=settings.SAFETY_RETENTION_AUDIT_DAYS))
        return Response(
            {
                "account": result["account"],
                "deleted_conversations": result["deleted_conversations"],
                "deleted_room_messages": result.get("deleted_room_messages", 0),
                "kept_under_review": kept,
                "ended_open_chats": result["ended_open_chats"],
                "message": " ".join(parts),
            }
        )


# --- staff ----------------------------------------------------------------------
class StaffView(APIView):
    permission_classes = [IsAuthenticated, IsSafetyStaff]


class QueueView(StaffView):
    @extend_schema(
        summary="Review queue: unresolved flags (with their reports), most severe then oldest", responses={200: dict}
    )
    def get(self, request):
        now = timezone.now()
        category = request.query_params.get("category") or None
        if category is not None and category not in selectors.REVIEW_CATEGORIES:
            raise DomainError(
                "invalid_field", "Unknown category.", field="category", choices=sorted(selectors.REVIEW_CATEGORIES)
            )
        flags = selectors.review_queue_read_by_staff(staff=request.user, category=category, now=now)
        return Response({"items": [_item(flag, now=now) for flag in flags]})


class FlagDetailView(StaffView):
    @extend_schema(summary="One review item", responses={200: dict, 404: ErrorOut})
    def get(self, request, flag_id: int):
        flag = selectors.flag_read_by_staff(staff=request.user, flag_id=flag_id)
        return Response(_item(flag, now=timezone.now()))


class FlagClaimView(StaffView):
    @extend_schema(
        summary="Claim an item (409 already_claimed names who has it)",
        request=None,
        responses={200: dict, 409: ErrorOut},
    )
    def post(self, request, flag_id: int):
        flag = services.flag_claim(staff=request.user, flag_id=flag_id)
        return Response(_item(flag, now=timezone.now()))


class FlagAcknowledgeView(StaffView):
    @extend_schema(summary="Acknowledge an alert (stops re-notifying)", request=None, responses={200: dict})
    def post(self, request, flag_id: int):
        flag = services.alert_acknowledge(staff=request.user, flag_id=flag_id)
        return Response(_item(flag, now=timezone.now()))


def _transcript_body(conversation, flag=None) -> dict:
    flagged = selectors.flagged_seqs(conversation.pk)
    messages = []
    for message in selectors.transcript(conversation):
        payload = message_payload(message, conversation_id=conversation.pk)
        payload["flagged"] = message.seq in flagged
        payload["risk_level"] = message.risk_level
        messages.append(payload)
    view = conversation_payload(conversation, for_user_id=0)
    view["your_role"] = "staff"
    view["seeker"] = {"alias": conversation.seeker.alias, "age_group": conversation.seeker.age_group or None}
    view["listener"] = {"alias": conversation.listener.alias} if conversation.listener_id else None
    held = [
        {"sender_role": held.sender_role, "text": held.text, "created_at": iso(held.created_at), "flag": held.flag_id}
        for held in selectors.held_messages_for_staff(conversation.pk)
    ]
    body = {"conversation": view, "messages": messages, "held": held}
    if flag is not None:
        body["flag"] = alert_payload(flag, topic_slug=_topic(flag), now=timezone.now())
    return body


class FlagTranscriptView(StaffView):
    @extend_schema(
        summary="What a flag is about, flagged messages marked (audited): the conversation's transcript, or for a flag "
        "raised in a group room the room messages around it",
        responses={200: dict, 404: ErrorOut},
    )
    def get(self, request, flag_id: int):
        flag = selectors.flag_get_for_staff(staff=request.user, flag_id=flag_id)
        if flag.conversation_id is None:
            return Response(selectors.room_context_get_for_staff(staff=request.user, flag=flag))
        conversation = selectors.conversation_get_for_staff(
            staff=request.user, conversation_id=flag.conversation_id, purpose="transcript", flag_id=flag.pk
        )
        return Response(_transcript_body(conversation, flag))


class ConversationTranscriptView(StaffView):
    @extend_schema(
        summary="Transcript of a flagged or reported conversation (404 otherwise; audited)",
        responses={200: dict, 404: ErrorOut},
    )
    def get(self, request, conversation_id: int):
        conversation = selectors.conversation_get_for_staff(
            staff=request.user, conversation_id=conversation_id, purpose="transcript"
        )
        return Response(_transcript_body(conversation))


class FlagResolveView(StaffView):
    @extend_schema(
        summary="Resolve an item with a required note", request=s.NoteIn, responses={200: dict, 409: ErrorOut}
    )
    def post(self, request, flag_id: int):
        data = _valid(s.NoteIn, request)
        flag = services.flag_resolve(staff=request.user, flag_id=flag_id, note=data["note"])
        return Response(_item(flag, now=timezone.now()))


def _sanction_body(sanction) -> dict:
    return {
        "id": sanction.pk,
        "kind": sanction.kind,
        "subject": {"alias": sanction.subject.alias, "role": sanction.subject.role},
        "flag": sanction.flag_id,
        "note": sanction.note,
        "created_at": iso(sanction.created_at),
        "expires_at": iso(sanction.expires_at),
        "review_at": iso(sanction.review_at),
        "lifted_at": iso(sanction.lifted_at),
    }


class WarnView(StaffView):
    @extend_schema(
        summary="Warn the seeker or listener of a flagged chat", request=s.TargetNoteIn, responses={201: dict}
    )
    def post(self, request, flag_id: int):
        data = _valid(s.TargetNoteIn, request)
        sanction = sanctions.sanction_warn(
            staff=request.user, flag_id=flag_id, target=data["target"], note=data["note"]
        )
        return Response(_sanction_body(sanction), status=status.HTTP_201_CREATED)


class MuteView(StaffView):
    @extend_schema(
        summary="Mute the seeker or listener of a flagged chat for some minutes",
        request=s.MuteIn,
        responses={201: dict},
    )
    def post(self, request, flag_id: int):
        data = _valid(s.MuteIn, request)
        sanction = sanctions.sanction_mute(
            staff=request.user, flag_id=flag_id, target=data["target"], minutes=data["minutes"], note=data["note"]
        )
        return Response(_sanction_body(sanction), status=status.HTTP_201_CREATED)


class SuspendView(StaffView):
    @extend_schema(
        summary="Suspend the listener of a flagged chat (until a date, or until a review date)",
        request=s.SuspendIn,
        responses={201: dict},
    )
    def post(self, request, flag_id: int):
        data = _valid(s.SuspendIn, request)
        sanction = sanctions.sanction_suspend_listener(
            staff=request.user, flag_id=flag_id, note=data["note"], until=data["until"], review_at=data["review_at"]
        )
        return Response(_sanction_body(sanction), status=status.HTTP_201_CREATED)


class BanView(StaffView):
    @extend_schema(
        summary="Ban the seeker of a flagged chat (account and browser)", request=s.SuspendIn, responses={201: dict}
    )
    def post(self, request, flag_id: int):
        data = _valid(s.SuspendIn, request)
        sanction = sanctions.sanction_ban_seeker(
            staff=request.user, flag_id=flag_id, note=data["note"], until=data["until"], review_at=data["review_at"]
        )
        return Response(_sanction_body(sanction), status=status.HTTP_201_CREATED)


class EmergencyCallView(StaffView):
    @extend_schema(
        summary="Record a call to emergency services or another body (who was called, reference, note)",
        request=s.EmergencyCallIn,
        responses={201: dict},
    )
    def post(self, request, flag_id: int):
        data = _valid(s.EmergencyCallIn, request)
        call = sanctions.emergency_call_record(
            staff=request.user,
            flag_id=flag_id,
            contacted=data["contacted"],
            reference=data["reference"],
            note=data["note"],
        )
        return Response(
            {
                "id": call.pk,
                "flag": flag_id,
                "contacted": call.contacted,
                "reference": call.reference,
                "note": call.note,
                "created_at": iso(call.created_at),
            },
            status=status.HTTP_201_CREATED,
        )


class EmergencyCallOldPathView(EmergencyCallView):
    """``…/escalations``, the path's earlier name, answered exactly as ``…/emergency-calls`` so that
    clients built against it keep working; deprecated in the schema and docs/safety.md."""

    @extend_schema(
        summary="Deprecated: the earlier path of …/emergency-calls, answered the same way",
        request=s.EmergencyCallIn,
        responses={201: dict},
        deprecated=True,
    )
    def post(self, request, flag_id: int):
        return super().post(request, flag_id)


class SanctionLiftView(StaffView):
    @extend_schema(summary="Lift a sanction (audited)", request=s.NoteIn, responses={200: dict, 404: ErrorOut})
    def post(self, request, sanction_id: int):
        data = _valid(s.NoteIn, request)
        sanction = sanctions.sanction_lift(staff=request.user, sanction_id=sanction_id, note=data["note"])
        return Response(_sanction_body(sanction))


class FlagAuditView(StaffView):
    @extend_schema(summary="The audit trail of one item (read-only)", responses={200: dict, 404: ErrorOut})
    def get(self, request, flag_id: int):
        flag = selectors.flag_get_for_staff(staff=request.user, flag_id=flag_id)
        return Response(
            {
                "flag": flag.pk,
                "records": [
                    {
                        "id": record.pk,
                        "actor": record.actor_alias or (record.actor.alias if record.actor_id else None),
                        "actor_id": record.actor_id,
                        "action": audit_action_current(record.action),
                        "action_label": audit_action_label(record.action),
                        "target_type": record.target_type,
                        "target_id": record.target_id,
                        "note": record.note,
                        "data": record.data,
                        "created_at": iso(record.created_at),
                    }
                    for record in audit_trail_for_flag(flag.pk)
                ],
            }
        )


def _history_case(flag) -> dict:
    return {
        "id": flag.pk,
        "level": flag.level,
        "level_label": level_label(flag.level),
        "categories": list(flag.categories),
        "subject_role": flag.subject_role,
        "source": flag.source,
        "reason": flag.reason,
        "status": flag.status,
        "created_at": iso(flag.created_at),
        "resolved_at": iso(flag.resolved_at),
        "resolution": {"note": flag.resolution_note, "action_taken": flag.action_taken} if flag.resolved_at else None,
    }


class PersonHistoryView(StaffView):
    @extend_schema(
        summary="The earlier cases, reports about and sanctions of the person an item is about (audited)",
        responses={200: dict, 404: ErrorOut},
    )
    def get(self, request, flag_id: int):
        history = selectors.person_history_read_by_staff(staff=request.user, flag_id=flag_id)
        subject = history["subject"]
        return Response(
            {
                "flag": history["flag"].pk,
                "subject": {"alias": subject.alias, "role": history["flag"].subject_role or subject.role}
                if subject
                else None,
                "cases": [_history_case(case) for case in history["cases"]],
                "reports": [{**report_staff_payload(report), "flag": report.flag_id} for report in history["reports"]],
                "sanctions": [
                    {
                        **_sanction_body(sanction),
                        "kind_label": sanction.get_kind_display(),
                        "created_by": sanction.created_by.alias if sanction.created_by_id else None,
                    }
                    for sanction in history["sanctions"]
                ],
            }
        )
