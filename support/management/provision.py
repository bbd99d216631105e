"""Accounts and rooms for demos and tests, made ready to use: one function per thing created.

Shared by ``manage.py seed_demo`` (the demo data of ``make run``) and ``manage.py
hearth_accounts`` (any number of named accounts). Every function is idempotent: run
again with the same arguments it changes nothing; with other arguments it brings the
existing row to what they say (password, topics, capacity, approvals). It refuses,
with ``ProvisionError``, what would quietly hijack something else: a username that
belongs to another kind of account, an alias someone else has, an unknown topic.

A listener made here is trained and active without taking the training quizzes:
that is the point (test accounts), and why the commands refuse to run with DEBUG
off unless told ``--force``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from listeners.models import ListenerProfile, ListenerStatus
from rooms.models import Room, RoomModerator
from support.models import AgeGroup, Role, Topic, User
from support.roles import SAFETY_STAFF_GROUP

#: The capacities a shift allows (listeners.services.shift_start).
CAPACITY_RANGE = range(1, 6)
ROOM_GUIDELINE = (
    "Be kind and keep to the topic. No contact details, no medical advice. "
    "Moderators may hold or remove messages. If you are in danger now, use the crisis lines shown."
)


class ProvisionError(ValueError):
    """Arguments that cannot be applied; the message says which and why."""


@dataclass
class Provisioned:
    """What a function made or found, and whether it had to create it."""

    obj: object
    created: bool


def account_ensure(
    *, username: str, alias: str, password: str, role: str, check_password_strength: bool = False
) -> Provisioned:
    """A user ``username`` with ``alias``, ``role`` and ``password`` (set again if it differs).

    The username is stored in lower case: sign-in (``POST /api/v1/session/login``) lowers
    what people type.
    """
    if not username or not alias:
        raise ProvisionError("A username and an alias are required.")
    username = username.strip().lower()
    if len(alias) > User._meta.get_field("alias").max_length:
        raise ProvisionError(
            f"The alias {alias!r} is too long (at most {User._meta.get_field('alias').max_length} characters)."
        )
    if not password:
        raise ProvisionError("A password is required.")
    user = User.objects.filter(username=username).first()
    if check_password_strength:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise ProvisionError("The password is too weak: " + " ".join(exc.messages)) from None
    if user is not None and user.role != role:
        raise ProvisionError(f"The username {username!r} belongs to a {user.role} account, not a {role} one.")
    taken = User.objects.filter(alias=alias).exclude(username=username).exists()
    if taken:
        raise ProvisionError(f"The alias {alias!r} is already used by another account.")
    created = user is None
    if created:
        user = User(username=username, alias=alias, role=role)
    changed = created or user.alias != alias or not user.check_password(password) or not user.is_active
    if changed:
        user.alias = alias
        user.is_active = True
        user.set_password(password)
        user.save()
    return Provisioned(user, created)


def _topics(slugs: list[str] | None) -> list[Topic]:
    active = Topic.objects.filter(is_active=True)
    if slugs is None:
        return list(active)
    wanted = [slug.strip() for slug in slugs if slug.strip()]
    if not wanted:
        raise ProvisionError("Give at least one topic.")
    found = {topic.slug: topic for topic in active.filter(slug__in=wanted)}
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        known = ", ".join(active.values_list("slug", flat=True))
        raise ProvisionError(f"Unknown topic(s): {', '.join(unknown)}. Known topics: {known}.")
    return [found[slug] for slug in dict.fromkeys(wanted)]


def listener_ensure(
    *,
    username: str,
    alias: str,
    password: str,
    topics: list[str] | None = None,
    capacity: int = 2,
    teen_approved: bool = False,
    bio: str = "",
    check_password_strength: bool = False,
) -> Provisioned:
    """A trained, active listener: serves ``topics`` (None: every active topic), adults, and teens
    when ``teen_approved``; ``capacity`` chats at once when a shift starts without naming one."""
    if capacity not in CAPACITY_RANGE:
        raise ProvisionError(f"The capacity must be {CAPACITY_RANGE.start}–{CAPACITY_RANGE.stop - 1} chats at once.")
    topic_rows = _topics(topics)
    with transaction.atomic():
        made = account_ensure(
            username=username,
            alias=alias,
            password=password,
            role=Role.LISTENER,
            check_password_strength=check_password_strength,
        )
        profile, _ = ListenerProfile.objects.get_or_create(user=made.obj)
        profile.status = ListenerStatus.ACTIVE
        profile.trained_at = profile.trained_at or timezone.now()
        profile.approved_for_adults = True
        profile.approved_for_teens = teen_approved
        profile.wants_teens = teen_approved
        profile.default_capacity = capacity
        profile.bio = bio or profile.bio or "I'm here to listen, without judgement."
        profile.save()
        profile.topics.set(topic_rows)
    return made


def safety_staff_ensure(
    *, username: str, alias: str, password: str, check_password_strength: bool = False
) -> Provisioned:
    """A staff account in the safety staff group (the review queue, alerts and the staff socket)."""
    with transaction.atomic():
        made = account_ensure(
            username=username,
            alias=alias,
            password=password,
            role=Role.STAFF,
            check_password_strength=check_password_strength,
        )
        made.obj.groups.add(Group.objects.get(name=SAFETY_STAFF_GROUP))
    return made


def room_ensure(
    *,
    name: str,
    topic: str,
    moderator_alias: str,
    audience: str = AgeGroup.ADULT,
    capacity: int = 30,
    guideline: str = "",
) -> Provisioned:
    """An active room called ``name`` (the key: one room per name here) on ``topic``, moderated by
    the listener ``moderator_alias``. A new room has no opening hours: it is open whenever a
    moderator is connected (an existing room keeps its hours)."""
    if not name:
        raise ProvisionError("A room needs a name.")
    if len(name) > Room._meta.get_field("name").max_length:
        raise ProvisionError(
            f"The room name is too long (at most {Room._meta.get_field('name').max_length} characters)."
        )
    if audience not in AgeGroup.values:
        raise ProvisionError(f"The audience must be one of: {', '.join(AgeGroup.values)}.")
    if capacity < 1:
        raise ProvisionError("A room holds at least one member.")
    if guideline and len(guideline) > Room._meta.get_field("guideline").max_length:
        raise ProvisionError(
            f"The guideline is too long (at most {Room._meta.get_field('guideline').max_length} characters)."
        )
    [topic_row] = _topics([topic])
    moderator = (
        User.objects.filter(alias=moderator_alias, role=Role.LISTENER).select_related("listener_profile").first()
    )
    if moderator is None:
        raise ProvisionError(f"There is no listener with the alias {moderator_alias!r} (create one first).")
    profile = getattr(moderator, "listener_profile", None)
    if profile is None or not profile.may_take_chats:
        raise ProvisionError(f"{moderator_alias!r} is not a trained, active listener.")
    if audience == AgeGroup.TEEN and not profile.approved_for_teens:
        raise ProvisionError(f"{moderator_alias!r} is not approved for teens, so cannot moderate a teen room.")
    with transaction.atomic():
        room = Room.objects.filter(name=name).first()
        created = room is None
        if created:
            room = Room(name=name)
        room.topic = topic_row
        room.audience = audience
        room.capacity = capacity
        room.guideline = guideline or room.guideline or ROOM_GUIDELINE
        room.is_active = True
        room.save()
        RoomModerator.objects.get_or_create(room=room, listener=moderator)
    return Provisioned(room, created)
