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


def drawn_questions(slug: str, listener) -> list:
    """The questions the server drew for ``listener``'s next attempt at ``slug``, in module order."""
    from listeners.models import QuizQuestion
    from listeners.training import quiz_questions_draw

    ids = quiz_questions_draw(listener=listener, slug=slug)
    return list(QuizQuestion.objects.filter(pk__in=ids).order_by("display_order", "pk"))


def correct_answers(slug: str, listener) -> dict[str, int]:
    """Right answers to the questions drawn for ``listener``'s next attempt."""
    return {str(question.pk): question.options.get(is_correct=True).pk for question in drawn_questions(slug, listener)}


def wrong_answers(slug: str, listener, *, wrong: int) -> dict[str, int]:
    """Correct answers to the drawn questions except the first ``wrong``."""
    answers = {}
    for index, question in enumerate(drawn_questions(slug, listener)):
        answers[str(question.pk)] = question.options.filter(is_correct=index >= wrong).first().pk
    return answers


def core_slugs() -> list[str]:
    return list(TrainingModule.objects.filter(audience=ModuleAudience.CORE).values_list("slug", flat=True))


def pass_all_core(user, *, now=None):
    from listeners.training import quiz_attempt_submit

    now = now or timezone.now()
    for slug in core_slugs():
        quiz_attempt_submit(listener=user, slug=slug, answers=correct_answers(slug, user), now=now)
