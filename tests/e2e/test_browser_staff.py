"""The safety team's remaining tools in the browser: joining a flagged chat and writing in it, a warm
hand-off from the listener, and mute / suspend / ban with a required note, each lifted again."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    STAFF,
    browser,
    listener_signs_in_and_starts_shift,
    new_page,
    run_axe,
    screenshot,
    seeker_asks_for_a_listener,
    server,
    sign_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.xdist_group("e2e")]
CRISIS = "i dont want to be alive anymore"


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def act(staff, kind: str, note: str, **fields) -> None:
    staff.get_by_label("What are you doing?").select_option(kind)
    for label, value in fields.items():
        staff.get_by_label(label).fill(value)
    staff.get_by_label("Note (required)").fill(note)
    staff.get_by_role("button", name="Record action").click()


def lift(staff, kind: str, note: str) -> None:
    lift_form = staff.locator("#lift-form")
    expect(lift_form).to_be_visible()
    value = staff.locator("#lift-sanction option", has_text=re.compile(f"^{kind} ")).first.get_attribute("value")
    staff.get_by_label("Sanction").select_option(value)
    lift_form.get_by_label("Why lift it? (required)").fill(note)
    lift_form.get_by_role("button", name="Lift sanction").click()
    expect(staff.locator("#audit")).to_contain_text(f"sanction.lift_{kind}")


def test_staff_join_a_flagged_chat_write_take_over_and_sanction_with_notes(browser, server):
    staff_context, staff = new_page(browser, server, width=1280, height=900)
    listener_context, listener = new_page(browser, server)
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    try:
        sign_in(staff, "/staff/", STAFF[0], STAFF[1])
        expect(staff.get_by_role("heading", name="Review queue")).to_be_visible()
        listener_signs_in_and_starts_shift(listener)
        seeker_asks_for_a_listener(seeker)
        listener.locator(".offer").first.get_by_role("button", name="Accept").click()
        expect(seeker.get_by_role("button", name="End chat")).to_be_visible()
        listener.locator("[role=tabpanel]:not([hidden])").get_by_label("Your message").fill("Hi, I'm listening.")
        listener.locator("[role=tabpanel]:not([hidden])").get_by_label("Your message").press("Enter")
        expect(seeker.locator(".msg-theirs .msg-text")).to_have_text(["Hi, I'm listening."])
        seeker.get_by_label("Your message").fill(CRISIS)
        seeker.get_by_label("Your message").press("Enter")

        item = staff.locator(".queue-item").first
        expect(item).to_be_visible()
        # The link in an alert e-mail (/staff/?flag=<id>) opens the console with that alert selected.
        flag_id = item.get_attribute("data-alert")
        linked = staff_context.new_page()
        linked.goto(f"/staff/?flag={flag_id}")
        expect(linked.locator("#detail-body")).to_be_visible()
        expect(linked.locator(f'.queue-item[data-alert="{flag_id}"]')).to_have_attribute("aria-current", "true")
        linked.close()
        item.get_by_role("button").click()
        staff.get_by_role("button", name="Claim").click()
        expect(item).to_contain_text("claimed by SafetyDesk")

        # Join the chat from the page and write in it: both people see the safety team.
        staff.get_by_role("button", name="Join this chat").click()
        live = staff.locator("#staff-chat")
        expect(live.locator(".msg-text", has_text=CRISIS)).to_be_visible()
        expect(seeker.locator(".chat-log")).to_contain_text("safety team has joined")
        live.get_by_label("Your message").fill("Hi, I'm from the Hearth safety team. I'm here with you too.")
        live.get_by_label("Your message").press("Enter")
        expect(seeker.locator(".msg-staff .msg-text")).to_have_text("Hi, I'm from the Hearth safety team. I'm here with you too.")
        expect(listener.locator("[role=tabpanel]:not([hidden]) .msg-staff")).to_be_visible()
        seeker.get_by_label("Your message").fill("thank you")
        seeker.get_by_label("Your message").press("Enter")
        expect(live.locator(".msg-theirs .msg-text").last).to_have_text("thank you")
        assert run_axe(staff) == []
        screenshot(staff, "staff-live-chat")

        # Warm hand-off: the listener leaves, the seeker stays with staff.
        staff.get_by_role("button", name="Take over from the listener").click()
        staff.get_by_role("button", name="Yes, take over now").click()
        expect(listener.get_by_role("tab")).to_contain_text("(ended)")
        expect(listener.locator("[role=tabpanel]:not([hidden])")).to_contain_text("The safety team has taken over this chat.")
        live.get_by_label("Your message").fill("I'm still here.")
        live.get_by_label("Your message").press("Enter")
        expect(seeker.locator(".msg-staff .msg-text").last).to_have_text("I'm still here.")

        # Every sanction needs a note; each is recorded and can be lifted with a note.
        staff.get_by_label("What are you doing?").select_option("mute-seeker")
        staff.get_by_role("button", name="Record action").click()
        expect(staff.locator("#action-error")).to_contain_text("A note is required")
        act(staff, "mute-seeker", "Cooling off for a few minutes.", **{"For how many minutes?": "5"})
        expect(staff.locator("#audit")).to_contain_text("sanction.mute")
        seeker.get_by_label("Your message").fill("can I still write?")
        seeker.get_by_label("Your message").press("Enter")
        expect(seeker.locator(".chat .form-error")).to_contain_text("You can't send messages for a while")
        lift(staff, "mute", "Talked it through; lifting the mute.")

        act(staff, "suspend", "Suspended pending a review of this chat.")
        expect(staff.locator("#action-error")).to_contain_text("end date or a review date")
        act(staff, "suspend", "Suspended pending a review of this chat.", **{"Review on (optional)": "2099-01-01T10:00"})
        expect(staff.locator("#audit")).to_contain_text("sanction.suspension")
        expect(listener.locator("#connection")).to_be_visible()
        lift(staff, "suspension", "Reviewed: the listener followed guidance.")

        act(staff, "ban", "Repeated abuse towards volunteers.", **{"Ends on (optional)": "2099-01-01T10:00"})
        expect(staff.locator("#audit")).to_contain_text("sanction.ban")
        expect(seeker.locator("#connection")).to_contain_text(re.compile("session has ended|signed out", re.IGNORECASE))
        lift(staff, "ban", "Ban entered by mistake.")
        assert run_axe(staff) == []
        staff.errors.assert_clean()
    finally:
        seeker_context.close()
        listener_context.close()
        staff_context.close()
