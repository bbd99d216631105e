"""A crisis message: the seeker sees crisis resources, the listener guidance, and the safety
team's queue shows the alert live; a reviewer claims it, reads the transcript and resolves it."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    STAFF,
    browser,
    listener_signs_in_and_starts_shift,
    new_page,
    screenshot,
    seeker_asks_for_a_listener,
    server,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
CRISIS = "i dont want to be alive anymore"


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_crisis_message_reaches_the_staff_queue_live_and_is_claimed_and_resolved(browser, server):
    staff_context, staff = new_page(browser, server, width=1280, height=900)
    listener_context, listener = new_page(browser, server)
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    try:
        staff.goto("/staff/")
        staff.get_by_label("Username").fill(STAFF[0])
        staff.get_by_label("Password").fill(STAFF[1])
        staff.get_by_role("button", name="Sign in").click()
        expect(staff.get_by_role("heading", name="Review queue")).to_be_visible()
        expect(staff.locator("#queue-empty")).to_be_visible()

        listener_signs_in_and_starts_shift(listener)
        seeker_asks_for_a_listener(seeker)
        listener.locator(".offer").first.get_by_role("button", name="Accept").click()
        expect(seeker.get_by_role("button", name="End chat")).to_be_visible()

        seeker.get_by_label("Your message").fill(CRISIS)
        seeker.get_by_label("Your message").press("Enter")
        resources = seeker.locator("#safety-resources")
        expect(resources).to_be_visible()
        expect(resources).to_contain_text("988")
        screenshot(seeker, "seeker-crisis-resources-mobile")
        expect(listener.locator("[role=tabpanel]:not([hidden]) .guidance")).to_contain_text("safety team")

        # The alert appears without a reload.
        item = staff.locator(".queue-item").first
        expect(item).to_be_visible()
        expect(item).to_contain_text(re.compile("elevated|imminent"))
        item.get_by_role("button").click()
        flagged = staff.locator("#transcript .msg-flagged")
        expect(flagged).to_contain_text(CRISIS)
        staff.get_by_role("button", name="Claim").click()
        expect(item).to_contain_text("claimed by SafetyDesk")
        staff.get_by_role("button", name="Record action").click()
        expect(staff.locator("#action-error")).to_contain_text("A note is required")
        staff.get_by_label("Note (required)").fill(
            "Listener stayed with them; seeker has the helplines and agreed to call 988."
        )
        screenshot(staff, "staff-review")
        staff.get_by_role("button", name="Record action").click()
        expect(staff.locator(".queue-item")).to_have_count(0)
        expect(staff.locator("#audit")).to_contain_text("resolve")
        seeker.errors.assert_clean()
        staff.errors.assert_clean()
    finally:
        seeker_context.close()
        listener_context.close()
        staff_context.close()
