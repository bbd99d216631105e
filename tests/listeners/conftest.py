"""Fixtures for the listener program tests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from listeners.models import ListenerStatus, ModuleAudience, TrainingModule
from support.roles import LISTENER_MANAGERS_GROUP
from tests.factories import ListenerFactory, SeekerFactory, UserFactory


@pytest.fixture
def manager(db):
    user = UserFactory(username="manager1", alias="ListenerManager1", role="staff")
    user.groups.add(Group.objects.get(name=LISTENER_MANAGERS_GROUP))
    return user


@pytest.fixture
def pending_listener(db):
    return ListenerFactory(profile__status=ListenerStatus.PENDING, profile__trained_at=None)


@pytest.fixture
def listener(db):
    return ListenerFactory()


@pytest.fixture
def seeker(db):
    return SeekerFactory()


def client_for(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(user)
    return client


def correct_answers(slug: str) -> dict[str, int]:
    module = TrainingModule.objects.get(slug=slug)
    return {str(question.pk): question.options.get(is_correct=True).pk for question in module.questions.all()}


def wrong_answers(slug: str, *, wrong: int) -> dict[str, int]:
    """Correct answers except the first ``wrong`` questions."""
    module = TrainingModule.objects.get(slug=slug)
    answers = {}
    for index, question in enumerate(module.questions.all()):
        answers[str(question.pk)] = question.options.filter(is_correct=index >= wrong).first().pk
    return answers


def core_slugs() -> list[str]:
    return list(TrainingModule.objects.filter(audience=ModuleAudience.CORE).values_list("slug", flat=True))


def pass_all_core(user, *, now=None):
    from listeners.training import quiz_attempt_submit

    now = now or timezone.now()
    for slug in core_slugs():
        quiz_attempt_submit(listener=user, slug=slug, answers=correct_answers(slug), now=now)
