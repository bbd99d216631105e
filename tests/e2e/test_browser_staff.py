"""The safety team's desk in the browser: who wrote what, the person's history and the audit trail in
words; joining a flagged chat and writing in it, a warm hand-off from the listener, and mute / suspend /
ban with a required note, each lifted again; the two-pane layout at desktop sizes; sound and
notifications for new items only, unclaimed imminent items shown overdue; malformed frames."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    STAFF,
    axe_at_both_sizes,
    browser,
    listener_signs_in_and_starts_shift,
    new_page,
    run_axe,
    screenshot,
    seeker_asks_for_a_listener,
    server,
    sign_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
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
    expect(staff.locator("#audit")).to_contain_text(f"lifted the {kind}")


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
        # Who wrote it, the person's history, the audit trail in words; no seeker helpline band for staff.
        expect(staff.locator("#detail-who")).to_contain_text(
            re.compile("The seeker may be (at risk|in immediate danger)")
        )
        expect(staff.locator("#history-summary")).to_contain_text("No earlier cases, reports or sanctions")
        expect(staff.locator("#audit")).to_contain_text("claimed the item")
        expect(staff.locator("#audit")).to_contain_text("read the person's earlier cases")
        expect(staff.locator("#audit")).not_to_contain_text("flag.claim")
        expect(staff.locator("#crisis-band")).to_have_count(0)
        transcript_region = staff.get_by_role("log", name="Transcript")
        transcript_region.focus()
        expect(transcript_region).to_be_focused()
        axe_at_both_sizes(staff, "the staff desk with a flagged chat open")

        # Join the chat from the page and write in it: both people see the safety team.
        staff.get_by_role("button", name="Join this chat").click()
        live = staff.locator("#staff-chat")
        expect(live.locator(".msg-text", has_text=CRISIS)).to_be_visible()
        expect(seeker.locator(".chat-log")).to_contain_text("safety team has joined")
        live.get_by_label("Your message").fill("Hi, I'm from the Hearth safety team. I'm here with you too.")
        live.get_by_label("Your message").press("Enter")
        expect(seeker.locator(".msg-staff .msg-text")).to_have_text(
            "Hi, I'm from the Hearth safety team. I'm here with you too."
        )
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
        expect(listener.locator("[role=tabpanel]:not([hidden])")).to_contain_text(
            "The safety team has taken over this chat."
        )
        live.get_by_label("Your message").fill("I'm still here.")
        live.get_by_label("Your message").press("Enter")
        expect(seeker.locator(".msg-staff .msg-text").last).to_have_text("I'm still here.")

        # Every sanction needs a note; each is recorded and can be lifted with a note.
        staff.get_by_label("What are you doing?").select_option("mute-seeker")
        staff.get_by_role("button", name="Record action").click()
        expect(staff.locator("#action-error")).to_contain_text("A note is required")
        act(staff, "mute-seeker", "Cooling off for a few minutes.", **{"For how many minutes?": "5"})
        expect(staff.locator("#audit")).to_contain_text("muted the person")
        seeker.get_by_label("Your message").fill("can I still write?")
        seeker.get_by_label("Your message").press("Enter")
        expect(seeker.locator(".chat .form-error")).to_contain_text("You can't send messages for a while")
        lift(staff, "mute", "Talked it through; lifting the mute.")

        act(staff, "suspend", "Suspended pending a review of this chat.")
        expect(staff.locator("#action-error")).to_contain_text("end date or a review date")
        act(
            staff, "suspend", "Suspended pending a review of this chat.", **{"Review on (optional)": "2099-01-01T10:00"}
        )
        expect(staff.locator("#audit")).to_contain_text("suspended the person")
        expect(listener.locator("#connection")).to_be_visible()
        lift(staff, "suspension", "Reviewed: the listener followed guidance.")

        act(staff, "ban", "Repeated abuse towards volunteers.", **{"Ends on (optional)": "2099-01-01T10:00"})
        expect(staff.locator("#audit")).to_contain_text("banned the person")
        expect(seeker.locator("#connection")).to_contain_text(re.compile("session has ended|signed out", re.IGNORECASE))
        lift(staff, "ban", "Ban entered by mistake.")
        expect(staff.locator("#history-summary")).to_contain_text(
            "2 sanctions (0 in force)"
        )  # the seeker's mute and ban; the suspension was the listener's
        assert run_axe(staff) == []
        staff.errors.assert_clean()
    finally:
        seeker_context.close()
        listener_context.close()
        staff_context.close()


# Records tones and notifications instead of playing them (added before the page's own scripts;
# Playwright's init scripts are not subject to the page's CSP).
RECORD_SIGNALS = """
window.__tones = 0;
window.__notifications = [];
class FakeAudioContext {
  constructor() { this.state = 'running'; this.currentTime = 0; this.destination = {}; }
  resume() {}
  createGain() { return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect(n) { return n; } }; }
  createOscillator() { return { frequency: {}, connect(n) { return n; }, start() { window.__tones += 1; }, stop() {} }; }
}
window.AudioContext = FakeAudioContext;
class FakeNotification {
  constructor(title, options) { window.__notifications.push({ title, tag: options.tag }); }
  close() {}
}
FakeNotification.permission = 'granted';
FakeNotification.requestPermission = async () => 'granted';
window.Notification = FakeNotification;
"""


def fake_alert(alert_id: int, *, minutes_ago: float, **overrides) -> dict:
    from datetime import UTC, datetime, timedelta

    created = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    alert = {
        "id": alert_id,
        "level": 3,
        "level_label": "imminent",
        "categories": ["self_harm"],
        "source": "classifier",
        "subject_role": "seeker",
        "texts": 1,
        "listener_paused": False,
        "status": "open",
        "claimed_by": None,
        "notify_round": 0,
        "reason": "rule:" + "self_harm.plan_with_means_and_timing_" * 3,
        "excerpt": "",
        "topic": "anxiety",
        "conversation": None,
        "created_at": created.isoformat().replace("+00:00", "Z"),
    }
    alert.update(overrides)
    return alert


def test_desk_layout_signals_overdue_items_and_malformed_frames(browser, server):
    """Frames are injected into the page's real staff socket (``route_web_socket``): the server's own
    frames pass through untouched, so the socket stays the real one."""
    import json

    context, staff = new_page(browser, server, width=1280, height=900)
    sockets = []
    hellos = []

    def down(ws, message):
        try:
            if json.loads(message).get("type") == "hello":
                hellos.append(message)
        except (TypeError, ValueError, AttributeError):
            pass
        ws.send(message)

    def route(ws):
        upstream = ws.connect_to_server()
        ws.on_message(upstream.send)
        upstream.on_message(lambda message: down(ws, message))
        sockets.append(ws)

    def notified(count: int) -> None:
        # Polled from here: wait_for_function's string predicate is an eval the page's CSP refuses.
        for _ in range(100):
            if staff.evaluate("window.__notifications.length") >= count:
                return
            staff.wait_for_timeout(50)
        raise AssertionError(staff.evaluate("window.__notifications"))

    def wait_for_hello(count: int) -> None:
        for _ in range(200):
            if len(hellos) >= count:
                staff.wait_for_timeout(200)  # the page applies it
                return
            staff.wait_for_timeout(50)
        raise AssertionError("the staff socket never said hello")

    try:
        staff.add_init_script(RECORD_SIGNALS)
        staff.route_web_socket(re.compile(r".*/ws/v1/staff/"), route)
        sign_in(staff, "/staff/", STAFF[0], STAFF[1])
        expect(staff.get_by_role("heading", name="Review queue")).to_be_visible()
        staff.get_by_role(
            "button", name="Sign out"
        ).focus()  # a key press unlocks audio, as a reviewer's first click would
        staff.keyboard.press("Shift")
        wait_for_hello(1)

        def inject(frame) -> None:
            sockets[-1].send(frame if isinstance(frame, str) else json.dumps(frame))

        # Three items at once: an imminent one unclaimed for 10 minutes, a listener's held message, an elevated one.
        inject({"type": "alert.created", "alert": fake_alert(990001, minutes_ago=10)})
        inject(
            {
                "type": "alert.created",
                "alert": fake_alert(
                    990002,
                    minutes_ago=0.2,
                    subject_role="listener",
                    categories=["held", "personal_info"],
                    listener_paused=True,
                    level=2,
                    level_label="elevated",
                    texts=2,
                    notify_round=1,
                ),
            }
        )
        inject({"type": "alert.created", "alert": fake_alert(990003, minutes_ago=0.5, level=2, level_label="elevated")})
        overdue = staff.locator('.queue-item[data-alert="990001"]')
        expect(overdue).to_have_attribute("data-overdue", "true")
        expect(overdue).to_contain_text(re.compile(r"Overdue: unclaimed for about \d+ minutes, needs a reviewer now"))
        expect(staff.locator("#overdue-summary")).to_contain_text("1 imminent item has waited too long")
        expect(staff).to_have_title(re.compile(r"^\(1 unclaimed too long · 3\)"))
        held = staff.locator('.queue-item[data-alert="990002"]')
        expect(held).to_contain_text("A listener's message was held back and never delivered.")
        expect(held).to_contain_text("re-notified ×1")
        axe_at_both_sizes(staff, "the staff desk with an overdue item")

        # New items sounded and notified once each; the overdue one again. Repeats of the same frame: nothing.
        notified(4)
        inject({"type": "alert.created", "alert": fake_alert(990003, minutes_ago=0.5, level=2, level_label="elevated")})
        inject(
            {
                "type": "alert.updated",
                "alert": fake_alert(
                    990002,
                    minutes_ago=0.2,
                    subject_role="listener",
                    categories=["held"],
                    level=2,
                    level_label="elevated",
                ),
            }
        )
        staff.wait_for_timeout(1500)
        titles = [n["title"] for n in staff.evaluate("window.__notifications")]
        assert sorted(titles) == sorted(
            [
                "New imminent alert",
                "New elevated alert",
                "New elevated alert",
                "Overdue: unclaimed for about 10 minutes",
            ]
        ), titles
        assert staff.evaluate("window.__tones") > 0

        # Muting is visible, remembered, and silences the tone (notifications still come).
        staff.get_by_role("button", name="Sound on").click()
        expect(staff.get_by_role("button", name="Sound off")).to_have_attribute("aria-pressed", "false")
        tones = staff.evaluate("window.__tones")
        inject({"type": "alert.created", "alert": fake_alert(990004, minutes_ago=0, level=2, level_label="elevated")})
        notified(5)
        assert staff.evaluate("window.__tones") == tones
        staff.reload()
        expect(staff.get_by_role("button", name="Sound off")).to_be_visible()
        expect(staff.locator("#queue-empty")).to_be_visible()
        wait_for_hello(2)
        inject({"type": "alert.created", "alert": fake_alert(990001, minutes_ago=10)})
        inject(
            {
                "type": "alert.created",
                "alert": fake_alert(
                    990002,
                    minutes_ago=0.2,
                    subject_role="listener",
                    categories=["held", "personal_info"],
                    listener_paused=True,
                    level=2,
                    level_label="elevated",
                ),
            }
        )

        # Malformed frames: a clear message, the queue and the socket stay.
        inject("this is not json")
        inject({"type": "alert.created", "alert": {"id": "nope"}})
        expect(staff.locator("#frame-problem")).to_be_visible()
        expect(staff.locator("#frame-problem")).to_contain_text("could not be read")
        inject({"type": "alert.created", "alert": fake_alert(990005, minutes_ago=0, level=2, level_label="elevated")})
        expect(staff.locator('.queue-item[data-alert="990005"]')).to_be_visible()
        expect(staff.locator("#connection")).to_be_hidden()
        staff.get_by_role("button", name="Dismiss").click()
        expect(staff.locator("#frame-problem")).to_be_hidden()

        # Two panes from 1024 px, nothing overlapping and long rule ids wrapped; one column on a phone.
        staff.locator('.queue-item[data-alert="990002"]').get_by_role("button").click()
        expect(staff.locator("#detail-who")).to_contain_text("held back")
        expect(staff.locator("#detail-facts")).to_contain_text("The listener's new chats are paused")
        for width in (1024, 1280, 1440):
            staff.set_viewport_size({"width": width, "height": 900})
            queue = staff.locator(".desk-queue").bounding_box()
            detail = staff.locator("#detail").bounding_box()
            assert queue["x"] + queue["width"] <= detail["x"], (width, queue, detail)
            assert abs(queue["y"] - detail["y"]) < 80, (width, queue, detail)
            for card in staff.locator(".queue-item").all():
                box = card.bounding_box()
                assert box["x"] + box["width"] <= detail["x"], (width, box, detail)
            assert staff.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
        staff.set_viewport_size({"width": 1280, "height": 900})
        screenshot(staff, "staff-desk-1280")
        staff.set_viewport_size({"width": 375, "height": 740})
        queue = staff.locator(".desk-queue").bounding_box()
        detail = staff.locator("#detail").bounding_box()
        assert detail["y"] >= queue["y"] + queue["height"] - 1
        assert staff.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(staff, "staff-desk-mobile")
        axe_at_both_sizes(staff, "the staff desk with an item open (two panes at 1280 px)")
        staff.errors.assert_clean()
    finally:
        context.close()
