"""Where a safety item opens in the staff console."""

from __future__ import annotations

from django.conf import settings


def flag_link(flag_id: int) -> str:
    """The staff page with this flag selected; absolute when ``HEARTH_PUBLIC_URL`` is set (for e-mail)."""
    return f"{settings.HEARTH_PUBLIC_URL}/staff/?flag={int(flag_id)}"
