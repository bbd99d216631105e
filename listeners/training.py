"""The listener course: reading progress, drawing quiz questions, and checking attempts on the server.

Which option is correct never leaves this module: payloads carry option ids
and texts only, and an attempt's result says per question whether the
answer was right, not what the right answer was, and only once the attempt passed:
a failed attempt says how many answers were wrong.

Each module has a pool of questions, larger than the
``LISTENERS_QUIZ_QUESTIONS_PER_ATTEMPT`` an attempt asks. The server draws an
attempt's questions (``quiz_questions_draw``) when the module is opened and
keeps them (``QuizDraw``) until that attempt is submitted: an attempt answers
exactly those, and reloading the module shows the same ones, so a client can
neither answer questions it was not given nor choose its questions. The seed
questions and their answers are public in the repository, so the pool raises
the cost of guessing, not of reading the key: staff approval is what decides.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chat.events import user_event
from listeners.models import (
    ListenerProfile,
    ListenerStatus,
    ModuleAudience,
    QuizAttempt,
    QuizDraw,
    TrainingModule,
)
from support.errors import DomainError, NotFoundOrForbidden

RETAKE_TOO_SOON = "You can retake this quiz in a little while. Have another read of the module meanwhile."
MISSING_ANSWERS = "Answer every question before submitting."
INVALID_ANSWERS = "Answers are an object of question id to option id."
TRAINING_SUSPENDED = "Your listener account is suspended."
NOT_DRAWN = "Some answers are for questions this attempt did not ask. Reload the module and answer its questions."
NOTHING_DRAWN = "Open the module to get this attempt's questions first."

# Draws are not secrets (the pool is public), but they should not be predictable from a seed either.
_draw_random = random.SystemRandom()


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def _profile_for(listener) -> ListenerProfile:
    profile = ListenerProfile.objects.filter(user_id=getattr(listener, "pk", None)).first()
    if profile is None:
        raise DomainError("not_a_listener", "The training is for listeners.", status=403)
    return profile


def _passed_module_ids(listener_id: int) -> set[int]:
    return set(QuizAttempt.objects.filter(listener_id=listener_id, passed=True).values_list("module_id", flat=True))


def required_modules() -> list[TrainingModule]:
    return list(TrainingModule.objects.filter(is_active=True, audience=ModuleAudience.CORE))


def core_training_complete(listener_id: int) -> bool:
    required = {module.pk for module in required_modules()}
    return bool(required) and required <= _passed_module_ids(listener_id)


def teen_module_passed(listener_id: int) -> bool:
    teen = set(
        TrainingModule.objects.filter(is_active=True, audience=ModuleAudience.TEENS).values_list("pk", flat=True)
    )
    return bool(teen) and teen <= _passed_module_ids(listener_id)


def _retry_after(last: QuizAttempt | None, *, now) -> int | None:
    """Seconds until a failed quiz may be retaken; None when it may be taken now."""
    if last is None or last.passed:
        return None
    ready_at = last.created_at + timedelta(seconds=settings.LISTENERS_QUIZ_RETAKE_COOLDOWN_SECONDS)
    if ready_at <= now:
        return None
    return max(1, math.ceil((ready_at - now).total_seconds()))


def _module_progress(module: TrainingModule, attempts: list[QuizAttempt], *, wants_teens: bool, now) -> dict:
    mine = [attempt for attempt in attempts if attempt.module_id == module.pk]  # newest first
    passed = any(attempt.passed for attempt in mine)
    return {
        "slug": module.slug,
        "title": module.title,
        "summary": module.summary,
        "audience": module.audience,
        "required": module.audience == ModuleAudience.CORE,
        "required_for_teens": module.audience == ModuleAudience.TEENS,
        "status": "passed" if passed else ("failed" if mine else "not_started"),
        "best_score": max((attempt.score for attempt in mine), default=None),
        "attempts": len(mine),
        "retry_after": None if passed else _retry_after(mine[0] if mine else None, now=now),
    }


def training_overview(*, listener, now=None) -> dict:
    """Every module with this listener's progress, and whether the course is complete."""
    now = now or timezone.now()
    profile = _profile_for(listener)
    modules = list(TrainingModule.objects.filter(is_active=True).prefetch_related("questions"))
    attempts = list(QuizAttempt.objects.filter(listener_id=listener.pk).order_by("-created_at", "-pk"))
    items = [_module_progress(module, attempts, wants_teens=profile.wants_teens, now=now) for module in modules]
    for item, module in zip(items, modules):
        item["question_count"] = min(len(module.questions.all()), settings.LISTENERS_QUIZ_QUESTIONS_PER_ATTEMPT)
    core = [item for item in items if item["required"]]
    return {
        "modules": items,
        "required_passed": sum(item["status"] == "passed" for item in core),
        "required_total": len(core),
        "trained": profile.is_trained,
        "trained_at": _iso(profile.trained_at),
        "teen_module_passed": all(item["status"] == "passed" for item in items if item["required_for_teens"])
        and any(item["required_for_teens"] for item in items),
        "approved_for_teens": profile.approved_for_teens,
        "status": profile.status,
        "pass_mark": settings.LISTENERS_QUIZ_PASS_PERCENT,
    }


def _draw(module: TrainingModule, *, listener_id: int, now) -> list[int]:
    """The question ids of this listener's next attempt at ``module``; drawn once, then kept.

    Caller holds the listener's profile row lock (so two loads at once draw once) and
    passes ``module`` with its questions prefetched. A kept draw naming a question staff
    have since removed is drawn again.
    """
    pool = [question.pk for question in module.questions.all()]
    kept = QuizDraw.objects.filter(listener_id=listener_id, module=module).first()
    if kept is not None and kept.questions and set(kept.questions) <= set(pool):
        return list(kept.questions)
    picked = set(_draw_random.sample(pool, min(len(pool), settings.LISTENERS_QUIZ_QUESTIONS_PER_ATTEMPT)))
    drawn = [question_id for question_id in pool if question_id in picked]  # in the module's order
    QuizDraw.objects.update_or_create(
        listener_id=listener_id, module=module, defaults={"questions": drawn, "created_at": now}
    )
    return drawn


def _locked_profile(listener) -> ListenerProfile:
    profile = ListenerProfile.objects.select_for_update().filter(user_id=getattr(listener, "pk", None)).first()
    if profile is None:
        raise DomainError("not_a_listener", "The training is for listeners.", status=403)
    return profile


def quiz_questions_draw(*, listener, slug: str, now=None) -> list[int]:
    """The question ids the listener's next attempt at ``slug`` must answer (drawn now, or kept).

    Locks the listener's profile row.
    """
    now = now or timezone.now()
    with transaction.atomic():
        _locked_profile(listener)
        module = TrainingModule.objects.filter(slug=slug, is_active=True).prefetch_related("questions").first()
        if module is None:
            raise NotFoundOrForbidden()
        return _draw(module, listener_id=listener.pk, now=now)


def training_module_detail(*, listener, slug: str, now=None) -> dict:
    """One module's text and the questions drawn for the listener's next attempt.

    Options carry id and text only, never whether they are correct. Draws the
    attempt's questions if none are kept (a write: locks the listener's profile
    row), so the same questions come back until that attempt is submitted.
    """
    now = now or timezone.now()
    with transaction.atomic():
        profile = _locked_profile(listener)
        module = TrainingModule.objects.filter(slug=slug, is_active=True).prefetch_related("questions__options").first()
        if module is None:
            raise NotFoundOrForbidden()
        drawn = set(_draw(module, listener_id=listener.pk, now=now))
    attempts = list(QuizAttempt.objects.filter(listener_id=listener.pk, module=module).order_by("-created_at", "-pk"))
    payload = _module_progress(module, attempts, wants_teens=profile.wants_teens, now=now)
    payload["paragraphs"] = [part.strip() for part in module.body.split("\n\n") if part.strip()]
    payload["questions"] = [
        {
            "id": question.pk,
            "text": question.text,
            "options": [{"id": option.pk, "text": option.text} for option in question.options.all()],
        }
        for question in module.questions.all()
        if question.pk in drawn
    ]
    payload["pass_mark"] = settings.LISTENERS_QUIZ_PASS_PERCENT
    return payload


@dataclass(frozen=True)
class AttemptResult:
    attempt: QuizAttempt
    results: list[dict]  # per question, only once the attempt passed
    wrong: int
    retry_after: int | None
    trained: bool
    status: str
    activated: bool


def _parse_answers(answers) -> dict[int, int]:
    if not isinstance(answers, dict):
        raise DomainError("invalid_field", INVALID_ANSWERS, field="answers")
    parsed: dict[int, int] = {}
    for key, value in answers.items():
        key_text = str(key)
        if not key_text.isdigit() or len(key_text) > 18:
            raise DomainError("invalid_field", INVALID_ANSWERS, field="answers")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
            raise DomainError("invalid_field", INVALID_ANSWERS, field="answers")
        parsed[int(key_text)] = value
    return parsed


def quiz_attempt_submit(*, listener, slug: str, answers, now=None) -> AttemptResult:
    """Score an attempt on the server and record it.

    Locks the listener's profile row, so two submissions at once cannot both
    slip past the retake cooldown. Exactly the questions drawn for this
    attempt (``_draw``, when the module was opened) must be answered, each
    with one of its own options: an answer to any other question is refused
    (``question_not_drawn``). The draw is stored on the attempt and used up,
    so the next attempt gets a new one. Passing the last core module sets
    ``trained_at``; a pending applicant then becomes active unless
    ``LISTENERS_REQUIRE_STAFF_APPROVAL`` is on.
    """
    now = now or timezone.now()
    parsed = _parse_answers(answers)
    with transaction.atomic():
        profile = _locked_profile(listener)
        if profile.is_suspended:
            raise DomainError("suspended", TRAINING_SUSPENDED, status=403)
        module = TrainingModule.objects.filter(slug=slug, is_active=True).prefetch_related("questions__options").first()
        if module is None:
            raise NotFoundOrForbidden()
        last = QuizAttempt.objects.filter(listener_id=listener.pk, module=module).order_by("-created_at", "-pk").first()
        retry_after = _retry_after(last, now=now)
        if retry_after is not None:
            raise DomainError("retake_too_soon", RETAKE_TOO_SOON, status=429, retry_after=retry_after)
        draw = QuizDraw.objects.filter(listener_id=listener.pk, module=module).first()
        drawn_ids = set(draw.questions) if draw is not None else set()
        questions = [question for question in module.questions.all() if question.pk in drawn_ids]
        if not questions or len(questions) != len(drawn_ids):
            # Nothing drawn yet, or staff removed a drawn question: the module must be opened (again).
            raise DomainError("no_questions_drawn", NOTHING_DRAWN, status=409, field="answers")
        if set(parsed) - drawn_ids:
            raise DomainError("question_not_drawn", NOT_DRAWN, field="answers")
        missing = [question.pk for question in questions if question.pk not in parsed]
        if missing:
            raise DomainError("missing_answers", MISSING_ANSWERS, field="answers", questions=missing)
        results = []
        correct = 0
        for question in questions:
            options = {option.pk: option for option in question.options.all()}
            chosen = options.get(parsed[question.pk])
            if chosen is None:
                raise DomainError("invalid_field", "An answer is not one of its question's options.", field="answers")
            right = chosen.is_correct
            correct += right
            results.append({"question": question.pk, "correct": right})
        score = round(100 * correct / len(questions)) if questions else 0
        passed = bool(questions) and score >= settings.LISTENERS_QUIZ_PASS_PERCENT
        attempt = QuizAttempt.objects.create(
            listener_id=listener.pk,
            module=module,
            score=score,
            passed=passed,
            answers={str(key): value for key, value in parsed.items()},
            questions=[question.pk for question in questions],
            created_at=now,
        )
        draw.delete()
        activated = False
        if passed and profile.trained_at is None and core_training_complete(listener.pk):
            profile.trained_at = now
            fields = ["trained_at"]
            if profile.status == ListenerStatus.PENDING and not settings.LISTENERS_REQUIRE_STAFF_APPROVAL:
                profile.status = ListenerStatus.ACTIVE
                fields.append("status")
                activated = True
            profile.save(update_fields=fields)
            user_event(
                listener.pk,
                {"type": "listener.status", "status": profile.status, "approved_for_teens": profile.approved_for_teens},
            )
        if passed:
            for item, question in zip(results, questions):
                item["explanation"] = question.explanation
        else:
            # A failed attempt says how many were wrong, never which: per-question marks let the
            # answer key be found by trial and error in a few retakes.
            results = []
        return AttemptResult(
            attempt=attempt,
            results=results,
            wrong=len(questions) - correct,
            retry_after=None if passed else _retry_after(attempt, now=now),
            trained=profile.is_trained,
            status=profile.status,
            activated=activated,
        )


def attempt_payload(result: AttemptResult) -> dict:
    return {
        "module": result.attempt.module.slug,
        "score": result.attempt.score,
        "passed": result.attempt.passed,
        "pass_mark": settings.LISTENERS_QUIZ_PASS_PERCENT,
        "results": result.results,
        "wrong": result.wrong,
        "retry_after": result.retry_after,
        "trained": result.trained,
        "status": result.status,
        "activated": result.activated,
    }
