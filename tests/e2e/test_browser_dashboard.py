"""The service dashboard in Chromium: axe finds no violations, the charts draw, a bad filter is explained."""

from __future__ import annotations

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    STAFF,
    browser,
    manage_python,
    new_page,
    run_axe,
    screenshot,
    server,
    sign_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

WEEK = "from=2026-11-02&to=2026-11-08"


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture(scope="module")
def history(server):
    manage_python(
        server,
        """
from django.conf import settings
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
from django.utils import timezone
from tests.metrics.history import build_line, build_week
build_week()
build_line(now=timezone.now())
""",
    )


def test_the_dashboard_has_no_axe_violations_and_draws_every_chart(browser, server, history):
    context, page = new_page(browser, server, width=1200)
    try:
        sign_in(page, "/staff/", STAFF[0], STAFF[1])
        page.get_by_role("heading", name="Review queue").wait_for()
        page.goto("/staff/")  # the navigation is drawn by the server: reload to see the signed-in links
        page.get_by_role("link", name="Dashboard").click()
        page.get_by_role("heading", name="Staffing and safety").wait_for()
        page.goto(f"/manage/dashboard/?{WEEK}")
        expect(page.locator("svg.chart")).to_have_count(6)
        expect(page.locator("#figure-waits")).to_have_text("Waits and people who gave up, by hour of the week")
        # Open every table so axe checks them too.
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        expect(page.get_by_role("row", name="Mon 10:00").first).to_contain_text("10 min 00 s")
        expect(page.get_by_role("row", name="Tue 09:00").first).to_contain_text("fewer than 5")
        violations = run_axe(page)
        assert violations == [], f"axe on the dashboard: {violations}"
        screenshot(page, "dashboard")
        page.errors.assert_clean()
    finally:
        context.close()


def test_a_bad_filter_is_explained_on_the_page(browser, server):
    context, page = new_page(browser, server)
    try:
        sign_in(page, "/staff/", STAFF[0], STAFF[1])
        page.get_by_role("heading", name="Review queue").wait_for()
        page.goto("/manage/dashboard/?from=2020-01-01&to=2026-01-01")
        expect(page.get_by_role("alert").filter(has_text="at most 366 days")).to_be_visible()
        assert run_axe(page) == []
    finally:
        context.close()
