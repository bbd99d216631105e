"""Asking for a favourite listener and widening to anyone; a listener transferring a chat to a
colleague and reporting the seeker."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    browser,
    create_listener,
    listener_signs_in_and_starts_shift,
    new_page,
    run_axe,
    screenshot,
    seeker_asks_for_a_listener,
    server,
    sign_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
SECOND = ("listener2", "SteadyBeacon", "hearth-second-listener")


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def panel(listener):
    return listener.locator("[role=tabpanel]:not([hidden])")


def test_seeker_asks_for_a_saved_favourite_and_widens_to_anyone_when_they_do_not_come(browser, server):
    listener_context, listener = new_page(browser, server)
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    try:
        listener_signs_in_and_starts_shift(listener)
        seeker_asks_for_a_listener(seeker)
        listener.locator(".offer").first.get_by_role("button", name="Accept").click()
        expect(seeker.get_by_role("button", name="End chat")).to_be_visible()
        seeker.get_by_role("button", name="End chat").click()
        seeker.get_by_role("button", name="Yes, end the chat").click()
        seeker.get_by_label("5").check()
        seeker.get_by_label(re.compile("as a favourite")).check()
        seeker.get_by_role("button", name="Send feedback").click()
        expect(seeker.get_by_text("Thank you. Your feedback helps our listeners.")).to_be_visible()

        # The favourite is off shift: the seeker asks for them anyway.
        listener.get_by_role("button", name="End shift").click()
        listener.get_by_role("button", name="Yes, end my shift").click()
        expect(listener.get_by_role("heading", name="Shift summary")).to_be_visible()
        seeker.get_by_role("button", name="Talk to someone again").click()
        favourite = seeker.get_by_label("Ask for a listener you saved")
        expect(favourite).to_be_visible()
        favourite.select_option("KindLantern")
        seeker.get_by_role("button", name="Find a listener").click()
        expect(seeker.locator("#queue-position")).to_have_text("Waiting for KindLantern.")

        # After MATCHING_SPECIFIC_LISTENER_WAIT_SECONDS (10 s in these tests) the seeker may widen.
        widen = seeker.get_by_role("button", name="Widen to anyone")
        expect(widen).to_be_visible(timeout=30_000)
        expect(seeker.locator("#widen-text")).to_contain_text("KindLantern hasn't come on yet")
        assert run_axe(seeker) == []
        screenshot(seeker, "seeker-widen-mobile")
        widen.click()
        expect(seeker.locator("#widen-box")).to_be_hidden()
        expect(seeker.locator("#queue-position")).to_contain_text("line")

        # Anyone may now take it: the listener coming back on shift gets a normal (not direct) offer.
        listener.get_by_role("button", name="Start shift").click()
        offer = listener.locator(".offer").first
        expect(offer).to_be_visible()
        expect(offer).not_to_contain_text("asked for you")
        # Leave the line, so the next test's listener is not offered this request.
        seeker.get_by_role("button", name="Stop waiting").click()
        seeker.get_by_role("heading", name="What's on your mind?").wait_for()
        expect(listener.locator(".offer")).to_have_count(0)
        seeker.errors.assert_clean()
    finally:
        seeker_context.close()
        listener_context.close()


def test_listener_transfers_a_chat_to_a_named_colleague_who_then_reports_the_seeker(browser, server):
    create_listener(server, username=SECOND[0], alias=SECOND[1], password=SECOND[2])
    first_context, first = new_page(browser, server)
    second_context, second = new_page(browser, server)
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    try:
        listener_signs_in_and_starts_shift(first)
        seeker_asks_for_a_listener(seeker)
        first.locator(".offer").first.get_by_role("button", name="Accept").click()
        expect(seeker.get_by_role("button", name="End chat")).to_be_visible()
        seeker.get_by_label("Your message").fill("my exams start tomorrow")
        seeker.get_by_label("Your message").press("Enter")
        expect(panel(first).locator(".msg-theirs .msg-text")).to_have_text(["my exams start tomorrow"])

        sign_in(second, "/listen/", SECOND[0], SECOND[2])
        second.get_by_role("button", name="Start shift").click()
        expect(second.get_by_role("heading", name="On shift")).to_be_visible()

        # A named transfer: the first listener stays in the chat until the colleague accepts.
        panel(first).get_by_role("button", name="Transfer").click()
        first.get_by_label(re.compile("A listener's alias")).fill("NoSuchListener")
        first.get_by_role("button", name="Ask for a transfer").click()
        expect(first.locator("#transfer-error")).to_contain_text("isn't available")
        assert run_axe(first) == []
        first.get_by_label(re.compile("A listener's alias")).fill(SECOND[1])
        first.get_by_role("button", name="Ask for a transfer").click()
        expect(panel(first).locator(".transfer-status")).to_contain_text(f"Waiting for {SECOND[1]} to take over")
        expect(panel(first).get_by_role("button", name="Transfer requested")).to_be_disabled()

        offer = second.locator(".offer").first
        expect(offer).to_contain_text("Transfer")
        offer.get_by_role("button", name="Accept").click()
        expect(panel(second).locator(".msg-theirs .msg-text").first).to_have_text("my exams start tomorrow")
        expect(first.get_by_role("tab")).to_contain_text("(ended)")
        expect(panel(first)).to_contain_text(f"{SECOND[1]} has taken over this chat")
        expect(seeker.locator(".chat-log")).to_contain_text(
            f"{SECOND[1]} has joined and will continue the chat with you."
        )
        screenshot(first, "listener-transferred")

        # The new listener reports the seeker to the safety team.
        panel(second).get_by_role("button", name="Report seeker").click()
        second.get_by_label("What happened?").select_option("harassment")
        second.get_by_label(re.compile("Details")).fill("Abusive after the transfer.")
        assert run_axe(second) == []
        second.get_by_role("button", name="Send report").click()
        expect(panel(second).get_by_role("button", name="Reported")).to_be_disabled()
        expect(panel(second)).to_contain_text("Report sent. The safety team will review this chat.")
        for page in (first, second, seeker):
            page.errors.assert_clean()
    finally:
        seeker_context.close()
        second_context.close()
        first_context.close()
