"""The append-only audit trail of staff access and staff actions."""

from __future__ import annotations

from django.utils import timezone

from safety.models import AuditRecord


def audit_record(
    *,
    actor,
    action: str,
    target=None,
    target_type: str | None = None,
    target_id: int | None = None,
    flag_id: int | None = None,
    note: str = "",
    data: dict | None = None,
    now=None,
) -> AuditRecord:
    """Append one record: ``actor`` (None for the system) did ``action`` to a target.

    The target is either a model instance (``target=``) or ``target_type`` +
    ``target_id``. Runs in the caller's transaction when there is one, so an
    action and its record commit together. The client IP is deliberately not stored.
    """
    if target is not None:
        target_type = target._meta.model_name
        target_id = target.pk
    if not target_type or target_id is None:
        raise ValueError("audit_record needs a target")
    return AuditRecord.objects.create(
        actor=actor,
        actor_alias=(getattr(actor, "alias", "") or getattr(actor, "username", "") or "")[:150] if actor else "",
        action=action[:40],
        target_type=target_type[:20],
        target_id=target_id,
        flag_id=flag_id,
        note=(note or "")[:2000],
        data=data or {},
        created_at=now or timezone.now(),
    )


def audit_records_expire(ids: list[int]) -> int:
    """Delete the records ``ids``: only retention calls this, once ``SAFETY_RETENTION_AUDIT_DAYS`` passed.

    The model's own manager refuses deletes so nothing else can shorten the
    trail; its plain base manager is the one way records end.
    """
    _, per_model = AuditRecord._base_manager.filter(pk__in=ids).delete()
    return per_model.get(AuditRecord._meta.label, 0)


def audit_trail_for_flag(flag_id: int) -> list[AuditRecord]:
    return list(AuditRecord.objects.select_related("actor").filter(flag_id=flag_id).order_by("created_at", "id"))


# What each audit action means, in the words the staff console shows.
AUDIT_ACTION_LABELS = {
    "alert.acknowledge": "acknowledged the alert",
    "flag.claim": "claimed the item",
    "flag.read": "opened the item",
    "flag.resolve": "resolved the item",
    "person.history": "read the person's earlier cases, reports and sanctions",
    "queue.read": "read the review queue",
    "emergency_call.record": "recorded a call to emergency services or another body",
    "conversation.transcript": "read the transcript",
    "conversation.join": "joined the conversation",
    "conversation.sync": "read new messages in the conversation",
    "conversation.handoff": "took the conversation over from the listener",
    "conversation.end": "ended the conversation",
    "conversation.message": "wrote in the conversation",
    "conversation.closed": "closed the conversation",
    "conversation.takeover": "took the conversation over",
    "room.transcript": "read the group-room messages around the item",
    "sanction.warning": "warned the person",
    "sanction.mute": "muted the person",
    "sanction.suspension": "suspended the person",
    "sanction.ban": "banned the person",
}


# Actions recorded under an earlier name -> their name now. A migration rewrites stored records, but
# a process still running the previous release during a deploy (or a migration reversed) writes the
# old name, so every reader takes the two as one action.
AUDIT_ACTIONS_RENAMED = {
    "escalation.record": "emergency_call.record",
}


def audit_action_current(action: str) -> str:
    """The action's name now, whichever name it was recorded under."""
    return AUDIT_ACTIONS_RENAMED.get(action, action)


def audit_action_spellings(action: str) -> list[str]:
    """Every name a record of ``action`` may carry: its name now, then the earlier ones."""
    current = audit_action_current(action)
    return [current, *sorted(old for old, new in AUDIT_ACTIONS_RENAMED.items() if new == current)]


def audit_action_label(action: str) -> str:
    """The words for an audit action; an action without words yet shows as itself, never blank."""
    action = audit_action_current(action)
    if action in AUDIT_ACTION_LABELS:
        return AUDIT_ACTION_LABELS[action]
    if action.startswith("sanction.lift_"):
        return f"lifted the {action.removeprefix('sanction.lift_')}"
    if action.startswith("listener."):
        return f"listener decision: {action.removeprefix('listener.').replace('_', ' ')}"
    return action


def listener_decision_record(*, decision, staff, **kwargs) -> None:
    """A staff decision on a listener, in the general audit trail; connected to
    ``listeners.services.listener_decided`` in ``SafetyConfig.ready()``, inside the decision's transaction."""
    audit_record(
        actor=staff,
        action=f"listener.{decision.action}",
        target=decision.listener,
        note=decision.note,
        data={"status_before": decision.status_before, "status_after": decision.status_after},
        now=decision.created_at,
    )
