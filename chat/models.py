"""Requests, offers, conversations and messages.

The database is the truth for delivery: every message has a gap-free
sequence number per conversation, and clients resume from the last one they
saw. Conversations exist from the moment a seeker asks for someone, so what
they write while waiting is kept and handed to the listener at the match.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ConversationStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for a listener"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class EndReason(models.TextChoices):
    SEEKER_ENDED = "seeker_ended", "The seeker ended the chat."
    LISTENER_ENDED = "listener_ended", "The listener ended the chat."
    INACTIVITY = "inactivity", "The chat ended after a long quiet spell."
    CANCELLED = "cancelled", "The request was cancelled before a listener joined."
    LISTENER_LEFT = "listener_left", "The listener lost their connection."
    BLOCKED = "blocked", "The chat ended because one side blocked the other."
    LISTENER_SUSPENDED = "listener_suspended", "The listener is no longer available."
    STAFF_ENDED = "staff_ended", "A member of the safety team closed the chat."
    SEEKER_GONE = (
        "seeker_gone",
        ("You were away for a while, so we took you out of the line. You can ask for someone again at any time."),
    )


class Conversation(models.Model):
    seeker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seeker_conversations")
    listener = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="listener_conversations",
    )
    topic = models.ForeignKey("support.Topic", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=12, choices=ConversationStatus.choices, default=ConversationStatus.WAITING)
    end_reason = models.CharField(max_length=24, choices=EndReason.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Highest sequence number handed out; the next message takes last_seq + 1.
    last_seq = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(auto_now_add=True)
    inactivity_warned_at = models.DateTimeField(null=True, blank=True)
    seeker_read_seq = models.PositiveIntegerField(default=0)
    listener_read_seq = models.PositiveIntegerField(default=0)
    # A safety case was opened in this chat (screening or the listener flagged it): a hard chat.
    has_safety_case = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["status", "last_activity_at"], name="conversation_activity_idx"),
            models.Index(fields=["listener", "status"], name="conversation_listener_idx"),
            models.Index(fields=["seeker", "status"], name="conversation_seeker_idx"),
            # The service dashboard counts chats started and ended per day (metrics.selectors).
            models.Index(fields=["started_at"], name="conversation_started_idx"),
            models.Index(fields=["ended_at"], name="conversation_ended_idx"),
        ]

    def __str__(self) -> str:
        return f"Conversation {self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status != ConversationStatus.ENDED

    def role_of(self, user_id: int) -> str | None:
        if user_id == self.seeker_id:
            return "seeker"
        if user_id is not None and user_id == self.listener_id:
            return "listener"
        return None


class MessageKind(models.TextChoices):
    TEXT = "text", "Text"
    SYSTEM = "system", "System notice"


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=MessageKind.choices, default=MessageKind.TEXT)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sender_role = models.CharField(max_length=12, blank=True)  # seeker | listener | staff | system
    client_id = models.CharField(max_length=64, blank=True)
    text = models.TextField()
    # True when personal information was masked before storing.
    masked = models.BooleanField(default=False)
    risk_level = models.PositiveSmallIntegerField(default=0)
    # A system line meant for one side only ("seeker": "Your listener lost their connection…");
    # empty for everyone. Still stored and numbered in the transcript, so seqs stay gap-free;
    # the other side's page does not show it.
    for_role = models.CharField(max_length=12, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["conversation", "sender", "client_id"],
                condition=~Q(client_id=""),
                name="message_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} in {self.conversation_id}"


class RequestStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered to a listener"
    MATCHED = "matched", "Matched"
    CANCELLED = "cancelled", "Cancelled"


class RequestPriority(models.IntegerChoices):
    NORMAL = 0, "Normal"
    RETURNING = 1, "Returning (their listener left)"
    URGENT = 2, "Urgent (raised by safety)"


def request_priority(*, urgent: bool, returning: bool = False) -> RequestPriority:
    """The one rule for a request's place ahead of others: urgent first (safety raised the seeker,
    the note or the chat), then a seeker back in line because their listener left or handed the
    chat over, then everyone else. Rounds and places in line order by it (``chat.matching``)."""
    if urgent:
        return RequestPriority.URGENT
    if returning:
        return RequestPriority.RETURNING
    return RequestPriority.NORMAL


class ChatRequest(models.Model):
    """A seeker's place in the queue. One open request per seeker."""

    seeker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_requests")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="requests")
    topic = models.ForeignKey("support.Topic", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    age_group = models.CharField(max_length=8)
    requested_listener = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=12, choices=RequestStatus.choices, default=RequestStatus.WAITING)
    priority = models.PositiveSmallIntegerField(choices=RequestPriority.choices, default=RequestPriority.NORMAL)
    # Queue order within a priority; kept when an offer is declined so the seeker keeps their place.
    queued_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    specific_until = models.DateTimeField(null=True, blank=True)
    widen_offered_at = models.DateTimeField(null=True, blank=True)
    matched_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set while the seeker has had no open socket for ``MATCHING_SEEKER_AWAY_SECONDS``: the request
    # is out of the line (not offered, not counted) but keeps ``queued_at``, its place, if they return.
    away_since = models.DateTimeField(null=True, blank=True)
    # When the seeker's last socket closed (a process that dies closes none: its rows go stale).
    seeker_left_at = models.DateTimeField(null=True, blank=True)
    # For a transfer: the listener handing the chat over (null for a seeker's request).
    transfer_from = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"],
                condition=Q(status__in=["waiting", "offered"]),
                name="one_open_request_per_conversation",
            ),
            models.UniqueConstraint(
                fields=["seeker"],
                condition=Q(status__in=["waiting", "offered"], transfer_from__isnull=True),
                name="one_open_request_per_seeker",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "priority", "queued_at"], name="request_queue_idx"),
            # The service dashboard reads waits and abandonment by when requests were made.
            models.Index(fields=["created_at"], name="request_created_idx"),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in (RequestStatus.WAITING, RequestStatus.OFFERED)


class OfferStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Offer(models.Model):
    request = models.ForeignKey(ChatRequest, on_delete=models.CASCADE, related_name="offers")
    listener = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offers")
    status = models.CharField(max_length=12, choices=OfferStatus.choices, default=OfferStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    # Declined with "not me for this one": never offered this request again (else only a cool-down).
    never_again = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(status="pending"), name="one_pending_offer_per_request"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="offer_expiry_idx"),
            models.Index(fields=["listener", "status"], name="offer_listener_idx"),
        ]


class DispatchLock(models.Model):
    """A single row that serialises matching across processes (select_for_update)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_run_at = models.DateTimeField(null=True, blank=True)
