"""A seeker keeps their account after a chat and, in a second browser context, signs in and finds it again."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    axe_at_both_sizes,
    browser,
    listener_signs_in_and_starts_shift,
    manage_python,
    new_page,
    run_axe,
    screenshot,
    seeker_asks_for_a_listener,
    server,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.xdist_group("e2e")]


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_a_returning_seeker_signs_in_on_another_device_and_sees_the_past_chat(browser, server):
    listener_context, listener = new_page(browser, server)
    first_context, first = new_page(browser, server, width=375, height=740)
    second_context, second = new_page(browser, server)
    try:
        listener_signs_in_and_starts_shift(listener)
        first.goto("/talk/")
        expect(first.get_by_role("heading", name="Your privacy, in short")).to_be_visible()
        seeker_asks_for_a_listener(first)
        offer = listener.locator(".offer").first
        offer.get_by_role("button", name="Accept").click()
        expect(first.get_by_role("heading", name=re.compile("You're talking with"))).to_be_visible()
        first.get_by_label("Your message").fill("words from my first device")
        first.get_by_label("Your message").press("Enter")
        expect(first.locator(".msg-mine .msg-state").first).to_have_text(re.compile("Delivered|Read"))
        first.get_by_role("button", name="End chat").click()
        first.get_by_role("button", name="Yes, end the chat").click()
        expect(first.get_by_role("heading", name="Come back to this chat later?")).to_be_visible()
        first.get_by_label("5 · Very helpful").check()
        first.get_by_label(re.compile("as a favourite")).check()
        first.get_by_role("button", name="Send feedback").click()
        expect(first.get_by_text("Thank you. Your feedback helps our listeners.")).to_be_visible()
        # The acceptance was counted, for the version shown, with nothing about who.
        assert (
            manage_python(
                server,
                "from support.privacy import privacy_notice_counts; print(sum(r['count'] for r in privacy_notice_counts()))",
            )
            != "0"
        )

        first.get_by_role("link", name="Keep my account").click()
        expect(first.get_by_role("heading", name="Keep your account")).to_be_visible()
        first.get_by_role("button", name="Suggest a passphrase").click()
        expect(first.get_by_label("Passphrase", exact=True)).to_have_value(re.compile(r"^[a-z]+(-[a-z]+){4}$"))
        passphrase = first.get_by_label("Passphrase", exact=True).input_value()
        first.get_by_role("button", name="Keep my account with this passphrase").click()
        expect(first.locator("#keep-status")).to_contain_text("kept with a passphrase")
        expect(first.get_by_label("Current passphrase")).to_be_visible()  # changing it now needs the current one
        alias = first.locator("#account-alias").text_content()
        assert run_axe(first) == []
        screenshot(first, "account-kept-mobile")

        second.goto("/account/")
        expect(second.get_by_role("heading", name="Sign in")).to_be_visible()
        second.get_by_label("Your alias").fill(alias)
        second.get_by_label("Your passphrase").fill(passphrase)
        second.get_by_role("button", name="Sign in").click()
        expect(second.locator("#account-alias")).to_have_text(alias)
        past = second.get_by_role("button", name=re.compile("^Chat with "))
        expect(past).to_have_count(1)
        past.click()
        expect(second.locator(".transcript")).to_contain_text("words from my first device")
        expect(second.locator("#favourites-list li")).to_have_count(1)
        assert run_axe(second) == []
        screenshot(second, "account-returning")

        # On the chat page too: a browser that never accepted the notice sees it before asking.
        third_context, third = new_page(browser, server, width=375, height=740)
        try:
            third.goto("/talk/")
            third.get_by_text("Been here before? Sign in with your alias and passphrase").click()
            third.get_by_label("Your alias").fill(alias)
            third.get_by_label("Your passphrase").fill(passphrase)
            third.get_by_role("button", name="Sign in").click()
            expect(third.get_by_role("heading", name="What's on your mind?")).to_be_visible()
            expect(third.locator("#privacy-topic")).to_be_visible()
            third.errors.assert_clean()
        finally:
            third_context.close()

        # Deleting the past chats: confirmed, said, and the list empties.
        second.get_by_role("button", name="Delete my past chats").click()
        second.get_by_role("button", name="Yes, delete my past chats").click()
        expect(second.locator("#delete-history-result")).not_to_be_empty()
        expect(second.locator("#history-empty")).to_be_visible()
        axe_at_both_sizes(second, "the account page after deleting the past chats")

        second.get_by_role("button", name="Delete my account").click()
        dialog = second.get_by_role("dialog", name="Delete your account?")
        expect(dialog).to_contain_text("730 days")
        expect(dialog).to_contain_text("signed out on every device")
        axe_at_both_sizes(second, "the delete-account confirmation")
        second.get_by_role("button", name="Yes, delete my account").click()
        expect(second.locator("#account-status")).to_contain_text("deleted")
        expect(second.get_by_role("heading", name="Sign in")).to_be_visible()

        second.goto("/privacy/")
        expect(second.get_by_role("heading", name="Privacy notice")).to_be_visible()
        assert run_axe(second) == []
        for page in (first, second, listener):
            page.errors.assert_clean()
    finally:
        second_context.close()
        first_context.close()
        listener_context.close()
