"""A seeker nobody on shift can take is told so at once, and told again when someone who can comes on."""

from __future__ import annotations

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    browser,
    listener_signs_in_and_starts_shift,
    new_page,
    seeker_asks_for_a_listener,
    server,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_a_teen_with_nobody_on_shift_sees_it_honestly_then_hears_when_a_listener_comes_on(browser, server):
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    listener_context, listener = new_page(browser, server)
    try:
        seeker_asks_for_a_listener(seeker, age=15)
        nobody = seeker.locator("#nobody-box")
        expect(nobody).to_be_visible()
        expect(nobody).to_contain_text("Nobody on shift right now can take this chat")
        expect(seeker.locator("#queue-wait")).to_have_text("")  # no made-up estimate
        expect(seeker.locator("#nobody-helplines li").first).to_be_attached()

        listener_signs_in_and_starts_shift(listener)  # the demo listener is approved for teens
        expect(nobody).to_be_hidden(timeout=15_000)
        expect(listener.locator(".offer")).to_be_visible()
        expect(listener.locator("#line-summary")).to_contain_text("you could take")
    finally:
        seeker_context.close()
        listener_context.close()
