"""The privacy notice's version, and recording its acceptance without knowing who accepted.

A seeker sees the short notice on the first screen of a chat and accepts it
by going on. The acceptance is recorded twice, neither time identifying them:

* on the server, one more in the count of acceptances of that version that
  day (``PrivacyNoticeAcceptance``): no user, session, address or time;
* in their browser, a cookie holding the version accepted
  (``PRIVACY_COOKIE``), so the notice is not shown again until the version
  changes (``HEARTH_PRIVACY_NOTICE_VERSION``). A new browser or device
  shows it once more.

The notice comes before the anonymous session exists (before the age
question), and a flag on the session would tie the acceptance to an account
id: the cookie keeps it with the browser, and the count is what the service
can show about acceptance.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from support import ratelimit
from support.models import PrivacyNoticeAcceptance

PRIVACY_COOKIE = "hearth_privacy_notice"
PRIVACY_COOKIE_MAX_AGE = 400 * 24 * 60 * 60  # the longest browsers keep a cookie
OUTDATED_MESSAGE = "The privacy notice has changed since this page loaded. Please read the new one."


def privacy_notice_version() -> int:
    return settings.HEARTH_PRIVACY_NOTICE_VERSION


def privacy_notice_accepted_version(cookies) -> int | None:
    """The version this browser accepted, or None (a missing or malformed cookie)."""
    raw = cookies.get(PRIVACY_COOKIE, "")
    return int(raw) if raw.isdigit() and len(raw) <= 9 else None


def privacy_notice_due(cookies) -> bool:
    """True when this browser has not accepted the current version."""
    return privacy_notice_accepted_version(cookies) != privacy_notice_version()


def privacy_notice_accept(*, version: int, address: str | None, today: datetime.date) -> bool:
    """Count one acceptance of ``version`` on ``today``; False when it was not counted.

    ``address`` is used only for a per-hour limit in the shared cache
    (``HEARTH_PRIVACY_ACCEPTANCES_PER_IP``), so nobody can inflate the count;
    past it the acceptance is not counted, and the caller lets the person go
    on all the same. One ``UPDATE … SET count = count + 1`` on the day's row
    (its row lock orders concurrent acceptances); the first of a day inserts
    the row in a savepoint, and a concurrent first that loses the insert race
    updates instead.
    """
    if address:
        limit = settings.HEARTH_PRIVACY_ACCEPTANCES_PER_IP
        if not ratelimit.hit("privacy-accept", address, limit=limit, window=3600).allowed:
            return False
    with transaction.atomic():
        rows = PrivacyNoticeAcceptance.objects.filter(version=version, day=today)
        if rows.update(count=F("count") + 1):
            return True
        try:
            with transaction.atomic():
                PrivacyNoticeAcceptance.objects.create(version=version, day=today, count=1)
        except IntegrityError:
            rows.update(count=F("count") + 1)
    return True


def privacy_notice_counts(*, version: int | None = None) -> list[dict]:
    """Acceptances per version and day, oldest first (for staff and tests)."""
    rows = PrivacyNoticeAcceptance.objects.order_by("version", "day")
    if version is not None:
        rows = rows.filter(version=version)
    return list(rows.values("version", "day", "count"))
