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


def suspended_listener_q(via: str = "") -> Q:
    """``ListenerProfile.is_suspended`` as a filter, for queries that must say it in SQL: on
    profile rows, or through ``via`` from a model that leads to one
    (``"listener__listener_profile__"`` from a conversation). tests/listeners/test_one_rule.py
    holds the two together."""
    return Q(**{f"{via}status": ListenerStatus.SUSPENDED})


def listener_may_take_chats(*, status: str, trained_at) -> bool:
    """Approved (active: so neither pending, rejected nor suspended) and trained. Takes the two
    fields rather than a profile so the dispatch round's compiled read
    (``listeners.candidates_sql``) applies it to plain rows."""
    return status == ListenerStatus.ACTIVE and trained_at is not None


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
    # Chats at once when a shift starts without naming a capacity (shift.start); 1–5 like a shift's.
    default_capacity = models.PositiveSmallIntegerField(default=2)
    # Wellbeing pause after a hard chat (one with a safety case); no offers until then.
    paused_until = models.DateTimeField(null=True, blank=True)
    # Set by safety when this listener's message to a teen was held: no offers until a reviewer decides.
    held_for_review = models.BooleanField(default=False)
    # When the applicant declared they are 18 or over (the application refuses without it).
    adult_declared_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Ratings reach the listener in batches (listeners.feedback.feedback_release): those created up
    # to ``feedback_released_through`` are shown, released last at ``feedback_released_at``.
    feedback_released_at = models.DateTimeField(null=True, blank=True)
    feedback_released_through = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user.alias} ({self.status})"

    @property
    def is_suspended(self) -> bool:
        """The one rule for "this listener is suspended" (by the listener program or a safety
        sanction): no shifts, no training, no chat socket, no transcript of theirs."""
        return self.status == ListenerStatus.SUSPENDED

    @property
    def is_trained(self) -> bool:
        return self.trained_at is not None

    @property
    def may_take_chats(self) -> bool:
        return listener_may_take_chats(status=self.status, trained_at=self.trained_at)


class PracticeReply(models.Model):
    """An applicant's reply to one turn of the scripted practice chat (``listeners.practice``).

    Written once, with the application; read by the staff member deciding it. The seeker's
    turn is kept as it was shown, so a later change to the script does not rewrite history.
    The reply is stored as the screening left it (contact details masked), with what the
    screening would have done to it as a message to a seeker.
    """

    listener = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_replies")
    turn = models.PositiveSmallIntegerField()
    seeker_text = models.CharField(max_length=500)
    text = models.TextField()
    masked = models.BooleanField(default=False)
    # A listener's message saying this would have been held back and flagged (verdict_for).
    would_hold = models.BooleanField(default=False)
    risk_level = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["listener_id", "turn"]
        constraints = [models.UniqueConstraint(fields=["listener", "turn"], name="one_practice_reply_per_turn")]

    def __str__(self) -> str:
        return f"Practice turn {self.turn} of {self.listener_id}"


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
    # Chats of this shift that had a safety case (Conversation.has_safety_case): hard chats.
    hard_chats = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["listener"], condition=Q(ended_at__isnull=True), name="one_open_shift_per_listener"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1) & Q(capacity__lte=5), name="shift_capacity_1_to_5"),
        ]
        indexes = [
            models.Index(fields=["ended_at"], name="shift_open_idx"),
            # The service dashboard reads the shifts overlapping a date range.
            models.Index(fields=["started_at"], name="shift_started_idx"),
        ]

    def __str__(self) -> str:
        return f"Shift of {self.listener_id} from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class DecisionAction(models.TextChoices):
    APPROVE = "approve", "Approved"
    REJECT = "reject", "Rejected"
    SUSPEND = "suspend", "Suspended"
    REINSTATE = "reinstate", "Reinstated"
    APPROVE_TEENS = "approve_teens", "Approved for teen chats"
    REVOKE_TEENS = "revoke_teens", "Teen approval withdrawn"


class ListenerDecision(models.Model):
    """One staff decision about a listener. Append-only: services create rows, nothing updates them."""

    listener = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listener_decisions")
    # Kept when the staff account is deleted: the decision still happened.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="listener_decisions_made"
    )
    decided_by_alias = models.CharField(max_length=40)
    action = models.CharField(max_length=16, choices=DecisionAction.choices)
    status_before = models.CharField(max_length=16, choices=ListenerStatus.choices)
    status_after = models.CharField(max_length=16, choices=ListenerStatus.choices)
    note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["listener", "created_at"], name="decision_listener_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.listener_id} by {self.decided_by_alias}"


class ModuleAudience(models.TextChoices):
    CORE = "core", "Required for every listener"
    TEENS = "teens", "Required for teen approval"


class TrainingModule(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=120)
    summary = models.CharField(max_length=300)
    body = models.TextField(help_text="Paragraphs separated by blank lines.")
    audience = models.CharField(max_length=8, choices=ModuleAudience.choices, default=ModuleAudience.CORE)
    display_order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_order", "pk"]

    def __str__(self) -> str:
        return self.title


class QuizQuestion(models.Model):
    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(max_length=400)
    display_order = models.PositiveSmallIntegerField(default=100)
    # Shown after an attempt whatever the answer: it teaches without giving away the option.
    explanation = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["display_order", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class QuizOption(models.Model):
    question = models.ForeignKey(QuizQuestion, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(max_length=300)
    is_correct = models.BooleanField(default=False)
    display_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["display_order", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class QuizAttempt(models.Model):
    listener = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts")
    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="attempts")
    score = models.PositiveSmallIntegerField(help_text="Percent of questions answered correctly.")
    passed = models.BooleanField()
    # {question_id: option_id} as submitted (ids as strings).
    answers = models.JSONField(default=dict)
    # The question ids drawn for this attempt (QuizDraw), the only ones it could answer.
    questions = models.JSONField(default=list)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["listener", "module", "created_at"], name="attempt_listener_module_idx")]


class QuizDraw(models.Model):
    """The questions a listener's next attempt at a module answers, drawn by the server from the
    module's pool (``listeners.training``) and kept until that attempt is submitted, so reloading
    the module cannot shop for questions one knows."""

    listener = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_draws")
    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="draws")
    questions = models.JSONField(default=list)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["listener", "module"], name="one_quiz_draw_per_module")]


class Rating(models.Model):
    """A seeker's rating of the listener after an ended chat; one per conversation."""

    conversation = models.ForeignKey("chat.Conversation", on_delete=models.CASCADE, related_name="+")
    listener = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings_received")
    seeker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    score = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField()
    followed_up_at = models.DateTimeField(null=True, blank=True)
    followed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation"], name="one_rating_per_conversation"),
            models.CheckConstraint(condition=Q(score__gte=1) & Q(score__lte=5), name="rating_score_1_to_5"),
        ]
        indexes = [models.Index(fields=["listener", "created_at"], name="rating_listener_idx")]

    @property
    def needs_follow_up(self) -> bool:
        return self.score <= 2 and bool(self.comment)


class Favourite(models.Model):
    seeker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites")
    listener = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourited_by")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["seeker", "listener"], name="favourite_unique_pair")]


class PagingPreference(models.Model):
    """A listener's choice to be paged when the line for their topics grows while nobody on shift
    can take it (``listeners.paging``). One row per listener who ever set it; no row = not paged.

    The topics are the profile's (``ListenerProfile.topics``); the e-mail address is the
    account's (``User.email``). ``last_paged_at`` is the once-an-hour limit, claimed by a
    conditional UPDATE so two processes running the job page once.
    """

    listener = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="paging")
    enabled = models.BooleanField(default=False)
    email_enabled = models.BooleanField(default=False)
    # Local wall-clock times in ``time_zone``; both set or both empty; end before start spans midnight.
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    last_paged_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_start__isnull=True, quiet_end__isnull=True)
                | Q(quiet_start__isnull=False, quiet_end__isnull=False),
                name="paging_quiet_hours_both_or_neither",
            )
        ]
        indexes = [models.Index(fields=["enabled"], name="paging_enabled_idx")]

    def __str__(self) -> str:
        return f"Paging of {self.listener_id} ({'on' if self.enabled else 'off'})"
