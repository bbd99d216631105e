"""axe-core finds no WCAG A/AA violations on any screen, and the seeker flow works by keyboard alone."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    LISTENER,
    STAFF,
    browser,
    listener_signs_in_and_starts_shift,
    new_page,
    run_axe,
    screenshot,
    server,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def assert_no_violations(page, screen: str) -> None:
    violations = run_axe(page)
    assert violations == [], f"axe on {screen}: {violations}"


@pytest.mark.parametrize("width", [375, 1280])
def test_seeker_screens_have_no_axe_violations(browser, server, width):
    context, page = new_page(browser, server, width=width, height=800)
    try:
        page.goto("/")
        assert_no_violations(page, "landing")
        page.goto("/talk/")
        page.get_by_label("How old are you?").wait_for()
        assert_no_violations(page, "age")
        page.get_by_label("How old are you?").fill("30")
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("heading", name="What's on your mind?").wait_for()
        page.locator("#topic-choices label").nth(1).wait_for()
        assert_no_violations(page, "topic")
        screenshot(page, f"seeker-topic-{width}")
        page.get_by_role("button", name="Find a listener").click()
        page.get_by_role("heading", name="Finding you a listener…").wait_for()
        expect(page.locator("#queue-position")).to_contain_text("line")
        assert_no_violations(page, "waiting")
        page.get_by_role("button", name="Stop waiting").click()
        page.get_by_role("heading", name="What's on your mind?").wait_for()
        page.errors.assert_clean()
    finally:
        context.close()


def test_under_13_gets_a_kind_refusal_with_helplines(browser, server):
    context, page = new_page(browser, server, width=375)
    try:
        page.goto("/talk/")
        page.get_by_label("How old are you?").fill("11")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="We can't open a chat here")).to_be_visible()
        expect(page.locator("#refused-message")).to_contain_text("You deserve support")
        expect(page.locator("#refused-helplines li").first).to_be_visible()
        assert_no_violations(page, "refused")
    finally:
        context.close()


def test_listener_and_staff_screens_have_no_axe_violations(browser, server):
    context, page = new_page(browser, server)
    try:
        page.goto("/listen/")
        page.get_by_label("Username").wait_for()
        assert_no_violations(page, "listener sign-in")
        listener_signs_in_and_starts_shift(page)
        assert_no_violations(page, "listener console")
        page.goto("/listen/training/")
        page.get_by_role("heading", name="Listener training").wait_for()
        assert_no_violations(page, "training overview")
        screenshot(page, "listener-training")
        page.locator("#course a").first.click()
        page.get_by_role("heading", name="Quiz").wait_for()
        assert_no_violations(page, "training module")
        page.get_by_role("button", name="Submit answers").click()
        expect(page.locator("#quiz-error")).to_contain_text("Answer every question")
        page.evaluate(
            "fetch('/api/v1/session/logout', {method: 'POST', headers: {'X-CSRFToken': document.cookie.match(/csrftoken=([^;]+)/)[1]}})"
        )
        page.goto("/staff/")
        page.get_by_label("Username").fill(STAFF[0])
        page.get_by_label("Password").fill(STAFF[1])
        assert_no_violations(page, "staff sign-in")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Review queue").wait_for()
        assert_no_violations(page, "staff queue")
        page.errors.assert_clean()
    finally:
        context.close()


def test_seeker_flow_works_with_the_keyboard_alone(browser, server):
    context, page = new_page(browser, server, width=375)
    try:
        page.goto("/")
        # Skip link first, then the brand and the navigation, then the main call to action.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "talk-now":
                break
        assert page.evaluate("document.activeElement.id") == "talk-now"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", "focused control has no visible outline"
        page.keyboard.press("Enter")
        expect(page.get_by_label("How old are you?")).to_be_focused()
        page.keyboard.type("19")
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="What's on your mind?").wait_for()
        page.locator("#topic-choices input").nth(1).wait_for()  # topics arrive from the API
        page.keyboard.press("Tab")  # into the topic radios
        page.keyboard.press("ArrowDown")  # choose the first real topic
        checked = page.locator("#topic-choices input:checked")
        expect(checked).not_to_have_value("any")
        page.keyboard.press("Tab")
        expect(page.get_by_label(re.compile("Anything you'd like the listener to know"))).to_be_focused()
        page.keyboard.type("can't sleep")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Finding you a listener…").wait_for()
        expect(page.get_by_label("Your message")).to_be_focused()
        page.keyboard.type("hello from the keyboard")
        page.keyboard.press("Enter")
        expect(page.locator(".msg-mine .msg-text")).to_have_text("hello from the keyboard")
        # Stop waiting is reachable and works from the keyboard.
        page.get_by_role("button", name="Stop waiting").focus()
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="What's on your mind?").wait_for()
        page.errors.assert_clean()
    finally:
        context.close()
