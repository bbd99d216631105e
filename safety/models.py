"""Safety records: blocks, flags, reports, sanctions, device bans, staff presence in chats and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Block(models.Model):
    """``blocker`` never wants to be matched with ``blocked`` again (checked both ways)."""

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["blocker", "blocked"], name="block_unique_pair")]


class FlagSource(models.TextChoices):
    CLASSIFIER = "classifier", "Automatic risk assessment"
    LISTENER = "listener", "Raised by the listener"
    REPORT = "report", "User report"
    STAFF = "staff", "Raised by staff"
    SYSTEM = "system", "Raised by Hearth"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLAIMED = "claimed", "Claimed by a reviewer"
    RESOLVED = "resolved", "Resolved"


class SafetyFlag(models.Model):
    """Something a safety reviewer must look at. Written in the same transaction as its message."""

    conversation = models.ForeignKey(
        "chat.Conversation", on_delete=models.CASCADE, null=True, blank=True, related_name="flags"
    )
    message = models.ForeignKey("chat.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="flags")
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the subject was in the conversation or room when the case opened (seeker, listener, member):
    # staff see at once whether a seeker is at risk or a listener misbehaved.
    subject_role = models.CharField(max_length=12, blank=True)
    source = models.CharField(max_length=12, choices=FlagSource.choices)
    level = models.PositiveSmallIntegerField()  # safety.classifier.Level
    categories = models.JSONField(default=list)
    reason = models.CharField(max_length=300, blank=True)
    excerpt = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    # Set when a sanction or an emergency call was recorded against this item
    # (reporters see "reviewed — action taken" rather than "no action needed").
    action_taken = models.BooleanField(default=False)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    notify_round = models.PositiveSmallIntegerField(default=0)
    # One case per conversation (per member in a group room): later texts attach to the open case.
    texts_attached = models.PositiveIntegerField(default=1)
    # A listener whose held message paused their offers until this case is resolved.
    paused_listener = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["status", "level", "created_at"], name="flag_queue_idx"),
            models.Index(fields=["conversation", "status"], name="flag_case_idx"),
            models.Index(fields=["acknowledged_at", "last_notified_at"], name="flag_unacked_idx"),
            # The service dashboard reads alerts by when they were raised.
            models.Index(fields=["created_at"], name="flag_created_idx"),
        ]


class ReportReason(models.TextChoices):
    HARASSMENT = "harassment", "Harassment"
    INAPPROPRIATE = "inappropriate", "Inappropriate content"
    SPAM = "spam", "Spam"
    UNDERAGE = "underage", "Under 13 or in the wrong age group"
    SELF_HARM_RISK = "self_harm_risk", "At risk of self-harm"
    CONTACT_DETAILS = "contact_details", "Asking for contact details"
    OTHER = "other", "Something else"


class Report(models.Model):
    """A participant's report of a message or of the other person in a chat.

    ``target_key`` ("message:<conversation>:<seq>" or "user:<id>") makes a
    repeated report by the same reporter on the same target the same row.
    """

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made")
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports_received"
    )
    conversation = models.ForeignKey("chat.Conversation", on_delete=models.CASCADE, related_name="reports")
    message = models.ForeignKey(
        "chat.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    target_key = models.CharField(max_length=80)
    reason = models.CharField(max_length=20, choices=ReportReason.choices)
    text = models.TextField(blank=True)
    flag = models.ForeignKey(SafetyFlag, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reporter", "target_key"], name="report_unique_per_target")]
        indexes = [
            models.Index(fields=["reporter", "created_at"], name="report_reporter_idx"),
            models.Index(fields=["created_at"], name="report_created_idx"),  # reports by week (dashboard)
        ]


class SanctionKind(models.TextChoices):
    WARNING = "warning", "Warning"
    MUTE = "mute", "Temporary mute"
    SUSPENSION = "suspension", "Suspension (listener)"
    BAN = "ban", "Ban (seeker)"


class Sanction(models.Model):
    """A graduated measure against one user; each has an expiry or a review date (or both)."""

    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sanctions")
    kind = models.CharField(max_length=12, choices=SanctionKind.choices)
    flag = models.ForeignKey(SafetyFlag, on_delete=models.SET_NULL, null=True, blank=True, related_name="sanctions")
    note = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    review_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=False) | models.Q(review_at__isnull=False),
                name="sanction_has_expiry_or_review",
            )
        ]
        indexes = [
            models.Index(fields=["subject", "kind", "expires_at"], name="sanction_subject_idx"),
            models.Index(fields=["created_at"], name="sanction_created_idx"),  # sanctions by week (dashboard)
        ]


class DeviceLink(models.Model):
    """Which browser (hash of a random device id from a signed cookie) started an anonymous session."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    device_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "device_hash"], name="device_link_unique")]


class DeviceBan(models.Model):
    """No new anonymous session from this browser while active."""

    device_hash = models.CharField(max_length=64, db_index=True)
    sanction = models.ForeignKey(Sanction, on_delete=models.CASCADE, related_name="device_bans")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)


class HeldMessage(models.Model):
    """A chat message that screening held back: stored for the safety review, never delivered.

    Not a ``chat.Message``: it takes no sequence number, so the other side's
    transcript and sync never see a gap or the text.
    """

    conversation = models.ForeignKey("chat.Conversation", on_delete=models.CASCADE, related_name="held_messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    sender_role = models.CharField(max_length=12)
    client_id = models.CharField(max_length=64)
    text = models.TextField()  # masked, as it would have been delivered
    flag = models.ForeignKey(SafetyFlag, on_delete=models.SET_NULL, null=True, related_name="held_messages")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "sender", "client_id"], name="held_message_client_unique")
        ]


class StaffParticipation(models.Model):
    """A safety-staff member who joined a flagged conversation (and whether they took it over)."""

    conversation = models.ForeignKey("chat.Conversation", on_delete=models.CASCADE, related_name="staff_participations")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    joined_at = models.DateTimeField()
    took_over_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "staff"], name="staff_participation_unique")]


class EmergencyCall(models.Model):
    """A call to emergency services or another outside body about a flagged item, recorded by staff."""

    flag = models.ForeignKey(SafetyFlag, on_delete=models.SET_NULL, null=True, related_name="emergency_calls")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    contacted = models.CharField(max_length=200)
    reference = models.CharField(max_length=200, blank=True)
    note = models.TextField()
    created_at = models.DateTimeField()


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit records are append-only.")

    def delete(self):
        raise PermissionError("Audit records are append-only.")


class AuditRecord(models.Model):
    """Who looked at or did what. Append-only: no update, no delete (not even in the admin).

    No foreign key to flags or conversations, so deleting those (retention)
    never touches the trail. The client IP is deliberately not stored.
    """

    # Null for the system (a scheduled job lifting an expired sanction).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_alias = models.CharField(max_length=150, blank=True)  # the actor's display name at the time
    action = models.CharField(max_length=40)
    target_type = models.CharField(max_length=20)
    target_id = models.PositiveBigIntegerField()
    flag_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def save(self, *args, **kwargs):
        if not self._state.adding or self.pk is not None:
            raise PermissionError("Audit records are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit records are append-only.")
