"""Playwright helpers for the browser tests: Debian's Chromium, a seeded Daphne, axe, screenshots.

Never runs ``playwright install``: it drives ``/usr/bin/chromium``. Without it the
tests skip with a reason, and fail under ``REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.e2e.servers import ROOT, DaphneCluster

CHROMIUM = os.environ.get("HEARTH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
LISTENER = ("listener", "hearth-demo-listener")
STAFF = ("safety", "hearth-demo-safety")
TIMEOUT_MS = 15_000


def _require_browser() -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package is not installed (pip install playwright)")
    if missing:
        message = "; ".join(missing)
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(message + " and REQUIRE_SERVICES=1")
        pytest.skip(message)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One Daphne on a fresh SQLite database with the demo listener and staff accounts."""
    _require_browser()
    cluster = DaphneCluster(
        workdir=tmp_path_factory.mktemp("browser"),
        extra_env={
            "HEARTH_SCHEDULER_IN_PROCESS": "1",
            "HEARTH_ANON_SESSIONS_PER_IP": "1000",
            "HEARTH_LOGIN_RATE_PER_IP": "1000",
            # The shortest wait for a favourite listener, so "widen to anyone" can be shown in a test.
            "MATCHING_SPECIFIC_LISTENER_WAIT_SECONDS": "10",
        },
    )
    cluster.prepare()
    cluster.manage("seed_demo")
    process = cluster.start()
    process.cluster = cluster  # for manage_python(): test data the demo seed does not have
    try:
        yield process
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


class PageErrors:
    """Collects console errors and uncaught exceptions so a test can assert there were none."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("console", lambda message: message.type == "error" and self.errors.append(f"console: {message.text}"))

    def assert_clean(self) -> None:
        # A refused websocket while offline is expected noise, not a page bug.
        real = [
            error
            for error in self.errors
            if not re.search(r"WebSocket|ERR_INTERNET_DISCONNECTED|Failed to load resource", error)
        ]
        assert not real, real


def new_page(browser, server, *, width: int = 1100, height: int = 800):
    context = browser.new_context(base_url=server.http, viewport={"width": width, "height": height})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.errors = PageErrors(page)
    return context, page


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def run_axe(page) -> list[dict]:
    """Violations reported by axe-core (WCAG 2 A/AA rules) on the current page."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: copy axe.min.js from the axe-core npm package there")
    # Evaluated through the DevTools protocol: a <script> tag would be (rightly) refused by our CSP.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }"""
    )
    return result


AXE_SIZES = ({"width": 375, "height": 740}, {"width": 1280, "height": 800})


def axe_at_both_sizes(page, what: str) -> None:
    """No axe violations on the screen as it is now, on a phone (375 px) and a desktop (1280 px);
    the page's own size comes back afterwards."""
    before = page.viewport_size
    try:
        for size in AXE_SIZES:
            page.set_viewport_size(size)
            violations = run_axe(page)
            assert violations == [], f"axe on {what} at {size['width']} px: {violations}"
    finally:
        page.set_viewport_size(before)


def listener_signs_in_and_starts_shift(page) -> None:
    page.goto("/listen/")
    page.get_by_label("Username").fill(LISTENER[0])
    page.get_by_label("Password").fill(LISTENER[1])
    page.get_by_role("button", name="Sign in").click()
    start = page.get_by_role("button", name="Start shift")
    on_shift = page.get_by_role("heading", name="On shift")
    start.or_(on_shift).first.wait_for()
    if start.is_visible():  # an earlier test in the module may have left the shift open
        page.get_by_label("Chats at once").select_option("5")  # room for the chats earlier tests left open
        start.click()
    on_shift.wait_for()


def seeker_asks_for_a_listener(page, *, age: int = 24, note: str = "") -> None:
    page.goto("/")
    page.get_by_role("link", name="Talk to someone now").click()
    page.get_by_label("How old are you?").fill(str(age))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="What's on your mind?").wait_for()
    if note:
        page.get_by_label("Anything you'd like the listener to know first?").fill(note)
    page.get_by_role("button", name="Find a listener").click()
    waiting = page.get_by_role("heading", name="Finding you a listener…")
    refused = page.locator("#topic-error:not(:empty)")
    waiting.or_(refused).first.wait_for()
    # The page's own error says why the request did not go through, rather than a bare timeout.
    assert waiting.is_visible(), f"the request was not taken: {refused.text_content()!r}"


def manage_python(server, code: str) -> str:
    """Run Python in ``manage.py shell`` against the test server's database; returns what it printed."""
    return server.cluster.manage("shell", "-v", "0", "-c", code).strip()


def create_room(
    server,
    *,
    name: str,
    audience: str = "adult",
    capacity: int = 30,
    moderated_by_demo_listener: bool = True,
    history: int = 0,
    hours: bool = False,
) -> int:
    """A room on the first topic (optionally with the demo listener as moderator, ``history`` earlier
    system notes and weekly opening hours); returns its id."""
    return int(
        manage_python(
            server,
            f"""
import datetime
from django.utils import timezone
from rooms.models import Room, RoomMessage, RoomModerator, RoomOpeningHours
from support.models import Topic, User
room = Room.objects.create(topic=Topic.objects.filter(is_active=True).order_by("pk").first(), audience={audience!r},
                           name={name!r}, capacity={capacity}, guideline="Be kind. No names, numbers or links. Moderators may remove messages.")
if {moderated_by_demo_listener!r}:
    RoomModerator.objects.create(room=room, listener=User.objects.get(username={LISTENER[0]!r}))
if {hours!r}:
    for weekday in range(7):
        RoomOpeningHours.objects.create(room=room, weekday=weekday, opens_at=datetime.time(18, 0), closes_at=datetime.time(21, 0))
for seq in range(1, {history} + 1):
    RoomMessage.objects.create(room=room, seq=seq, kind="system", text=f"Earlier note {{seq}}", created_at=timezone.now())
Room.objects.filter(pk=room.pk).update(last_seq={history})
print(room.pk)
""",
        )
    )


def listener_signs_in(page) -> None:
    page.goto("/listen/")
    page.get_by_label("Username").fill(LISTENER[0])
    page.get_by_label("Password").fill(LISTENER[1])
    page.get_by_role("button", name="Sign in").click()
    page.locator("#console-title").wait_for()


def seeker_opens_rooms(page, *, age: int = 30) -> None:
    """From the landing page to the rooms list, answering the age question."""
    page.goto("/")
    page.get_by_role("link", name="group room", exact=True).click()
    page.get_by_label("How old are you?").fill(str(age))
    page.get_by_role("button", name="Show rooms").click()
    page.get_by_role("heading", name="Group rooms").wait_for()


def create_listener(server, *, username: str, alias: str, password: str) -> None:
    """A second trained, active listener (the demo seed has one)."""
    manage_python(
        server,
        f"""
from django.utils import timezone
from listeners.models import ListenerProfile, ListenerStatus
from support.models import Role, Topic, User
user, _ = User.objects.get_or_create(username={username!r}, defaults={{"alias": {alias!r}, "role": Role.LISTENER}})
user.set_password({password!r})
user.save()
profile, _ = ListenerProfile.objects.get_or_create(user=user)
profile.status = ListenerStatus.ACTIVE
profile.trained_at = profile.trained_at or timezone.now()
profile.approved_for_adults = True
profile.save()
profile.topics.set(Topic.objects.filter(is_active=True))
""",
    )


def sign_in(page, path: str, username: str, password: str) -> None:
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
