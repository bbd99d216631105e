"""Pluggable assessor backend.

``get_assessor()`` returns the callable named by the Django setting
``SAFETY_ASSESSOR_BACKEND`` (a dotted path; default
``"safety.classifier.combined.assess"``: the rules, then the learned model,
which may raise the level). ``"safety.classifier.assess"`` is the rules
alone. The setting is read at call time, so tests and deployments can swap
assessors without touching callers. Any replacement must accept
``(text, context=None)`` and return an ``Assessment``.

This is the only module of the package that touches Django, and only inside
the function, so the rest stays importable without it.
"""

from __future__ import annotations

from collections.abc import Callable

DEFAULT_BACKEND = "safety.classifier.combined.assess"


def get_assessor() -> Callable:
    from django.conf import settings
    from django.utils.module_loading import import_string

    path = getattr(settings, "SAFETY_ASSESSOR_BACKEND", None) or DEFAULT_BACKEND
    return import_string(path)
