"""The web pages. Each view renders one template; the pages talk to the REST API and sockets from JS.

Every page sets the CSRF cookie (the JS sends it back as ``X-CSRFToken``) and
gets the crisis resources server-side, so the band is there before any script runs.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from listeners.practice import practice_script_payload
from listeners.services import ADULT_ONLY_REASON, LISTENER_MINIMUM_AGE
from rooms.services import REPORT_REASON_MAX_CHARS
from safety.retention import retention_figures
from support.api.serializers import AGE_MAX, AGE_MIN
from support.helplines import helpline_choices, helplines_for
from support.models import Topic
from support.passphrase import passphrase_rules
from support.privacy import privacy_notice_due, privacy_notice_version


def client_limits() -> dict:
    """The server's limits a page checks before sending (``client-limits``), so JS never re-types them."""
    return {
        "message_max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
        "request_note_max_chars": settings.MATCHING_MAX_NOTE_CHARS,
        "room_report_reason_max_chars": REPORT_REASON_MAX_CHARS,
    }


def _render(request, template: str, **context):
    # The band is for the visitor's age group once it is known (no child line for a signed-in adult).
    context.setdefault("helplines", helplines_for(None, getattr(request.user, "age_group", None) or None))
    context["client_limits"] = client_limits()
    # Pages skip asking the API who is signed in when the server already knows nobody is.
    context["signed_in"] = bool(request.user.is_authenticated)
    return render(request, f"frontend/{template}", context)


@ensure_csrf_cookie
def landing(request):
    return _render(request, "landing.html", page="landing")


def _privacy_context(request) -> dict:
    """The notice's figures come from the settings, never from the template."""
    return {
        "version": privacy_notice_version(),
        "due": privacy_notice_due(request.COOKIES),
        "retention": retention_figures(),
        "session_days": settings.SESSION_COOKIE_AGE // 86400,
    }


@ensure_csrf_cookie
def talk(request):
    privacy = _privacy_context(request)
    return _render(
        request,
        "talk.html",
        page="talk",
        helpline_choices=helpline_choices(),
        age_limits={"min": AGE_MIN, "max": AGE_MAX},
        privacy=privacy,
        privacy_state={"version": privacy["version"], "due": privacy["due"]},
    )


@ensure_csrf_cookie
def privacy(request):
    return _render(request, "privacy.html", page="privacy", privacy=_privacy_context(request))


@ensure_csrf_cookie
def account(request):
    # Who may use it is decided by the API (seekers); the page says so from JS for anyone else.
    return _render(
        request,
        "account.html",
        page="account",
        passphrase_rules=passphrase_rules(),
        privacy=_privacy_context(request),
    )


@ensure_csrf_cookie
def listen(request):
    return _render(request, "listen.html", page="listen")


@ensure_csrf_cookie
def listen_apply(request):
    # The script, the reply limit, the topics and the reason only adults may listen all come
    # from the server, never re-typed in apply.js or the template.
    return _render(
        request,
        "apply.html",
        page="listen",
        practice=practice_script_payload(),
        topics=list(Topic.objects.filter(is_active=True)),
        adult_only_reason=ADULT_ONLY_REASON,
        minimum_age=LISTENER_MINIMUM_AGE,
    )


@ensure_csrf_cookie
def training(request, slug: str = ""):
    return _render(request, "training.html", page="listen", module_slug=slug)


@ensure_csrf_cookie
def staff(request):
    # The review desk's timings come from the server, never re-typed in staff.js.
    config = {"unclaimed_overdue_seconds": settings.SAFETY_UNCLAIMED_OVERDUE_SECONDS}
    return _render(request, "staff.html", page="staff", staff_config=config)


@ensure_csrf_cookie
def rooms(request):
    return _render(request, "rooms.html", page="rooms")


@ensure_csrf_cookie
def room(request, room_id: int):
    # Access is decided by the socket and the API (a room outside your audience is "not found"),
    # so the page itself renders for any id and says so from JS.
    return _render(request, "room.html", page="rooms", room_id=room_id)
