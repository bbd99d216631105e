"""Closing a user's open sockets when their access ends (logout, suspension, ban)."""

from __future__ import annotations

import hashlib

from support.events import send_event_on_commit


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_group(session_key: str) -> str:
    # Group names must not carry the session key itself: it is a credential.
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:32]
    return f"session.{digest}"


def session_revoke(*, user_id: int, session_key: str | None, reason: str) -> None:
    """Close the sockets opened with one session (logout)."""
    if session_key:
        send_event_on_commit(session_group(session_key), {"type": "access.revoked", "reason": reason})


def user_access_revoke(*, user_id: int, reason: str) -> None:
    """Close every socket of a user (suspension, ban, staff role removed)."""
    send_event_on_commit(user_group(user_id), {"type": "access.revoked", "reason": reason})
