"""Topic group rooms: rooms, their moderators and hours, presence, messages, moderation.

Fan-out stays cheap: a message is one ``RoomMessage`` row and one channel
layer send to the room group, whatever the number of members. Presence is a
``RoomPresence`` row per open socket with a heartbeat, so every Daphne process
sees every member and a dead process's rows go stale and are swept. Who came
and went is told in coalesced deltas (``RoomPresenceFeed``,
``RoomPresenceChange``), so a join does not cost every member the whole list.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from support.models import AgeGroup


class Room(models.Model):
    topic = models.ForeignKey("support.Topic", on_delete=models.PROTECT, related_name="rooms")
    # Teen seekers only ever see teen rooms, adults only adult rooms.
    audience = models.CharField(max_length=8, choices=AgeGroup.choices)
    name = models.CharField(max_length=80)
    guideline = models.CharField(
        max_length=600,
        help_text="The short pinned guideline every newcomer acknowledges once before their first message.",
    )
    capacity = models.PositiveSmallIntegerField(default=30, help_text="Members at once (moderators not counted).")
    slow_mode_seconds = models.PositiveIntegerField(
        default=0, help_text="0 = off; else one message per N seconds per member."
    )
    is_active = models.BooleanField(default=True)
    # Highest sequence number handed out; the next message takes last_seq + 1.
    last_seq = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["topic__display_order", "name", "pk"]
        indexes = [models.Index(fields=["audience", "is_active"], name="room_audience_idx")]
        constraints = [models.CheckConstraint(condition=Q(capacity__gte=1), name="room_capacity_positive")]

    def __str__(self) -> str:
        return f"{self.name} ({self.audience})"


class RoomModerator(models.Model):
    """A listener granted moderation in one room."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="moderators")
    listener = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_moderations")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "listener"], name="room_moderator_unique")]


class RoomOpeningHours(models.Model):
    """When a room usually opens (UTC), shown to joiners while no moderator is present."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday … 6 = Sunday")
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="room_hours_weekday_range"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="room_hours_order"),
        ]


class RoomPresence(models.Model):
    """One open room socket, refreshed by the consumer's heartbeat."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="presence")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    is_moderator = models.BooleanField(default=False)
    joined_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["room", "last_seen_at"], name="room_presence_idx")]


class RoomPresenceFeed(models.Model):
    """How far who-is-here in a room has changed, and how far its members were told.

    ``version`` goes up (under the room row lock) whenever someone arrives
    or leaves; ``room.hello`` carries the version its member list is exact
    for. The scheduler tick sends one coalesced ``room.presence`` delta from
    ``sent_version`` to ``version`` (at most one per room per tick interval,
    ``sent_at``). Kept apart from ``Room`` so that saving a room (the admin)
    can never write an old version back.
    """

    room = models.OneToOneField(Room, on_delete=models.CASCADE, primary_key=True, related_name="presence_feed")
    version = models.PositiveBigIntegerField(default=0)
    sent_version = models.PositiveBigIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)


class RoomPresenceChange(models.Model):
    """Someone whose presence in a room changed since the last ``room.presence`` delta.

    The next delta says where each of them is now (here, or gone) and the
    rows are deleted. One row per person however often they came and went.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="room_presence_change_unique")]


class RoomMembership(models.Model):
    """A user's standing in a room: guideline, mute, removal, slow-mode clock."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_memberships")
    guideline_acknowledged_at = models.DateTimeField(null=True, blank=True)
    muted_until = models.DateTimeField(null=True, blank=True)
    removed_until = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="room_membership_unique")]


class RoomMessageKind(models.TextChoices):
    TEXT = "text", "Text"
    SYSTEM = "system", "System notice"


class RoomMessageStatus(models.TextChoices):
    VISIBLE = "visible", "Visible"
    HELD = "held", "Held for a moderator (safety)"
    HIDDEN = "hidden", "Hidden pending review (reports)"
    REMOVED = "removed", "Removed by a moderator"


class RoomMessage(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=RoomMessageKind.choices, default=RoomMessageKind.TEXT)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sender_is_moderator = models.BooleanField(default=False)
    client_id = models.CharField(max_length=64, blank=True)
    text = models.TextField(blank=True)
    masked = models.BooleanField(default=False)
    risk_level = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=8, choices=RoomMessageStatus.choices, default=RoomMessageStatus.VISIBLE)
    # The safety flag raised for a held message (safety staff follow it from the flag).
    flag = models.ForeignKey(
        "safety.SafetyFlag", on_delete=models.SET_NULL, null=True, blank=True, related_name="room_messages"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["room_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="room_message_seq_unique"),
            models.UniqueConstraint(
                fields=["room", "sender", "client_id"], condition=~Q(client_id=""), name="room_message_client_id_unique"
            ),
        ]
        indexes = [models.Index(fields=["room", "status"], name="room_message_status_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} in room {self.room_id}"


class RoomMessageReport(models.Model):
    message = models.ForeignKey(RoomMessage, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "reporter"], name="room_report_once_per_reporter")]


class ModerationAction(models.TextChoices):
    MESSAGE_REMOVED = "message_removed", "Message removed"
    MESSAGE_RELEASED = "message_released", "Held or hidden message released"
    MESSAGE_HELD = "message_held", "Message held by the safety screening"
    MESSAGE_HIDDEN = "message_hidden", "Message hidden after reports"
    MEMBER_MUTED = "member_muted", "Member muted"
    MEMBER_REMOVED = "member_removed", "Member removed for the day"
    SLOW_MODE = "slow_mode", "Slow mode changed"
    MODERATOR_GRANTED = "moderator_granted", "Moderation granted"
    RESOURCES_SENT = "resources_sent", "Crisis lines sent"
    ONE_TO_ONE_OFFERED = "one_to_one_offered", "One-to-one chat offered"
    ONE_TO_ONE_ACCEPTED = "one_to_one_accepted", "One-to-one chat accepted"


class RoomModerationAction(models.Model):
    """Append-only audit of every moderation action (automatic ones have no actor)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="moderation_actions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=24, choices=ModerationAction.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.ForeignKey(RoomMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["room", "created_at"], name="room_moderation_idx")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Moderation records are append-only.")
        super().save(*args, **kwargs)
