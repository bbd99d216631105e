"""Access predicates for staff rights.

Views, consumers and services ask these instead of inspecting ``role`` or
``is_staff`` so that rights come from Django permissions and groups only.
"""

from __future__ import annotations

SAFETY_STAFF_GROUP = "Safety staff"
LISTENER_MANAGERS_GROUP = "Listener managers"
SERVICE_MANAGERS_GROUP = "Service managers"


def is_safety_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm("support.safety_review"))


def can_manage_listeners(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm("support.listener_manage"))


def can_manage_rooms(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm("support.room_manage"))


def can_read_service_metrics(user) -> bool:
    """Service managers and safety staff (both groups hold ``support.service_metrics``)."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm("support.service_metrics"))
