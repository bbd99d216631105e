"""How long Hearth keeps what it stores about people, and what deleting means.

Every rule of docs/privacy.md that ends something lives here (or, for the
apps above safety, in a rule they register here from ``AppConfig.ready()``):

* ``retention_run`` / ``retention_step`` delete (or scrub) whatever is past
  its period, rule by rule, in batches of ``SAFETY_RETENTION_BATCH`` rows;
  the scheduler runs a step each tick of an hourly pass (``safety.jobs.retention``);
* ``retention_preview`` counts what a run would touch, without writing;
* ``history_delete_for_seeker`` and ``account_delete_for_seeker`` are a
  seeker's own deletions; the anonymous-account rule goes through the same
  ``account_erase``, so there is one definition of deleting an account.

What is under safety review is never deleted: a conversation with an
unresolved flag (or a report without a flag), a room message held, hidden or
with an unresolved flag, and an account with any of those or a sanction in force.

Each batch locks its rows with ``select_for_update(skip_locked=True)`` where
the database can (PostgreSQL), so two processes running retention at once
take disjoint rows; each row is deleted by primary key, after checking again
that it is still due. Logs carry counts, never content.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from chat.models import ChatRequest, Conversation, ConversationStatus, RequestStatus
from listeners.models import Favourite
from safety.audit import audit_records_expire
from safety.models import (
    AuditRecord,
    Block,
    DeviceBan,
    DeviceLink,
    EmergencyCall,
    FlagStatus,
    Report,
    SafetyFlag,
    Sanction,
)
from support.conflicts import retrying_conflicts
from support.errors import DomainError
from support.models import Connection, Role
from support.session_events import user_access_revoke

logger = logging.getLogger("hearth.retention")

ONLY_SEEKERS = "Only seekers can delete their chat history here."
ONLY_SEEKERS_ACCOUNT = "Only seekers can delete their account here. Listeners and staff: ask a Hearth administrator."


def _days(n: int) -> timedelta:
    return timedelta(days=n)


# --- what is under review -----------------------------------------------------------


def _under_review(conversation_ref: str = "pk"):
    """Conversations with an unresolved flag, or a report that joined no flag (reports normally join one)."""
    return Exists(
        SafetyFlag.objects.filter(conversation=OuterRef(conversation_ref)).exclude(status=FlagStatus.RESOLVED)
    ) | Exists(Report.objects.filter(conversation=OuterRef(conversation_ref), flag__isnull=True))


def _sanction_in_force(now: datetime) -> Q:
    return Q(lifted_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


# --- rules --------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionRule:
    """One kind of stored data and when it ends.

    ``due(now)`` is every row past its period and not under review (a
    queryset of one model, filterable by ``pk``); ``apply(queryset, now)``
    deletes or scrubs the rows of ``queryset`` (already locked and checked
    again) and returns how many it handled. The default deletes them.
    """

    kind: str
    due: Callable[[datetime], QuerySet]
    apply: Callable[[QuerySet, datetime], int] | None = None


def _delete(queryset: QuerySet, now) -> int:
    label = queryset.model._meta.label
    _, per_model = queryset.delete()
    return per_model.get(label, 0)


def _conversations_due(now):
    cutoff = now - _days(settings.SAFETY_RETENTION_DAYS)
    recently_resolved = Exists(SafetyFlag.objects.filter(conversation=OuterRef("pk"), resolved_at__gt=cutoff))
    return (
        Conversation.objects.filter(status=ConversationStatus.ENDED, ended_at__lt=cutoff)
        .exclude(_under_review())
        .exclude(recently_resolved)
    )


def _queue_records_due(now):
    """Closed requests (with their offers) of ended chats: the seeker's note goes before the chat does."""
    cutoff = now - _days(settings.SAFETY_RETENTION_QUEUE_DAYS)
    return ChatRequest.objects.filter(
        status__in=[RequestStatus.MATCHED, RequestStatus.CANCELLED],
        closed_at__lt=cutoff,
        conversation__status=ConversationStatus.ENDED,
    ).exclude(_under_review("conversation_id"))


def _flag_excerpts_due(now):
    cutoff = now - _days(settings.SAFETY_RETENTION_EXCERPT_DAYS)
    return SafetyFlag.objects.filter(status=FlagStatus.RESOLVED, resolved_at__lt=cutoff).exclude(excerpt="")


def _flag_excerpts_scrub(queryset, now) -> int:
    return queryset.update(excerpt="")


def _detached_flags_due(now):
    """Flags without a conversation (room flags): a conversation's flags go with it."""
    cutoff = now - _days(settings.SAFETY_RETENTION_DAYS)
    return SafetyFlag.objects.filter(conversation__isnull=True, status=FlagStatus.RESOLVED, resolved_at__lt=cutoff)


def _device_bans_due(now):
    return DeviceBan.objects.filter(expires_at__lt=now)


def _sanctions_due(now):
    cutoff = now - _days(settings.SAFETY_RETENTION_AUDIT_DAYS)
    return Sanction.objects.annotate(ended_at=Coalesce("lifted_at", "expires_at")).filter(ended_at__lt=cutoff)


def _emergency_calls_due(now):
    return EmergencyCall.objects.filter(created_at__lt=now - _days(settings.SAFETY_RETENTION_AUDIT_DAYS))


def _audit_due(now):
    # A plain manager: the audit trail's own one refuses deletes (it is append-only until its period ends).
    return AuditRecord._base_manager.filter(created_at__lt=now - _days(settings.SAFETY_RETENTION_AUDIT_DAYS))


def _audit_expire(queryset, now) -> int:
    return audit_records_expire(list(queryset.values_list("pk", flat=True)))


def _connections_due(now):
    return Connection.objects.filter(last_seen_at__lt=now - timedelta(hours=settings.SAFETY_RETENTION_PRESENCE_HOURS))


def _seekers_due(now):
    """Seeker accounts to delete (or close, if part is under review): unused, or deleted by their owner.

    Unused = no sign-in, chat, room visit or open socket since the cutoff:
    ``SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS`` for anonymous accounts,
    ``SAFETY_RETENTION_KEPT_ACCOUNT_DAYS`` for accounts kept with a password.
    An account its owner deleted while under review goes once nothing holds it.
    """
    user_model = get_user_model()
    anonymous_cutoff = now - _days(settings.SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS)
    kept_cutoff = now - _days(settings.SAFETY_RETENTION_KEPT_ACCOUNT_DAYS)
    anonymous = Q(password__startswith=UNUSABLE_PASSWORD_PREFIX)
    seekers = user_model.objects.filter(role=Role.SEEKER)
    closed_and_free = Q(deleted_at__isnull=False) & ~Q(pk__in=seekers.filter(_account_held(now)).values("pk"))
    unused = Q(deleted_at__isnull=True) & (
        (anonymous & Q(pk__in=_unused_since(seekers, anonymous_cutoff).values("pk")))
        | (~anonymous & Q(pk__in=_unused_since(seekers, kept_cutoff).values("pk")))
    )
    return seekers.filter(closed_and_free | unused)


def _unused_since(users: QuerySet, cutoff) -> QuerySet:
    recent_chat = Conversation.objects.filter(seeker=OuterRef("pk")).filter(
        Q(last_activity_at__gte=cutoff) | Q(ended_at__gte=cutoff) | ~Q(status=ConversationStatus.ENDED)
    )
    queryset = users.filter(date_joined__lt=cutoff).filter(Q(last_login__isnull=True) | Q(last_login__lt=cutoff))
    queryset = queryset.exclude(Exists(recent_chat)).exclude(Exists(Connection.objects.filter(user=OuterRef("pk"))))
    for part in _account_parts.values():
        if part.used_since is not None:
            queryset = queryset.exclude(part.used_since(cutoff))
    return queryset


def _seekers_erase(queryset, now) -> int:
    count = 0
    for user in queryset:
        account_erase(user, now=now)
        count += 1
    return count


_rules: dict[str, RetentionRule] = {}


def retention_rule_register(rule: RetentionRule) -> None:
    """Add a rule (apps above safety register theirs in ``ready()``; registering a kind again replaces it)."""
    _rules[rule.kind] = rule


for _rule in (
    RetentionRule("seeker_accounts", _seekers_due, _seekers_erase),
    RetentionRule("conversations", _conversations_due),
    RetentionRule("queue_records", _queue_records_due),
    RetentionRule("flag_excerpts", _flag_excerpts_due, _flag_excerpts_scrub),
    RetentionRule("detached_flags", _detached_flags_due),
    RetentionRule("device_bans", _device_bans_due),
    RetentionRule("sanctions", _sanctions_due),
    RetentionRule("emergency_calls", _emergency_calls_due),
    RetentionRule("audit_records", _audit_due, _audit_expire),
    RetentionRule("connections", _connections_due),
):
    retention_rule_register(_rule)


def retention_rules() -> list[RetentionRule]:
    return list(_rules.values())


# --- account parts held by the apps above safety ------------------------------------


@dataclass(frozen=True)
class AccountPart:
    """What an app above safety stores about a person, for account deletion.

    ``erase(user, now)`` deletes what is not under review and returns counts
    (``{"deleted_<what>": n, "kept_<what>": m}``); ``held(now)`` is a condition
    on the user (``OuterRef("pk")``) true while something of theirs is under
    review; ``used_since(cutoff)`` one true if they used the app since.
    """

    erase: Callable[..., dict[str, int]]
    held: Callable[[datetime], object] | None = None
    used_since: Callable[[datetime], object] | None = None


_account_parts: dict[str, AccountPart] = {}


def account_part_register(name: str, part: AccountPart) -> None:
    _account_parts[name] = part


def _account_held(now):
    held = Exists(Conversation.objects.filter(seeker=OuterRef("pk")).filter(_under_review())) | Exists(
        Sanction.objects.filter(subject=OuterRef("pk")).filter(_sanction_in_force(now))
    )
    for part in _account_parts.values():
        if part.held is not None:
            held = held | part.held(now)
    return held


# --- running ------------------------------------------------------------------------


def _batch(rule: RetentionRule, *, now, limit: int) -> int:
    """One batch of ``rule``: lock up to ``limit`` due rows other runs have not locked, apply the rule to them."""
    with transaction.atomic():
        due = rule.due(now)
        locking = due.order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            locking = locking.select_for_update(skip_locked=True, of=("self",))
        ids = list(locking.values_list("pk", flat=True)[:limit])
        if not ids:
            return 0
        apply = rule.apply or _delete
        return apply(rule.due(now).filter(pk__in=ids), now)


def _sessions_expire(now) -> int:
    """Expired sessions, through the session store's own ``clear_expired`` (what ``clearsessions`` runs)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    count = _expired_sessions_count(store, now)
    try:
        store.clear_expired()
    except NotImplementedError:  # stores whose entries expire on their own (signed cookies)
        return 0
    return count or 0


def _expired_sessions_count(store, now) -> int | None:
    get_model_class = getattr(store, "get_model_class", None)
    if get_model_class is None:
        return None
    return get_model_class().objects.filter(expire_date__lt=now).count()


def retention_step(*, now=None, batch_size: int | None = None, kinds=None) -> tuple[dict[str, int], list[str]]:
    """One batch of each rule in ``kinds`` (every rule, and expired sessions, when None).

    Returns the counts by kind and the kinds that filled their batch (more
    may be due): a pass runs only those again, so a rule with nothing left is
    not scanned again until the next pass.
    """
    now = now or timezone.now()
    limit = batch_size or settings.SAFETY_RETENTION_BATCH
    counts: dict[str, int] = {}
    pending: list[str] = []
    for rule in retention_rules():
        if kinds is not None and rule.kind not in kinds:
            continue
        done = _batch(rule, now=now, limit=limit)
        if done:
            counts[rule.kind] = done
        if done >= limit:
            pending.append(rule.kind)
    if kinds is None:
        sessions = _sessions_expire(now)
        if sessions:
            counts["sessions"] = sessions
    if counts:
        logger.info("retention: %s", ", ".join(f"{kind}={n}" for kind, n in sorted(counts.items())))
    return counts, pending


def retention_run(*, now=None, batch_size: int | None = None) -> dict[str, int]:
    """Apply every rule in batches until nothing is due (rows another run holds are left to it). Idempotent."""
    now = now or timezone.now()
    totals: dict[str, int] = {}
    kinds = None
    while True:
        counts, kinds = retention_step(now=now, batch_size=batch_size, kinds=kinds)
        for kind, n in counts.items():
            totals[kind] = totals.get(kind, 0) + n
        if not kinds:
            return totals


def retention_preview(*, now=None) -> dict[str, int | None]:
    """How many rows of each kind a run now would delete or scrub. Reads only."""
    now = now or timezone.now()
    counts: dict[str, int | None] = {rule.kind: rule.due(now).count() for rule in retention_rules()}
    counts["sessions"] = _expired_sessions_count(import_module(settings.SESSION_ENGINE).SessionStore, now)
    return counts


# --- a seeker's own deletions ---------------------------------------------------------


def account_summary_for_seeker(*, seeker, now=None) -> dict:
    """What deleting this seeker's account would keep, and for how long; reads only.

    ``kept_under_review`` counts their conversations under review (kept until
    the review ends, then ``SAFETY_RETENTION_DAYS``); ``account_held`` is true
    when anything of theirs (a conversation, a room message, a sanction in
    force) would close the account instead of deleting it.
    """
    if not seeker.is_seeker:
        raise DomainError("forbidden", ONLY_SEEKERS_ACCOUNT, status=403)
    now = now or timezone.now()
    ended = Conversation.objects.filter(seeker=seeker, status=ConversationStatus.ENDED)
    return {
        "ended_conversations": ended.exclude(_under_review()).count(),
        "kept_under_review": ended.filter(_under_review()).count(),
        "account_held": get_user_model().objects.filter(pk=seeker.pk).filter(_account_held(now)).exists(),
        "retention": retention_figures(),
    }


def retention_figures() -> dict[str, int]:
    """The periods people are told about (the privacy notice, the account page), from the settings."""
    return {
        "chat_days": settings.SAFETY_RETENTION_DAYS,
        "room_message_days": settings.SAFETY_RETENTION_ROOM_MESSAGE_DAYS,
        "anonymous_account_days": settings.SAFETY_RETENTION_ANONYMOUS_ACCOUNT_DAYS,
        "kept_account_days": settings.SAFETY_RETENTION_KEPT_ACCOUNT_DAYS,
        "audit_days": settings.SAFETY_RETENTION_AUDIT_DAYS,
    }


def _ended_conversations_delete(seeker) -> tuple[int, int]:
    """Delete the seeker's ended conversations except those under review; (deleted, kept under review)."""
    ended = Conversation.objects.select_for_update().filter(seeker=seeker, status=ConversationStatus.ENDED)
    kept = ended.filter(_under_review()).count()
    ids = list(ended.exclude(_under_review()).values_list("pk", flat=True))
    Conversation.objects.filter(pk__in=ids).delete()
    return len(ids), kept


def history_delete_for_seeker(*, seeker, now=None) -> dict:
    """Delete a seeker's ended conversations now, except those under open review; open chats stay too.

    Returns counts for the response: deleted, kept under review, kept open.
    """
    if not seeker.is_seeker:
        raise DomainError("forbidden", ONLY_SEEKERS, status=403)
    with transaction.atomic():
        open_count = Conversation.objects.filter(seeker=seeker).exclude(status=ConversationStatus.ENDED).count()
        deleted, under_review = _ended_conversations_delete(seeker)
    return {"deleted": deleted, "kept_under_review": under_review, "kept_open": open_count}


def account_erase(user, *, now) -> dict:
    """Delete everything of a seeker's that is not under review, and the account itself if nothing is.

    Expects a transaction, the user's row locked (or about to be deleted by
    this run alone) and no open conversation. An account with something
    under review is closed instead: unusable, its alias replaced, marked
    ``deleted_at``; the ``seeker_accounts`` rule deletes it once nothing holds it.
    """
    user_model = get_user_model()
    deleted, kept = _ended_conversations_delete(user)
    result = {"deleted_conversations": deleted, "kept_conversations": kept}
    for part in _account_parts.values():
        result.update(part.erase(user, now))
    DeviceLink.objects.filter(user=user).delete()
    Favourite.objects.filter(seeker=user).delete()
    Block.objects.filter(Q(blocker=user) | Q(blocked=user)).delete()
    if not user_model.objects.filter(pk=user.pk).filter(_account_held(now)).exists():
        user_model.objects.filter(pk=user.pk).delete()
        result["account"] = "deleted"
        return result
    placeholder = f"deleted-{user.pk}"
    user.username = placeholder
    user.alias = placeholder[:40]
    user.first_name = user.last_name = user.email = ""
    user.set_unusable_password()
    user.is_active = False
    if user.deleted_at is None:
        user.deleted_at = now
    user.save(
        update_fields=["username", "alias", "first_name", "last_name", "email", "password", "is_active", "deleted_at"]
    )
    result["account"] = "closed"
    return result


@retrying_conflicts
def account_delete_for_seeker(*, seeker, now=None) -> dict:
    """A seeker deletes their account: open chats end, then ``account_erase``; every socket of theirs closes.

    Locks the user row, then each open conversation (and its requests and
    offers, as ending a chat does). That is the reverse of a listener's
    accept, so it can be aborted for a deadlock, and runs again
    (``retrying_conflicts``). Returns what was deleted and what is kept
    (under review) for the response.
    """
    # Function-local: chat's services import safety's screening; importing them at module level would cycle.
    from chat.dispatch import requests_dispatch_after_commit
    from chat.models import EndReason
    from chat.services.conversations import conversation_close

    if not seeker.is_seeker:
        raise DomainError("forbidden", ONLY_SEEKERS_ACCOUNT, status=403)
    now = now or timezone.now()
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=seeker.pk)
        closed = 0
        for conversation in (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("seeker", "listener")
            .filter(seeker=user)
            .exclude(status=ConversationStatus.ENDED)
        ):
            reason = (
                EndReason.CANCELLED if conversation.status == ConversationStatus.WAITING else EndReason.SEEKER_ENDED
            )
            conversation_close(conversation, reason=reason, ended_by=user, now=now)
            closed += 1
        if closed:
            requests_dispatch_after_commit()
        result = account_erase(user, now=now)
        user_access_revoke(user_id=user.pk, reason="account_deleted")
    result["ended_open_chats"] = closed
    logger.info("account deleted by its owner: %s", result["account"])
    return result
