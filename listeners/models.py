"""Listener profiles and shifts: who may take chats, and who is available now."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ListenerStatus(models.TextChoices):
    PENDING = "pending", "Pending (in training)"
    ACTIVE = "active", "Active"
    REJECTED = "rejected", "Rejected"
    SUSPENDED = "suspended", "Suspended"


class ListenerProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listener_profile")
    status = models.CharField(max_length=16, choices=ListenerStatus.choices, default=ListenerStatus.PENDING)
    bio = models.CharField(max_length=500, blank=True)
    topics = models.ManyToManyField("support.Topic", blank=True, related_name="+")
    wants_teens = models.BooleanField(default=False)
    # Set when every required training module is passed (see listeners.training).
    trained_at = models.DateTimeField(null=True, blank=True)
    approved_for_adults = models.BooleanField(default=True)
    # Needs the teen-support module and a staff decision.
    approved_for_teens = models.BooleanField(default=False)
    accepts_direct_requests = models.BooleanField(default=True)
    # Wellbeing pause after an escalated chat; no offers until then.
    paused_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user.alias} ({self.status})"

    @property
    def is_trained(self) -> bool:
        return self.trained_at is not None

    @property
    def may_take_chats(self) -> bool:
        return self.status == ListenerStatus.ACTIVE and self.is_trained


class ShiftEndReason(models.TextChoices):
    ENDED_BY_LISTENER = "ended_by_listener", "Ended by the listener"
    CONNECTION_LOST = "connection_lost", "Connection lost"
    SUSPENDED = "suspended", "Listener suspended"
    MAX_LENGTH = "max_length", "Maximum shift length reached"


class Shift(models.Model):
    listener = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shifts")
    topics = models.ManyToManyField("support.Topic", related_name="+")
    capacity = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=24, choices=ShiftEndReason.choices, blank=True)
    # The last moment this listener became free of chats; "longest idle" sorts on it.
    idle_since = models.DateTimeField()
    # Set once the maximum shift length has passed and the listener was told.
    max_length_reached_at = models.DateTimeField(null=True, blank=True)
    chats_taken = models.PositiveIntegerField(default=0)
    chats_escalated = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["listener"], condition=Q(ended_at__isnull=True), name="one_open_shift_per_listener"),
            models.CheckConstraint(condition=Q(capacity__gte=1) & Q(capacity__lte=5), name="shift_capacity_1_to_5"),
        ]
        indexes = [models.Index(fields=["ended_at"], name="shift_open_idx")]

    def __str__(self) -> str:
        return f"Shift of {self.listener_id} from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None
