"""Safety records: blocks and flags (more in later migrations: reports, sanctions, audit)."""

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


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLAIMED = "claimed", "Claimed by a reviewer"
    RESOLVED = "resolved", "Resolved"


class SafetyFlag(models.Model):
    """Something a safety reviewer must look at. Written in the same transaction as its message."""

    conversation = models.ForeignKey("chat.Conversation", on_delete=models.CASCADE, null=True, blank=True, related_name="flags")
    message = models.ForeignKey("chat.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="flags")
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
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
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    claimed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    notify_round = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["status", "level", "created_at"], name="flag_queue_idx"),
            models.Index(fields=["acknowledged_at", "last_notified_at"], name="flag_unacked_idx"),
        ]
