"""Keyboard-only journeys (issue 19, point 6): a listener signs in, starts a shift, accepts an offer and
answers; a safety reviewer signs in, opens the newest alert, claims it and acts on it.

The person under test uses Tab, Shift+Tab, Enter, Space and the arrow keys only (``page.keyboard``);
no click, no fill. The other side of each journey (the seeker, the listener in the staff test) is set
up with the ordinary helpers. Each journey checks that focus is visible where it lands and that the
action took effect on the server.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    LISTENER,
    STAFF,
    browser,
    listener_signs_in_and_starts_shift,
    manage_python,
    new_page,
    seeker_asks_for_a_listener,
    server,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
CRISIS = "i dont want to be alive anymore"


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def focused(page, selector: str) -> bool:
    return page.evaluate("(s) => document.activeElement !== null && document.activeElement.matches(s)", selector)


def assert_focus_visible(page) -> None:
    """The focused control shows the page's focus ring (`:focus-visible`, an outline)."""
    style = page.evaluate(
        "() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return {visible: e.matches(':focus-visible'), outline: s.outlineStyle, width: s.outlineWidth}; }"
    )
    assert style["visible"], f"focus is not :focus-visible: {style}"
    assert style["outline"] != "none" and style["width"] != "0px", f"focused control has no visible outline: {style}"


def tab_to(page, selector: str, *, backwards: bool = False, limit: int = 80) -> int:
    """Press Tab (or Shift+Tab) until the focused element matches ``selector``; returns the presses.

    Fails if the selector is not reached within ``limit`` presses: an unreachable control, or a trap.
    """
    key = "Shift+Tab" if backwards else "Tab"
    seen = []
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if focused(page, selector):
            assert_focus_visible(page)
            return presses
        seen.append(
            page.evaluate(
                "() => { const e = document.activeElement; return e.id || e.tagName + ':' + (e.textContent || '').trim().slice(0, 30); }"
            )
        )
    raise AssertionError(f"{selector} not reached with {key} in {limit} presses; focus went through {seen}")


def sign_in_by_keyboard(page, path: str, username: str, password: str) -> None:
    page.goto(path)
    page.get_by_label("Username").wait_for()
    tab_to(page, "#username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert focused(page, "#password")
    page.keyboard.type(password)
    page.keyboard.press("Enter")


def db(server, code: str) -> dict:
    return json.loads(manage_python(server, code))


def test_listener_accepts_and_answers_with_the_keyboard_alone(browser, server):
    listener_context, listener = new_page(browser, server, width=1280, height=800)
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    try:
        sign_in_by_keyboard(listener, "/listen/", *LISTENER)
        # Signed in: the console's heading has focus, so a screen reader says where they are.
        expect(listener.locator("#console-title")).to_be_focused()
        listener.locator("#shift-topics input").first.wait_for()  # topics arrive from the API
        # The demo listener's own topics are ticked already; Space toggles a checkbox, so the topics are reachable.
        tab_to(listener, "#shift-topics input")
        listener.keyboard.press("Space")
        listener.keyboard.press("Space")
        tab_to(listener, "#capacity")
        tab_to(listener, "#shift-form button[type=submit]")
        listener.keyboard.press("Enter")
        expect(listener.get_by_role("heading", name="On shift")).to_be_visible()

        seeker_asks_for_a_listener(seeker, note="exam stress")
        offer = listener.locator(".offer").first
        expect(offer).to_be_visible()
        # From wherever focus was left, Tab reaches the offer's Accept (the paging card and its details on the way).
        tab_to(listener, ".offer button.button-primary")
        listener.keyboard.press("Enter")

        # Accepting opens the chat and puts focus in its composer, ready to answer.
        composer = listener.locator("[role=tabpanel]:not([hidden])").get_by_label("Your message")
        expect(composer).to_be_focused()
        expect(listener.get_by_role("tab", selected=True)).to_be_visible()
        listener.keyboard.type("Hi, I'm here. What's on your mind?")
        listener.keyboard.press("Enter")
        expect(seeker.locator(".msg-theirs .msg-text").last).to_have_text("Hi, I'm here. What's on your mind?")

        stored = db(
            server,
            f"""
import json
from chat.models import Conversation, Message
c = Conversation.objects.filter(listener__username={LISTENER[0]!r}).order_by("-pk").first()
m = c.messages.filter(sender_role="listener").order_by("-seq").first()
print(json.dumps({{"status": c.status, "text": m.text if m else None}}))
""",
        )
        assert stored == {"status": "active", "text": "Hi, I'm here. What's on your mind?"}

        # Shift+Tab from the composer leaves it (no trap) and reaches the chat's own actions.
        tab_to(listener, "[role=tabpanel]:not([hidden]) .chat-actions button", backwards=True, limit=20)
        listener.errors.assert_clean()
        seeker.errors.assert_clean()
    finally:
        seeker_context.close()
        listener_context.close()


def test_declining_an_offer_by_keyboard_keeps_focus_in_the_list_of_requests(browser, server):
    listener_context, listener = new_page(browser, server, width=1280, height=800)
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    try:
        listener_signs_in_and_starts_shift(listener)
        seeker_asks_for_a_listener(seeker, note="can't sleep")
        offer = listener.locator(".offer").first
        expect(offer).to_be_visible()
        tab_to(listener, ".offer .offer-actions button:nth-child(2)")  # Decline
        listener.keyboard.press("Enter")
        expect(listener.locator(".offer")).to_have_count(0)
        # The focused button went with the offer: focus stays with the requests, not the page's top.
        expect(listener.locator("#offers-title")).to_be_focused()
        listener.errors.assert_clean()
    finally:
        seeker_context.close()
        listener_context.close()


def test_staff_claims_and_acts_on_the_newest_alert_with_the_keyboard_alone(browser, server):
    staff_context, staff = new_page(browser, server, width=1280, height=900)
    listener_context, listener = new_page(browser, server)
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    try:
        sign_in_by_keyboard(staff, "/staff/", *STAFF)
        expect(staff.get_by_role("heading", name="Review queue")).to_be_focused()

        listener_signs_in_and_starts_shift(listener)
        seeker_asks_for_a_listener(seeker)
        listener.locator(".offer").first.get_by_role("button", name="Accept").click()
        expect(seeker.get_by_role("button", name="End chat")).to_be_visible()
        seeker.get_by_label("Your message").fill(CRISIS)
        seeker.get_by_label("Your message").press("Enter")

        card = staff.locator(".queue-item", has_text=CRISIS).first
        expect(card).to_be_visible()
        flag_id = int(card.get_attribute("data-alert"))
        # Tab from the heading to the newest alert's button; Enter opens it and moves focus to the detail pane.
        tab_to(staff, f".queue-item[data-alert='{flag_id}'] button")
        staff.keyboard.press("Enter")
        expect(staff.locator("#detail")).to_be_focused()
        expect(staff.locator("#transcript .msg-flagged")).to_contain_text(CRISIS)

        tab_to(staff, "#claim", limit=20)
        staff.keyboard.press("Enter")
        # Claimed: focus goes to the note, the first thing the reviewer must write.
        expect(staff.get_by_label("Note (required)")).to_be_focused()
        expect(card).to_contain_text("claimed by SafetyDesk")
        staff.keyboard.type("Seeker has the helplines and agreed to call 988. Listener stayed with them.")
        # Back to the action choice, pick "Warn the seeker, then resolve" with an arrow key.
        tab_to(staff, "#action-kind", backwards=True, limit=5)
        staff.keyboard.press("ArrowDown")
        expect(staff.locator("#action-kind")).to_have_value("warn-seeker")
        tab_to(staff, "#action-form button[type=submit]", limit=5)
        staff.keyboard.press("Enter")

        expect(staff.locator(f".queue-item[data-alert='{flag_id}']")).to_have_count(0)
        # The form that had focus is gone with the open case; focus goes back to the detail pane, now
        # titled "Resolved · …", rather than being dropped on the page body.
        expect(staff.locator("#detail-title")).to_contain_text("Resolved")
        expect(staff.locator("#detail")).to_be_focused()
        expect(staff.locator("#audit")).to_contain_text("resolve", ignore_case=True)
        stored = db(
            server,
            f"""
import json
from safety.models import SafetyFlag, Sanction
f = SafetyFlag.objects.get(pk={flag_id})
print(json.dumps({{"status": f.status, "by": f.resolved_by.username if f.resolved_by else None,
                  "claimed": f.claimed_by.username if f.claimed_by else None,
                  "warnings": Sanction.objects.filter(flag=f, kind="warning").count()}}))
""",
        )
        assert stored == {"status": "resolved", "by": STAFF[0], "claimed": STAFF[0], "warnings": 1}
        staff.errors.assert_clean()
        seeker.errors.assert_clean()
    finally:
        seeker_context.close()
        listener_context.close()
        staff_context.close()
