"""Domain errors shared by the REST API and the websocket protocol.

A service raises ``DomainError(code, message)``; the REST layer turns it into
a JSON error body and the socket layer into an ``error`` frame with the same
code, so both speak one vocabulary (listed in docs/protocol.md).
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, message: str, *, status: int | None = None, **extra):
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.extra = extra


class NotFoundOrForbidden(DomainError):
    """The object does not exist or the caller may not see it; the two are indistinguishable."""

    status = 404

    def __init__(self, message: str = "Not found."):
        super().__init__("not_found", message, status=404)


class RateLimited(DomainError):
    status = 429

    def __init__(self, retry_after: int, message: str = "You're sending too fast. Please wait a moment."):
        super().__init__("rate_limited", message, status=429, retry_after=retry_after)
        self.retry_after = retry_after
