"""factory_boy factories for the models tests use most."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from listeners.models import ListenerProfile, ListenerStatus, Shift
from support.models import AgeGroup, Role, Topic, User
from support.roles import SAFETY_STAFF_GROUP

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    alias = factory.Sequence(lambda n: f"Alias{n}")
    role = Role.SEEKER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SeekerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"seeker{n}")
    alias = factory.Sequence(lambda n: f"QuietSeeker{n}")
    role = Role.SEEKER
    age_group = AgeGroup.ADULT


class TeenSeekerFactory(SeekerFactory):
    age_group = AgeGroup.TEEN


class ListenerFactory(UserFactory):
    """An active, trained listener approved for adults (teens with approved_for_teens=True)."""

    username = factory.Sequence(lambda n: f"listener{n}")
    alias = factory.Sequence(lambda n: f"KindListener{n}")
    role = Role.LISTENER
    age_group = AgeGroup.ADULT

    @factory.post_generation
    def profile(obj, create, extracted, **kwargs):
        if not create:
            return
        defaults = {"status": ListenerStatus.ACTIVE, "trained_at": timezone.now(), "approved_for_adults": True}
        defaults.update(kwargs)
        ListenerProfile.objects.update_or_create(user=obj, defaults=defaults)


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    alias = factory.Sequence(lambda n: f"SafetyStaff{n}")
    role = Role.STAFF

    @factory.post_generation
    def safety_group(obj, create, extracted, **kwargs):
        if create:
            obj.groups.add(Group.objects.get(name=SAFETY_STAFF_GROUP))


def topic(slug: str = "anxiety") -> Topic:
    return Topic.objects.get(slug=slug)


def open_shift(listener: User, *, topics=("anxiety",), capacity: int = 2, started_at=None) -> Shift:
    now = started_at or timezone.now()
    shift = Shift.objects.create(listener=listener, capacity=capacity, started_at=now, idle_since=now)
    shift.topics.set(Topic.objects.filter(slug__in=topics))
    return shift
