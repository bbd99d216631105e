"""The rules, then the learned model as a second opinion (an assessor backend).

Select it with ``SAFETY_ASSESSOR_BACKEND = "safety.classifier.combined.assess"``.

The rules' verdict is the starting point. The model (``safety.classifier.model``)
then raises the level when it is confident: to ``imminent`` when the geometric
mean of P(imminent) and P(elevated or worse) reaches the imminent threshold
(``imminent_reading``), to ``elevated`` when P(elevated or worse) reaches its
threshold. It never lowers a level, so a rules verdict of
``imminent`` always stands. The thresholds are stored in the model file,
calibrated on the development set by ``manage.py safety_train``.

The model reads the message and the last earlier turn(s) of
``context.recent_texts`` (as many as the model was trained with).

This function never raises because of the model: if the model file is missing
or broken, or scoring fails, the rules' verdict is returned with a reason
that says the model was not consulted, and the failure is logged.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

from .engine import _as_text, harmless_reasons
from .engine import assess as rules_assess
from .model import DEFAULT_MODEL_PATH, ModelFileError, get_model
from .types import Assessment, AssessmentContext, Category, Level

logger = logging.getLogger("hearth.safety")

_DEFAULT_CONTEXT = AssessmentContext()
_RISK_CATEGORIES = frozenset({Category.SELF_HARM, Category.HARM_TO_OTHERS, Category.ABUSE})
_LOG_EVERY = 60.0  # seconds: a failure that repeats on every message is logged once a minute
# A message of fewer words than this with no earlier turn is left to the rules: the
# corpus's one-word imminent rows ("tonight", "all of it") are answers whose risk is
# in the question, and alone the model learnt the words, not the question.
_MIN_WORDS_ALONE = 3
_WORD = re.compile(r"\w+")
_logged: dict[str, float] = {}
TOO_SHORT = "too short to read without earlier turns"
HARMLESS_REASON = "the message gives a harmless reason"
TOLD_AS_OVER = "the message tells the risk as over"
# A harmless reason beside the risk words holds the model back unless it is at least this sure
# of elevated risk. "wouldn't mind not waking up tomorrow, not going to do anything stupid"
# denies intent, which rules out imminent, but it is still passive ideation: the model may then
# raise it to elevated, never to imminent. A risk told as over ("i thought about it a lot at 16
# but i don't anymore") is held back whatever the model says. Chosen on the two development splits.
HARMLESS_REASON_OVERRIDE = 0.9


def assess(
    text: str, context: AssessmentContext | None = None, *, model_path: str | Path = DEFAULT_MODEL_PATH
) -> Assessment:
    """Screen ``text`` with the rules, then let the model raise the level. See the module docstring."""
    context = context or _DEFAULT_CONTEXT
    text = _as_text(text)  # bytes or None read as the rules read them, for the model too
    ruled = rules_assess(text, context)
    try:
        model = get_model(model_path)
        scores = model.score(text or "", context.recent_texts)
        t_e = model.thresholds["elevated"]
        t_i = model.thresholds["imminent"]
    except Exception as exc:  # a broken model must never stop screening
        _log_failure(exc)
        return Assessment(
            level=ruled.level,
            categories=ruled.categories,
            spans=ruled.spans,
            reason=f"{ruled.reason} [rules only: the model could not be used ({_short(exc)})]",
            third_person=ruled.third_person,
        )

    if imminent_reading(scores.elevated, scores.imminent) >= t_i:
        model_level = Level.IMMINENT
    elif scores.elevated >= t_e:
        model_level = Level.ELEVATED
    else:
        model_level = Level.NONE
    probs = f"p(elevated+)={scores.elevated:.2f}, p(imminent)={scores.imminent:.2f}"

    held_back = None
    despite = ""
    if model_level > ruled.level and ruled.level < Level.ELEVATED:
        held_back = model_held_back(text, context.recent_texts)
        if held_back == HARMLESS_REASON and scores.elevated >= max(t_e, HARMLESS_REASON_OVERRIDE):
            model_level, held_back = Level.ELEVATED, None
            despite = ", despite a harmless reason (not imminent)"
    if model_level <= ruled.level or held_back:
        if held_back:
            reason = f"{ruled.reason} [rules; model {probs}, held back: {held_back}]"
        elif model_level >= Level.ELEVATED and model_level == ruled.level:
            reason = f"{ruled.reason} [rules and model agree: {model_level.label}, {probs}]"
        else:
            reason = f"{ruled.reason} [rules; model {probs}]"
        return Assessment(ruled.level, ruled.categories, ruled.spans, reason, ruled.third_person)

    categories = set(ruled.categories)
    if not categories & _RISK_CATEGORIES:
        try:
            cat = model.category(text or "")
        except Exception as exc:
            _log_failure(exc)
            cat = None
        categories.add(Category(cat) if cat else Category.SELF_HARM)
    if ruled.level >= Level.ELEVATED:
        reason = f"{model_level.label}: raised by the model from the rules' {ruled.level.label} ({probs}); rules: {ruled.reason}"
    else:
        reason = f"{model_level.label}: the model's reading ({probs}{despite}); rules: {ruled.reason}"
    return Assessment(
        level=model_level,
        categories=frozenset(categories),
        spans=ruled.spans,
        reason=reason,
        third_person=ruled.third_person,
    )


def imminent_reading(p_elevated, p_imminent):
    """How strongly the model reads imminent risk: the geometric mean of its two heads.

    Imminent risk is elevated risk too, so both heads must agree. The imminent head
    alone fired on calm short messages that read like the quiet farewells it learnt
    ("tysm ur the best", "sorry typing slow, on my phone") while the elevated+ head
    saw no risk in them. Floats or numpy arrays (``training.model_levels``)."""
    return (p_elevated * p_imminent) ** 0.5


def model_held_back(text: str, recent_texts: tuple[str, ...] = ()) -> str | None:
    """Why the model alone may not raise this message above a rules verdict below
    elevated, or None. ``training.calibrate`` applies the same on dev.

    * a message of one or two words with no earlier turn: too little to read;
    * a harmless reason the rules have already weighed ("took two paracetamol for
      my headache", "on the bridge, home in 10"): the model reads the risk words
      without the reason (``engine.harmless_reasons``). Unless the model is very
      sure (``HARMLESS_REASON_OVERRIDE``): then it may raise to elevated. Not when
      the reason is that the risk is over (``TOLD_AS_OVER``)."""
    if not recent_texts and len(_WORD.findall(text or "")) < _MIN_WORDS_ALONE:
        return TOO_SHORT
    reasons = harmless_reasons(text)
    if "resolved" in reasons:
        return TOLD_AS_OVER
    if reasons:
        return HARMLESS_REASON
    return None


def warm(model_path: str | Path = DEFAULT_MODEL_PATH) -> bool:
    """Load the model now (server start-up, ``safety.warmup``); False, logged, if it cannot be."""
    try:
        get_model(model_path)
    except Exception as exc:
        _log_failure(exc)
        return False
    return True


assess.warm = warm  # type: ignore[attr-defined]  # found by safety.warmup through the backend setting


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _log_failure(exc: BaseException) -> None:
    key = f"{type(exc).__name__}: {exc}"
    now = time.monotonic()
    if now - _logged.get(key, -_LOG_EVERY) < _LOG_EVERY:
        return
    if len(_logged) > 100:
        _logged.clear()
    _logged[key] = now
    if isinstance(exc, ModelFileError):
        logger.error("safety model unavailable, screening with the rules only: %s", exc)
    else:
        logger.error("safety model failed, screening with the rules only", exc_info=exc)
