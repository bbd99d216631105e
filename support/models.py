"""Identities and topics: the things every other app refers to."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    SEEKER = "seeker", "Seeker"
    LISTENER = "listener", "Listener"
    STAFF = "staff", "Safety staff"


class AgeGroup(models.TextChoices):
    TEEN = "teen", "Teen (13–17)"
    ADULT = "adult", "Adult (18+)"


class User(AbstractUser):
    """One account type for everyone.

    ``role`` says what kind of account this is; what a staff member may do is
    decided by Django permissions (see ``support.roles``), never by ``role``
    alone. Anonymous seekers have an unusable password, no email and a
    generated alias that is also their username.
    """

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.SEEKER, db_index=True)
    alias = models.CharField(max_length=40, unique=True)
    age_group = models.CharField(max_length=8, choices=AgeGroup.choices, blank=True)
    # Set when a seeker deleted their account while part of it was under safety review:
    # the account is closed and scrubbed, and retention deletes the row once nothing holds it.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [
            ("safety_review", "Can work the safety review queue and act on flags"),
            ("listener_manage", "Can approve, reject and suspend listeners"),
            ("room_manage", "Can create rooms and grant room moderation"),
            ("service_metrics", "Can read the staffing and safety dashboard"),
        ]

    def __str__(self) -> str:
        return self.alias or self.username

    @property
    def is_seeker(self) -> bool:
        return self.role == Role.SEEKER

    @property
    def is_listener(self) -> bool:
        return self.role == Role.LISTENER

    @property
    def is_teen(self) -> bool:
        return self.age_group == AgeGroup.TEEN


class Topic(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60)
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    display_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["display_order", "name"]

    def __str__(self) -> str:
        return self.name


class Connection(models.Model):
    """One open websocket, refreshed by a heartbeat.

    Presence is read from these rows, so every Daphne process sees every
    socket; a process that dies leaves rows whose heartbeat goes stale, and
    the presence sweep treats them as gone after the grace period.
    """

    channel_name = models.CharField(max_length=200, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="connections")
    opened_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "last_seen_at"], name="connection_user_seen_idx")]


class PrivacyNoticeAcceptance(models.Model):
    """How many people accepted a version of the privacy notice on a day; nothing about who.

    The only record of acceptance on the server: no user, session, address
    or time of day is kept with it (``support.privacy``; docs/privacy.md).
    """

    version = models.PositiveIntegerField()
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "day"], name="privacy_acceptance_version_day")]
