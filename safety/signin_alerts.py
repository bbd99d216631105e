"""Staff hear of sign-in locks on their own accounts.

``support.signin`` sends ``signin_locked`` once per lock of an account (not
per try). For an existing account this writes an audit record (the system as
actor, the account as target; no address stored), and for a staff account
(``is_staff`` or a safety reviewer) e-mails the holder and
``SAFETY_ALERT_EMAILS`` after commit: someone may be guessing their password.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction

from safety.audit import audit_record
from support.roles import is_safety_staff

logger = logging.getLogger("hearth.safety")

SIGNIN_LOCKED_ACTION = "signin.locked"


def signin_lock_record(*, username: str, lock_seconds: int, level: int, **kwargs) -> None:
    """Record one lock of ``username``'s account and tell its holder when it is staff's."""
    user = get_user_model().objects.filter(username__iexact=username).first()
    if user is None:
        return
    staff = user.is_staff or is_safety_staff(user)
    with transaction.atomic():
        audit_record(
            actor=None,
            action=SIGNIN_LOCKED_ACTION,
            target=user,
            note=f"Sign-in locked for {lock_seconds} s after repeated failed attempts (lock {level} today).",
            data={"lock_seconds": lock_seconds, "level": level, "staff": staff},
        )
        if staff:
            _email_on_commit(user, lock_seconds=lock_seconds, level=level)


def _email_on_commit(user, *, lock_seconds: int, level: int) -> None:
    recipients = sorted({address for address in [user.email, *settings.SAFETY_ALERT_EMAILS] if address})
    if not recipients:
        return
    subject = f"[Hearth] Sign-in locked for staff account {user.get_username()}"
    body = (
        f"Repeated wrong passwords were tried for the staff account {user.get_username()}.\n"
        f"Sign-in to it is locked for {lock_seconds} seconds (lock {level} in the last day); "
        f"each further lock lasts twice as long.\n\n"
        "Browsers that signed in to this account before still can. If these attempts were not yours, "
        "change the password and tell the safety team lead.\n"
    )

    def send():
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
        except Exception:  # the audit record stays; the next lock sends again
            logger.exception("sign-in lock e-mail failed")

    transaction.on_commit(send)
