"""Reports by participants, and blocks between them.

Reports and blocks name things by conversation (and ``seq``), never by user
id, so nobody learns an id they could not see.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from chat.models import ConversationStatus, EndReason, Message, MessageKind
from chat.selectors import conversation_get_for_participant
from safety.classifier import Level
from safety.models import Block, FlagSource, Report, ReportReason, SafetyFlag
from safety.screening import screen_message
from safety.services import case_raise
from support import ratelimit
from support.conflicts import retrying_conflicts
from support.errors import DomainError, NotFoundOrForbidden, RateLimited

MAX_REPORT_TEXT = 1000
REPORTS_WINDOW = 3600
NOBODY_TO_REPORT = "There's no one else in this chat yet."
OWN_MESSAGE = "You can't report your own message or a system notice."
NOBODY_TO_BLOCK = "There's no one else in this chat to block."
TOO_MANY_REPORTS = "You've sent a lot of reports in a short time. Please wait a little; the safety team is looking."

# What a report's reason means for the review queue: its level and category.
REASON_LEVEL = {
    ReportReason.SELF_HARM_RISK: int(Level.ELEVATED),
    ReportReason.UNDERAGE: int(Level.ELEVATED),
}
REASON_CATEGORY = {
    ReportReason.HARASSMENT: "harassment",
    ReportReason.INAPPROPRIATE: "harassment",
    ReportReason.SPAM: "spam",
    ReportReason.UNDERAGE: "abuse",
    ReportReason.SELF_HARM_RISK: "self_harm",
    ReportReason.CONTACT_DETAILS: "personal_info",
    ReportReason.OTHER: "other",
}


def _other_side(conversation, user):
    return conversation.listener if conversation.role_of(user.pk) == "seeker" else conversation.seeker


def report_create(
    *, reporter, conversation_id: int, reason: str, text: str = "", seq: int | None = None, now=None
) -> tuple[Report, bool]:
    """Report a message (``seq``) or the other person in a conversation. Returns (report, created).

    A message the reporter cannot see is answered exactly like one that does
    not exist (``not_found``). The same reporter reporting the same target
    again gets the first report back. New reports are rate-limited per
    reporter. The report joins the conversation's unresolved flag (raising
    its level if needed) or opens one in the review queue.
    """
    now = now or timezone.now()
    if reason not in ReportReason.values:
        raise DomainError("invalid_field", "Choose one of the listed reasons.", field="reason")
    if not isinstance(text, str) or len(text) > MAX_REPORT_TEXT:
        raise DomainError("invalid_field", f"Tell us in at most {MAX_REPORT_TEXT} characters.", field="text")
    with transaction.atomic():
        conversation = conversation_get_for_participant(user=reporter, conversation_id=conversation_id, for_update=True)
        message = None
        if seq is not None:
            message = Message.objects.select_related("sender").filter(conversation=conversation, seq=seq).first()
            if message is None:
                raise NotFoundOrForbidden()
            if message.kind != MessageKind.TEXT or message.sender_id == reporter.pk or message.sender_id is None:
                raise DomainError("invalid_target", OWN_MESSAGE)
            subject = message.sender
            target_key = f"message:{conversation.pk}:{seq}"
        else:
            subject = _other_side(conversation, reporter)
            if subject is None:
                raise DomainError("invalid_target", NOBODY_TO_REPORT)
            target_key = f"user:{subject.pk}"
        existing = Report.objects.filter(reporter=reporter, target_key=target_key).first()
        if existing is not None:
            return existing, False
        decision = ratelimit.hit(
            "safety-report", str(reporter.pk), limit=settings.SAFETY_REPORTS_PER_HOUR, window=REPORTS_WINDOW
        )
        if not decision.allowed:
            raise RateLimited(decision.retry_after, TOO_MANY_REPORTS)
        screening = screen_message(text=text.strip(), sender_role="seeker") if text.strip() else None
        flag = _flag_for_report(
            conversation=conversation,
            message=message,
            subject=subject,
            reason=reason,
            screening=screening,
            now=now,
        )
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    reporter=reporter,
                    subject=subject,
                    conversation=conversation,
                    message=message,
                    target_key=target_key,
                    reason=reason,
                    text=screening.text if screening else "",
                    flag=flag,
                    created_at=now,
                )
        except IntegrityError:  # the same report arrived twice at once
            return Report.objects.get(reporter=reporter, target_key=target_key), False
        return report, True


def _flag_for_report(*, conversation, message, subject, reason: str, screening, now) -> SafetyFlag:
    """The report joins the case about ``subject`` in this conversation, or opens one.

    Its level is the reason's, raised by what the report's text says: a report describing
    imminent risk is an imminent case with a live alert, like the same words in a message.
    """
    level = REASON_LEVEL.get(reason, int(Level.DISTRESS))
    categories = {REASON_CATEGORY[reason]}
    label = f"Reported: {ReportReason(reason).label}"
    if screening is not None and screening.at_risk:
        level = max(level, screening.level)
        categories |= {category.value for category in screening.assessment.categories}
        label = f"{label}; the report says: {screening.assessment.reason}"
    excerpt = message.text if message is not None else (screening.text if screening is not None else "")
    flag, _ = case_raise(
        conversation=conversation,
        subject=subject,
        subject_role=conversation.role_of(subject.pk) or "",
        source=FlagSource.REPORT,
        level=level,
        categories=categories,
        reason=label,
        excerpt=excerpt,
        message=message,
        now=now,
    )
    return flag


@retrying_conflicts
def block_create(*, user, conversation_id: int, now=None) -> tuple[bool, bool]:
    """``user`` blocks the other side of a conversation they are in. Returns (created, chat_ended).

    Never matched again (matching excludes ``Block`` pairs both ways); an
    open chat between them ends with reason ``blocked``. Locks the conversation
    row before its requests and offers, the reverse of a listener's accept: a
    block racing an accept can be aborted for a deadlock, and runs again
    (``retrying_conflicts``).
    """
    from chat.services.conversations import conversation_close

    now = now or timezone.now()
    with transaction.atomic():
        conversation = conversation_get_for_participant(user=user, conversation_id=conversation_id, for_update=True)
        other = _other_side(conversation, user)
        if other is None:
            raise DomainError("invalid_target", NOBODY_TO_BLOCK)
        _, created = Block.objects.get_or_create(blocker=user, blocked=other)
        ended = False
        if conversation.status != ConversationStatus.ENDED:
            conversation_close(conversation, reason=EndReason.BLOCKED, ended_by=user, now=now)
            ended = True
        return created, ended
