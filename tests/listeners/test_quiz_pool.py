"""Quiz question pools: each attempt answers the questions the server drew for it, and only those."""

from __future__ import annotations

import pytest
from django.conf import settings

from listeners.models import QuizAttempt, QuizDraw, QuizQuestion, TrainingModule
from listeners.training import quiz_attempt_submit, quiz_questions_draw
from support.errors import DomainError
from tests.listeners.conftest import client_for, correct_answers

SLUG = "open-questions"


def _url(slug: str = SLUG) -> str:
    return f"/api/v1/listeners/training/{slug}"


def _undrawn(slug: str, drawn) -> QuizQuestion:
    return QuizQuestion.objects.filter(module__slug=slug).exclude(pk__in=list(drawn)).first()


@pytest.mark.django_db
def test_every_seeded_module_has_a_pool_larger_than_an_attempt_asks():
    for module in TrainingModule.objects.all():
        assert module.questions.count() > settings.LISTENERS_QUIZ_QUESTIONS_PER_ATTEMPT, module.slug


@pytest.mark.django_db
def test_the_module_shows_the_drawn_questions_and_the_same_ones_on_reload(pending_listener):
    client = client_for(pending_listener)
    first = [q["id"] for q in client.get(_url()).json()["questions"]]
    assert len(first) == settings.LISTENERS_QUIZ_QUESTIONS_PER_ATTEMPT
    # Reloading cannot shop for easier questions: the draw is kept until the attempt is submitted.
    for _ in range(5):
        assert [q["id"] for q in client.get(_url()).json()["questions"]] == first
    assert QuizDraw.objects.get(listener=pending_listener, module__slug=SLUG).questions == first


@pytest.mark.django_db
def test_questions_per_attempt_is_a_setting(pending_listener, settings):
    settings.LISTENERS_QUIZ_QUESTIONS_PER_ATTEMPT = 3
    body = client_for(pending_listener).get(_url()).json()
    assert len(body["questions"]) == 3
    overview = client_for(pending_listener).get("/api/v1/listeners/training").json()
    assert {module["question_count"] for module in overview["modules"]} == {3}


@pytest.mark.django_db
def test_the_draw_varies_per_attempt_and_is_stored_on_the_attempt(pending_listener, settings):
    settings.LISTENERS_QUIZ_RETAKE_COOLDOWN_SECONDS = 0
    client = client_for(pending_listener)
    draws = set()
    for _ in range(12):
        drawn = [q["id"] for q in client.get(_url()).json()["questions"]]
        answers = correct_answers(SLUG, pending_listener)
        assert sorted(int(key) for key in answers) == sorted(drawn)
        response = client.post(f"{_url()}/attempts", {"answers": answers}, format="json")
        assert response.status_code == 201
        assert QuizAttempt.objects.filter(listener=pending_listener).first().questions == drawn
        draws.add(tuple(drawn))
    # 8 questions, 5 asked: 56 possible draws; twelve identical ones would happen about once in 10^19.
    assert len(draws) > 1


@pytest.mark.django_db
def test_answering_a_question_that_was_not_drawn_is_refused(pending_listener):
    client = client_for(pending_listener)
    answers = correct_answers(SLUG, pending_listener)
    extra = _undrawn(SLUG, map(int, answers))
    with_extra = answers | {str(extra.pk): extra.options.get(is_correct=True).pk}
    response = client.post(f"{_url()}/attempts", {"answers": with_extra}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "question_not_drawn"
    swapped = dict(list(answers.items())[1:]) | {str(extra.pk): extra.options.get(is_correct=True).pk}
    response = client.post(f"{_url()}/attempts", {"answers": swapped}, format="json")
    assert response.json()["error"] == "question_not_drawn"
    assert not QuizAttempt.objects.exists()


@pytest.mark.django_db
def test_a_client_cannot_choose_its_questions_by_answering_the_whole_pool(pending_listener):
    module = TrainingModule.objects.get(slug=SLUG)
    quiz_questions_draw(listener=pending_listener, slug=SLUG)
    every = {str(q.pk): q.options.get(is_correct=True).pk for q in module.questions.all()}
    with pytest.raises(DomainError) as refused:
        quiz_attempt_submit(listener=pending_listener, slug=SLUG, answers=every)
    assert refused.value.code == "question_not_drawn"


@pytest.mark.django_db
def test_an_attempt_without_drawn_questions_is_refused(pending_listener):
    module = TrainingModule.objects.get(slug=SLUG)
    first_five = {str(q.pk): q.options.get(is_correct=True).pk for q in module.questions.all()[:5]}
    response = client_for(pending_listener).post(f"{_url()}/attempts", {"answers": first_five}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "no_questions_drawn"


@pytest.mark.django_db
def test_a_drawn_question_removed_by_staff_means_a_new_draw(pending_listener):
    drawn = quiz_questions_draw(listener=pending_listener, slug=SLUG)
    QuizQuestion.objects.filter(pk=drawn[0]).delete()
    with pytest.raises(DomainError) as refused:
        quiz_attempt_submit(listener=pending_listener, slug=SLUG, answers={str(pk): 1 for pk in drawn[1:]})
    assert refused.value.code == "no_questions_drawn"
    redrawn = quiz_questions_draw(listener=pending_listener, slug=SLUG)
    assert drawn[0] not in redrawn and len(redrawn) == settings.LISTENERS_QUIZ_QUESTIONS_PER_ATTEMPT
