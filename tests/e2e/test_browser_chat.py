"""A seeker and a listener, each in their own browser, from the landing page to a finished chat."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    browser,
    listener_signs_in_and_starts_shift,
    new_page,
    run_axe,
    screenshot,
    seeker_asks_for_a_listener,
    server,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def panel(listener):
    """The selected chat tab's panel (other tabs' panels are hidden)."""
    return listener.locator("[role=tabpanel]:not([hidden])")


def accept_first_offer(listener):
    offer = listener.locator(".offer").first
    expect(offer).to_be_visible()
    expect(offer.locator(".countdown")).to_have_text(re.compile(r"\d+ s"))
    offer.get_by_role("button", name="Accept").click()


def test_seeker_and_listener_go_from_landing_to_a_rated_chat(browser, server):
    listener_context, listener = new_page(browser, server)
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    try:
        screenshot_landing = seeker.goto("/")
        assert screenshot_landing.ok
        screenshot(seeker, "landing-mobile")
        listener_signs_in_and_starts_shift(listener)

        seeker_asks_for_a_listener(seeker, note="Exams are getting to me")
        expect(seeker.locator("#queue-position")).to_contain_text("line")
        # The seeker can already write while waiting; the listener sees it on joining.
        seeker.get_by_label("Your message").fill("hi, is anyone there?")
        seeker.get_by_label("Your message").press("Enter")
        # Nobody can read it yet: it is stored, not "Delivered" (that comes when a listener joins).
        expect(seeker.locator(".msg-mine .msg-state")).to_have_text("Sent — your listener will see it when they join")
        screenshot(seeker, "seeker-waiting-mobile")

        expect(listener.locator(".offer")).to_contain_text("Exams are getting to me")
        assert listener.title().startswith("(1)")
        accept_first_offer(listener)
        expect(listener.get_by_role("tab")).to_have_count(1)
        expect(panel(listener).locator(".msg-theirs .msg-text")).to_have_text("hi, is anyone there?")
        # The seeker's opening note stays with the chat once the offer is gone.
        expect(panel(listener).locator(".opening-note")).to_contain_text("Exams are getting to me")
        expect(seeker.get_by_role("heading", name=re.compile("You're talking with KindLantern"))).to_be_visible()
        expect(seeker.locator(".msg-mine .msg-state").first).to_have_text(re.compile("Delivered|Read"))

        # User text is shown as text, never as markup.
        hostile = '<img src=x onerror="document.body.dataset.pwned=1"><script>document.body.dataset.pwned=2</script>'
        panel(listener).get_by_label("Your message").fill(hostile)
        listener.get_by_role("button", name="Send").click()
        expect(seeker.locator(".msg-theirs .msg-text").last).to_have_text(hostile)
        assert seeker.evaluate("document.body.dataset.pwned") is None
        assert seeker.locator(".chat-log img, .chat-log script").count() == 0

        # Read marker: the listener's screen shows the seeker's message as read once it is on screen.
        expect(seeker.locator(".msg-mine .msg-state").first).to_have_text("Read")

        # Typing indicator.
        panel(listener).get_by_label("Your message").press_sequentially("I'm here")
        expect(seeker.locator(".typing-line")).to_have_text("Your listener is typing…")
        panel(listener).get_by_label("Your message").press("Enter")
        expect(seeker.locator(".msg-theirs .msg-text").last).to_have_text("I'm here")
        seeker.get_by_label("Your message").fill("thank you, that helps")
        seeker.get_by_label("Your message").press("Enter")
        expect(panel(listener).locator(".msg-theirs .msg-text").last).to_have_text("thank you, that helps")
        screenshot(seeker, "seeker-chat-mobile")
        screenshot(listener, "listener-console")
        assert run_axe(seeker) == []
        assert run_axe(listener) == []

        seeker.get_by_role("button", name="End chat").click()
        seeker.get_by_role("button", name="Yes, end the chat").click()
        expect(seeker.get_by_role("heading", name="The chat has ended")).to_be_visible()
        expect(seeker.locator("#ended-reason")).to_have_text("You ended the chat.")
        expect(seeker.locator("#ended-resources")).to_be_hidden()  # a quiet chat: no crisis lines pushed
        expect(listener.get_by_role("button", name="Close tab")).to_be_visible()
        expect(panel(listener).locator(".chat > .form-error")).to_have_text("The seeker ended the chat.")
        expect(listener.get_by_role("tab")).to_contain_text("(ended)")

        seeker.get_by_label("4").check()
        seeker.get_by_label("Anything you'd like to add?").fill("Kind and patient.")
        seeker.get_by_label(re.compile("as a favourite")).check()
        seeker.get_by_role("button", name="Send feedback").click()
        expect(seeker.get_by_text("Thank you. Your feedback helps our listeners.")).to_be_visible()
        screenshot(seeker, "seeker-rated-mobile")
        assert run_axe(seeker) == []
        seeker.errors.assert_clean()
        listener.errors.assert_clean()
    finally:
        seeker_context.close()
        listener_context.close()


def matched_pair(browser, server):
    listener_context, listener = new_page(browser, server)
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    listener_signs_in_and_starts_shift(listener)
    seeker_asks_for_a_listener(seeker)
    accept_first_offer(listener)
    expect(seeker.get_by_role("button", name="End chat")).to_be_visible()
    return listener_context, listener, seeker_context, seeker


def test_seeker_who_loses_the_network_gets_every_message_once_and_their_own_are_sent(browser, server):
    listener_context, listener, seeker_context, seeker = matched_pair(browser, server)
    try:
        seeker.get_by_label("Your message").fill("before the drop")
        seeker.get_by_label("Your message").press("Enter")
        expect(panel(listener).locator(".msg-theirs .msg-text")).to_have_text(["before the drop"])

        seeker_context.set_offline(True)
        expect(seeker.locator("#connection")).to_contain_text("Reconnecting")
        for n in range(1, 4):
            panel(listener).get_by_label("Your message").fill(f"while you were away {n}")
            panel(listener).get_by_label("Your message").press("Enter")
        expect(panel(listener).locator(".msg-mine .msg-state")).to_have_text(["Delivered"] * 3)
        seeker.get_by_label("Your message").fill("typed while offline")
        seeker.get_by_label("Your message").press("Enter")
        expect(seeker.locator(".msg-mine .msg-state").last).to_have_text("Waiting for connection")
        screenshot(seeker, "seeker-reconnecting-mobile")

        seeker_context.set_offline(False)
        expect(seeker.locator("#connection")).to_be_hidden()
        expected = [f"while you were away {n}" for n in range(1, 4)]
        expect(seeker.locator(".msg-theirs .msg-text")).to_have_text(expected)
        expect(panel(listener).locator(".msg-theirs .msg-text")).to_have_text(
            ["before the drop", "typed while offline"]
        )
        expect(seeker.locator(".msg-mine .msg-state").last).to_have_text(re.compile("Delivered|Read"))

        # A second drop and return must not replay anything already shown.
        seeker_context.set_offline(True)
        expect(seeker.locator("#connection")).to_contain_text("Reconnecting")
        seeker_context.set_offline(False)
        expect(seeker.locator("#connection")).to_be_hidden()
        panel(listener).get_by_label("Your message").fill("still here")
        panel(listener).get_by_label("Your message").press("Enter")
        expect(seeker.locator(".msg-theirs .msg-text")).to_have_text([*expected, "still here"])
        expect(seeker.locator(".msg-mine")).to_have_count(2)
        seqs = seeker.locator(".chat-log li[data-seq]").evaluate_all("items => items.map(li => Number(li.dataset.seq))")
        assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)), seqs
    finally:
        seeker_context.close()
        listener_context.close()


def test_seeker_reloading_the_page_returns_to_the_same_chat_with_its_history(browser, server):
    listener_context, listener, seeker_context, seeker = matched_pair(browser, server)
    try:
        panel(listener).get_by_label("Your message").fill("welcome")
        panel(listener).get_by_label("Your message").press("Enter")
        expect(seeker.locator(".msg-theirs .msg-text")).to_have_text(["welcome"])
        seeker.reload()
        expect(seeker.get_by_role("heading", name=re.compile("You're talking with"))).to_be_visible()
        expect(seeker.locator(".msg-theirs .msg-text")).to_have_text(["welcome"])
    finally:
        seeker_context.close()
        listener_context.close()


def test_seeker_whose_waiting_frame_is_lost_still_waits_and_their_first_words_reach_the_listener(browser, server):
    """``conversation.waiting`` crosses the channel layer, which delivers at most once: the page
    must take the waiting state from the committed reply to ``request.create`` instead."""
    listener_context, listener = new_page(browser, server)
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    dropped = []

    def drop_waiting_frames(route):
        upstream = route.connect_to_server()

        def to_page(message):
            if isinstance(message, str) and '"conversation.waiting"' in message:
                dropped.append(message)
                return
            route.send(message)

        upstream.on_message(to_page)

    seeker.route_web_socket(re.compile(r"/ws/v1/chat/$"), drop_waiting_frames)
    try:
        listener_signs_in_and_starts_shift(listener)
        seeker_asks_for_a_listener(seeker)
        assert dropped, "the test must actually have withheld conversation.waiting"
        seeker.get_by_label("Your message").fill("written while waiting")
        seeker.get_by_label("Your message").press("Enter")
        expect(seeker.locator(".msg-mine .msg-state").last).to_have_text(
            "Sent — your listener will see it when they join"
        )
        accept_first_offer(listener)
        expect(seeker.get_by_role("button", name="End chat")).to_be_visible()
        expect(panel(listener).locator(".msg-theirs .msg-text")).to_have_text(["written while waiting"])
    finally:
        seeker_context.close()
        listener_context.close()
