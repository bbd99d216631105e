"""The crisis state survives a reload (the server says it in hello), the lines are tap-to-call in
the order the situation needs, in the country the seeker chose; the end screen speaks from their side."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    axe_at_both_sizes,
    browser,
    listener_signs_in_and_starts_shift,
    new_page,
    run_axe,
    screenshot,
    seeker_asks_for_a_listener,
    server,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
IMMINENT = "i took all my pills an hour ago"


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def panel(listener):
    return listener.locator("[role=tabpanel]:not([hidden])")


def test_crisis_panel_and_guidance_come_back_after_a_reload_with_emergency_services_first(browser, server):
    listener_context, listener = new_page(browser, server, width=1280, height=800)
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    try:
        listener_signs_in_and_starts_shift(listener)
        seeker_asks_for_a_listener(seeker)
        listener.locator(".offer").first.get_by_role("button", name="Accept").click()
        expect(seeker.get_by_role("button", name="End chat")).to_be_visible()

        seeker.get_by_label("Your message").fill(IMMINENT)
        seeker.get_by_label("Your message").press("Enter")
        resources = seeker.locator("#safety-resources")
        expect(resources).to_be_visible()
        first = resources.locator(".helpline-list li").first
        expect(first).to_contain_text("Emergency services")
        expect(first.get_by_role("link", name="Call Emergency services")).to_have_attribute("href", "tel:911")
        expect(resources.get_by_role("link", name=re.compile("^Text Crisis Text Line"))).to_have_attribute(
            "href", "sms:741741?&body=HOME"
        )
        expect(resources).not_to_contain_text("Childhelp")  # a line for children, and this seeker is 24
        guidance = panel(listener).locator(".guidance")
        expect(guidance).to_contain_text("Possible immediate risk")
        expect(panel(listener).get_by_label("Your message")).to_be_in_viewport(ratio=1)

        seeker.reload()
        expect(seeker.get_by_role("button", name="End chat")).to_be_visible()
        expect(resources).to_be_visible()
        expect(first).to_contain_text("Emergency services")
        screenshot(seeker, "seeker-crisis-after-reload-mobile")
        axe_at_both_sizes(seeker, "the seeker's chat with the crisis panel open")

        listener.reload()
        expect(panel(listener).locator(".guidance")).to_contain_text("Possible immediate risk")
        expect(panel(listener).get_by_label("Your message")).to_be_in_viewport(ratio=1)
        screenshot(listener, "listener-guidance-after-reload")
        axe_at_both_sizes(listener, "the listener's console with imminent guidance")

        # The seeker picks their country; the choice stays in this browser.
        seeker.get_by_label("Lines for").select_option("GB")
        expect(first.get_by_role("link", name="Call Emergency services")).to_have_attribute("href", "tel:999")
        seeker.reload()
        expect(seeker.get_by_label("Lines for")).to_have_value("GB")
        expect(first).to_contain_text("Call 999")
        # On a phone the panel folds away and opens again.
        toggle = seeker.locator("#resources-toggle")
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(first).to_be_hidden()
        assert run_axe(seeker) == [], "the crisis panel folded away on a phone"
        toggle.click()
        expect(first).to_be_visible()

        panel(listener).get_by_role("button", name="End chat").click()
        panel(listener).get_by_role("button", name="Yes, end this chat").click()
        expect(seeker.get_by_role("heading", name="The chat has ended")).to_be_visible()
        expect(seeker.locator("#ended-reason")).to_have_text("Your listener ended the chat.")
        expect(seeker.locator("#ended-resources")).to_be_visible()
        expect(seeker.locator("#ended-resources .helpline-list li").first).to_contain_text("Call 999")
        screenshot(seeker, "seeker-ended-after-crisis-mobile")
        axe_at_both_sizes(seeker, "the end screen after a flagged chat")
        # An escalated chat pauses the listener's offers for a debrief; the next test needs them.
        listener.get_by_role("button", name="I'm ready to continue").click()
        expect(listener.get_by_role("button", name="I'm ready to continue")).to_be_hidden()
        seeker.errors.assert_clean()
        listener.errors.assert_clean()
    finally:
        seeker_context.close()
        listener_context.close()


def test_an_anonymous_visitor_is_not_asked_about_and_an_impossible_age_says_the_range(browser, server):
    context, page = new_page(browser, server, width=375, height=740)
    asked = []
    page.on("request", lambda request: "/api/v1/me" in request.url and asked.append(request.url))
    try:
        page.goto("/talk/")
        page.get_by_label("How old are you?").fill("150")
        page.get_by_role("button", name="Continue").click()
        expect(page.locator("#age-error")).to_have_text("Please enter an age between 0 and 120.")
        assert asked == []
        page.errors.assert_clean()
    finally:
        context.close()


def test_malformed_frames_leave_the_chat_working(browser, server):
    listener_context, listener = new_page(browser, server)
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    junk = [
        "not json at all",
        '{"no_type": 1}',
        '{"type": "safety.guidance", "conversation": "x", "guidance": 5}',
        '{"type": "conversation.started", "conversation": null}',
        '{"type": "hello", "risk": "nonsense", "conversations": 7}',
    ]

    def inject_junk(route):
        upstream = route.connect_to_server()

        def to_page(message):
            if isinstance(message, str) and '"message.ack"' in message and junk:
                while junk:
                    route.send(junk.pop(0))
            route.send(message)

        upstream.on_message(to_page)

    seeker.route_web_socket(re.compile(r"/ws/v1/chat/$"), inject_junk)
    try:
        listener_signs_in_and_starts_shift(listener)
        seeker_asks_for_a_listener(seeker)
        listener.locator(".offer").first.get_by_role("button", name="Accept").click()
        expect(seeker.get_by_role("button", name="End chat")).to_be_visible()
        seeker.get_by_label("Your message").fill("still here?")
        seeker.get_by_label("Your message").press("Enter")
        expect(panel(listener).locator(".msg-theirs .msg-text").last).to_have_text("still here?")
        # the listener may see the message before the seeker's page has its ack (and the
        # junk sent before it): wait for the page to say so before checking the junk went
        expect(seeker.locator(".chat > .form-error")).to_contain_text("Something unexpected arrived")
        assert not junk, "the junk frames must actually have reached the page"
        panel(listener).get_by_label("Your message").fill("yes, I'm here")
        panel(listener).get_by_label("Your message").press("Enter")
        expect(seeker.locator(".msg-theirs .msg-text").last).to_have_text("yes, I'm here")
        expect(seeker.get_by_role("button", name="End chat")).to_be_visible()
        seeker.errors.assert_clean()
    finally:
        seeker_context.close()
        listener_context.close()
