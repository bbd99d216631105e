"""A required hook: one implementation a lower app needs and a higher app installs in its ``ready()``.

Screening, blocks and the device ban are consequences a lower app must never
run without (a crisis unscreened, a blocked pair matched, a banned browser let
in). So the hook has no default: asking for it before an implementation is
installed raises ``ImproperlyConfigured``, a second, different implementation
is refused, and ``manage.py check`` reports the missing one under the hook's
check id (``support.asgi`` runs the checks and refuses to start).
"""

from __future__ import annotations

from typing import Generic, TypeVar

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")


class RequiredHook(Generic[T]):
    def __init__(self, *, what: str, missing: str, check_id: str, hint: str) -> None:
        self.what = what  # "message screener": used in the refusal of a second one
        self.missing = missing  # why a missing implementation is dangerous
        self.check_id = check_id
        self.hint = hint
        self.implementation: T | None = None

        def installed(app_configs, **kwargs) -> list[Error]:
            # a plain function: Django's check registry sets attributes on what it registers
            return self.errors()

        register(installed)

    def install(self, implementation: T) -> None:
        """Called once, from the installing app's ``ready()``."""
        if self.implementation is not None and self.implementation is not implementation:
            raise ImproperlyConfigured(f"A second {self.what} was registered; there is exactly one.")
        self.implementation = implementation

    def get(self) -> T:
        """The installed implementation; raises rather than let the caller go on without it."""
        if self.implementation is None:
            raise ImproperlyConfigured(self.missing)
        return self.implementation

    def errors(self) -> list[Error]:
        if self.implementation is None:
            return [Error(self.missing, hint=self.hint, id=self.check_id)]
        return []
