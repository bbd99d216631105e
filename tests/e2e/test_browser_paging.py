"""Paging in Chromium: a seeker's background tab is flagged when a listener comes, and a listener
sets their paging preferences on the console."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    browser,
    listener_signs_in,
    listener_signs_in_and_starts_shift,
    new_page,
    seeker_asks_for_a_listener,
    server,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ARRIVED_TITLE = "● A listener is here — Hearth"

# The tab goes to the background, and notifications are recorded instead of shown (headless
# Chromium has no notification centre to look at).
HIDE_TAB_AND_RECORD_NOTIFICATIONS = """() => {
  window.__hidden = true;
  Object.defineProperty(document, "hidden", {configurable: true, get: () => window.__hidden});
  window.__shown = [];
  window.Notification = class {
    static permission = "granted";
    constructor(title, options) { window.__shown.push({title, ...options}); }
    close() {}
  };
}"""

SHOW_TAB = """() => {
  window.__hidden = false;
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_a_seeker_in_a_background_tab_is_told_a_listener_is_here_until_they_look(browser, server):
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    listener_context, listener = new_page(browser, server)
    try:
        seeker_asks_for_a_listener(seeker)
        seeker.evaluate(HIDE_TAB_AND_RECORD_NOTIFICATIONS)

        listener_signs_in_and_starts_shift(listener)
        offer = listener.locator(".offer").first
        expect(offer).to_be_visible()
        offer.get_by_role("button", name="Accept").click()

        expect(seeker).to_have_title(ARRIVED_TITLE)
        shown = seeker.evaluate("window.__shown")
        assert len(shown) == 1 and shown[0]["title"] == "A listener is here"
        alias = listener.locator("#my-alias").text_content()
        assert alias and alias not in str(shown)  # a notification may show on a locked screen

        seeker.evaluate(SHOW_TAB)
        expect(seeker).to_have_title(re.compile(r"^Chat with .+ · Hearth$"))
        seeker.errors.assert_clean()
    finally:
        seeker_context.close()
        listener_context.close()


def test_a_listener_sets_paging_on_the_console_and_a_bad_time_zone_is_explained(browser, server):
    context, page = new_page(browser, server)
    try:
        listener_signs_in(page)
        card = page.locator("#paging-card")
        card.get_by_text("Paging settings", exact=True).click()
        page.get_by_label("Tell me when people wait for my topics").check()
        page.get_by_label("Quiet hours (never page me then)").check()
        page.get_by_label("From").fill("22:30")
        page.get_by_label("Until").fill("07:00")
        page.get_by_label("Your time zone").fill("Europe/Paris")
        page.get_by_role("button", name="Save paging settings").click()
        expect(page.locator("#paging-saved")).to_have_text("Saved.")

        page.reload()
        page.locator("#paging-card").get_by_text("Paging settings", exact=True).click()
        expect(page.get_by_label("Tell me when people wait for my topics")).to_be_checked()
        expect(page.get_by_label("From")).to_have_value("22:30")
        expect(page.get_by_label("Your time zone")).to_have_value("Europe/Paris")

        page.get_by_label("Your time zone").fill("Mars/Olympus")
        page.get_by_role("button", name="Save paging settings").click()
        expect(page.locator("#paging-error")).to_contain_text("Time zone")
        page.errors.assert_clean()
    finally:
        context.close()
