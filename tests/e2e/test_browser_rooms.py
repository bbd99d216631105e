"""Group rooms in the browser: two seekers and a moderator; held crisis messages, removal, presence
(kept by deltas, a missed one repaired), reports with a reason and the moderator's list of them, the
guideline, older history, closed and full rooms, and axe on both pages."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    STAFF,
    axe_at_both_sizes,
    browser,
    create_room,
    listener_signs_in,
    new_page,
    run_axe,
    screenshot,
    seeker_opens_rooms,
    server,
    sign_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
CRISIS = "i dont want to be alive anymore"
REASON = '<b>Unkind</b> to a newcomer & "not ok"'


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def log(page):
    return page.locator("#room-log")


def say(page, text: str) -> None:
    page.get_by_label("Your message to the room").fill(text)
    page.get_by_label("Your message to the room").press("Enter")


def clipped_options(page, select: str) -> list[str]:
    """The options of ``select`` whose text would not fit in it when chosen (or the select sticking out
    of its card): what a moderator would see cut off."""
    return page.evaluate(
        """(selector) => {
            const select = document.querySelector(selector);
            const style = getComputedStyle(select);
            const context = document.createElement('canvas').getContext('2d');
            context.font = style.font;
            const arrow = 24;  // Chromium's drop-down arrow and its gap
            const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - arrow;
            const clipped = Array.from(select.options).filter((o) => context.measureText(o.text).width > room).map((o) => o.text);
            const box = select.getBoundingClientRect();
            const card = select.closest('.card').getBoundingClientRect();
            if (box.right > card.right + 0.5) clipped.push('(the select sticks out of its card)');
            return clipped;
        }""",
        select,
    )


def seeker_joins(page, room_name: str) -> None:
    seeker_opens_rooms(page)
    card = page.locator(".room-card", has_text=room_name)
    expect(card).to_contain_text("Open now")
    card.get_by_role("link", name=f"Join {room_name}").click()
    expect(page.get_by_role("heading", name=room_name)).to_be_visible()


def own_alias(page) -> str:
    return page.locator(".presence-item", has_text="(you)").locator("span").first.text_content()


def safety_staff_see_the_room_around_it(browser, server, room_name: str) -> None:
    """The held crisis message is an alert on the staff page that names its room, and opens onto the room around it."""
    staff_context, staff = new_page(browser, server, width=1280, height=900)
    try:
        sign_in(staff, "/staff/", STAFF[0], STAFF[1])
        item = staff.locator(".queue-item", has_text=f"room “{room_name}”").filter(has_text=CRISIS).first
        expect(item).to_be_visible()
        item.get_by_role("button").click()
        expect(staff.locator("#detail-meta")).to_contain_text(f"room “{room_name}”")
        flagged = staff.locator("#transcript .msg-flagged")
        expect(flagged).to_contain_text(CRISIS)
        expect(staff.locator("#transcript")).to_contain_text("hello everyone, first time here")  # what came before it
    finally:
        staff_context.close()


def test_two_seekers_and_a_moderator_share_a_room_with_held_crisis_messages_and_removal(browser, server):
    create_room(server, name="Night owls")
    moderator_context, moderator = new_page(browser, server)
    a_context, seeker_a = new_page(browser, server, width=375, height=740)
    b_context, seeker_b = new_page(browser, server)
    try:
        listener_signs_in(moderator)
        moderator.goto("/rooms/")
        moderator.get_by_role("link", name="Look inside Night owls").click()
        expect(moderator.locator("#room-state")).to_contain_text("Open now")
        expect(moderator.locator("#mod-tools")).to_be_visible()
        # Moderators need no guideline acknowledgement.
        expect(moderator.get_by_role("button", name="I agree to the guideline")).to_be_hidden()

        seeker_joins(seeker_a, "Night owls")
        assert run_axe(seeker_a) == [], "room page (375 px)"
        # The pinned guideline must be accepted once before the first message.
        expect(seeker_a.get_by_label("Your message to the room")).to_be_disabled()
        seeker_a.get_by_role("button", name="I agree to the guideline").click()
        expect(seeker_a.get_by_label("Your message to the room")).to_be_enabled()
        alias_a = own_alias(seeker_a)

        seeker_joins(seeker_b, "Night owls")
        seeker_b.get_by_role("button", name="I agree to the guideline").click()
        alias_b = own_alias(seeker_b)
        # The late joiner's list comes whole in the hello; the others' by delta. The count is the list's, moderator included.
        expect(seeker_b.locator("#presence")).to_contain_text(alias_a)
        expect(seeker_b.locator("#member-count")).to_have_text("(3)")
        expect(moderator.locator("#member-count")).to_have_text("(3)")
        expect(moderator.locator("#presence")).to_contain_text(alias_a)
        expect(seeker_a.locator("#presence")).to_contain_text(alias_b)
        # The rooms list counts the same people as the room's list.
        listing = b_context.new_page()
        listing.goto("/rooms/")
        card = listing.locator(".room-card", has_text="Night owls")
        expect(card.locator(".room-status")).to_have_text("Open now · 3 people here")
        listing.close()

        # A normal message reaches everyone.
        say(seeker_a, "hello everyone, first time here")
        for page in (seeker_a, seeker_b, moderator):
            expect(log(page)).to_contain_text("hello everyone, first time here")
        expect(seeker_a.locator(".msg-mine .msg-state").last).to_have_text("Sent")

        # A crisis message is held: resources for the sender, the moderator reviews it, the other seeker never sees it.
        say(seeker_a, CRISIS)
        resources = seeker_a.locator("#safety-resources")
        expect(resources).to_be_visible()
        expect(resources).to_contain_text("988")
        expect(resources.get_by_role("link", name="Talk to a listener one-to-one")).to_have_attribute(
            "href", re.compile(r"^/talk/")
        )
        expect(seeker_a.locator(".msg-mine .msg-state").last).to_have_text("Held for a moderator")
        screenshot(seeker_a, "room-held-mobile")
        expect(moderator.locator("#held-panel")).to_contain_text(CRISIS)
        # Why it was held: the risk label, for moderators only.
        expect(moderator.locator("#held-panel .held-reason")).to_contain_text(
            re.compile("Why: Possible (immediate )?risk")
        )
        expect(seeker_a.locator(".held-reason")).to_have_count(0)
        axe_at_both_sizes(moderator, "the room as moderator with a held message")
        # One action sends the room's crisis lines to everyone here; members see them in the crisis panel.
        moderator.get_by_role("button", name="Share crisis lines to everyone here").click()
        expect(seeker_b.locator("#safety-resources")).to_be_visible()
        expect(seeker_b.locator("#resources-message")).to_contain_text("A moderator shared these crisis lines")
        assert run_axe(seeker_b) == [], "room with the crisis lines a moderator sent (375 px)"
        safety_staff_see_the_room_around_it(browser, server, "Night owls")
        say(moderator, "welcome both of you")
        expect(log(seeker_b)).to_contain_text("welcome both of you")
        expect(log(seeker_b)).not_to_contain_text(CRISIS)
        assert CRISIS not in seeker_b.locator("main").inner_text()

        # The moderator removes a message: everyone sees it as removed.
        first = moderator.locator("#room-log li", has_text="hello everyone, first time here")
        first.get_by_role("button", name=re.compile("Remove message")).click()
        moderator.get_by_role("button", name="Yes, remove it").click()
        for page in (seeker_a, seeker_b, moderator):
            expect(log(page)).to_contain_text("Message removed by a moderator.")
            expect(log(page)).not_to_contain_text("hello everyone, first time here")

        # Releasing the held message would show it; removing it keeps it away from everyone.
        moderator.locator("#held-list").get_by_role("button", name="Remove").click()
        moderator.get_by_role("button", name="Yes, remove it").click()
        expect(moderator.locator("#held-panel")).to_be_hidden()

        # A report with a reason, by keyboard: the form opens under the message with its field focused;
        # Escape closes it and gives the focus back to the button.
        welcome = seeker_b.locator("#room-log li", has_text="welcome both of you")
        report = welcome.get_by_role("button", name=re.compile("Report"))
        report.focus()
        seeker_b.keyboard.press("Enter")
        reason = welcome.get_by_label("Why are you reporting it? (optional)")
        expect(reason).to_be_focused()
        expect(report).to_have_attribute("aria-expanded", "true")
        assert run_axe(seeker_b) == [], "room page with the report form open"
        screenshot(seeker_b, "room-report-form")
        seeker_b.keyboard.press("Escape")
        expect(reason).to_have_count(0)
        expect(report).to_be_focused()
        seeker_b.keyboard.press("Enter")
        expect(reason).to_have_attribute("maxlength", "200")
        reason.fill(REASON)
        reason.press("Enter")
        expect(welcome.get_by_role("button", name="Reported")).to_be_disabled()
        # The moderator's list of reports shows the reason as text, never who reported.
        reports = moderator.locator("#reports-panel")
        expect(reports).to_be_visible()
        item = reports.locator(".room-report", has_text="welcome both of you")
        expect(item.locator(".report-text")).to_have_text(REASON)
        expect(item).to_contain_text("1 report")
        expect(reports.locator("b")).to_have_count(0)
        assert alias_b not in reports.inner_text()
        # Seeker A reports it without a reason.
        seeker_a.locator("#room-log li", has_text="welcome both of you").get_by_role(
            "button", name=re.compile("Report")
        ).click()
        seeker_a.get_by_role("button", name="Send report").click()
        expect(item).to_contain_text("2 reports")
        expect(item.locator(".room-report-reason", has_text="No reason given")).to_have_count(1)
        # Members never see the list.
        expect(seeker_b.locator("#reports-panel")).to_be_hidden()

        # Slow mode: every choice readable in full, on a desktop and on a phone.
        for size in ({"width": 1280, "height": 800}, {"width": 375, "height": 740}, {"width": 900, "height": 800}):
            moderator.set_viewport_size(size)
            clipped = clipped_options(moderator, "#slow-seconds")
            assert clipped == [], f"{size}: {clipped}"
        moderator.set_viewport_size({"width": 1280, "height": 800})
        moderator.get_by_label("Slow mode").select_option("30")
        moderator.get_by_role("button", name="Apply").click()
        expect(seeker_b.locator("#room-state")).to_contain_text("slow mode: one message every 30 s")

        # Mute, then remove a member for the day.
        moderator.get_by_role("button", name=f"Mute 10 min: {alias_a}").click()
        expect(seeker_a.get_by_label("Your message to the room")).to_be_disabled()
        expect(seeker_a.locator("#room-state")).to_contain_text("you're muted")
        screenshot(moderator, "room-moderator")
        axe_at_both_sizes(moderator, "the room as moderator, a member muted")
        moderator.get_by_role("button", name=f"Remove for today: {alias_a}").click()
        moderator.get_by_role("button", name=f"Yes, remove {alias_a}").click()
        expect(seeker_a.get_by_role("heading", name="You've been removed from this room for today")).to_be_visible()
        expect(seeker_a.get_by_role("link", name="Talk to a listener one-to-one")).to_be_visible()
        expect(moderator.locator("#member-count")).to_have_text("(2)")
        expect(seeker_b.locator("#presence")).not_to_contain_text(alias_a)
        expect(seeker_b.locator("#member-count")).to_have_text("(2)")
        for page in (seeker_a, seeker_b, moderator):
            page.errors.assert_clean()
    finally:
        a_context.close()
        b_context.close()
        moderator_context.close()


def test_rooms_list_shows_closed_and_full_rooms_and_a_room_pages_back_through_history(browser, server):
    create_room(server, name="Quiet corner", hours=True, history=55)
    create_room(server, name="Tiny table", capacity=1, moderated_by_demo_listener=False)
    reader_context, reader = new_page(browser, server, width=375, height=740)
    other_context, other = new_page(browser, server)
    try:
        seeker_opens_rooms(reader)
        closed = reader.locator(".room-card", has_text="Quiet corner")
        expect(closed).to_contain_text(re.compile(r"Closed · opens \w+"))
        assert run_axe(reader) == [], "rooms list (375 px)"
        screenshot(reader, "rooms-list-mobile")

        # A closed room can be read; the last 50 messages come first, older ones on request.
        closed.get_by_role("link", name="Look inside Quiet corner").click()
        expect(reader.locator("#room-closed")).to_be_visible()
        expect(reader.locator("#room-closed").get_by_role("link", name="Talk to a listener one-to-one")).to_be_visible()
        expect(reader.get_by_label("Your message to the room")).to_be_disabled()
        expect(log(reader).locator("li")).to_have_count(50)
        expect(log(reader).locator("li").first).to_have_text("Earlier note 6")
        reader.get_by_role("button", name="Show earlier messages").click()
        expect(log(reader).locator("li")).to_have_count(55)
        expect(log(reader).locator("li").first).to_have_text("Earlier note 1")
        expect(reader.get_by_role("button", name="Show earlier messages")).to_be_hidden()
        assert run_axe(reader) == [], "closed room (375 px)"

        # Someone sitting in the one-place room makes it full for the next visitor, who is offered one-to-one.
        reader.goto("/rooms/")
        reader.locator(".room-card", has_text="Tiny table").get_by_role("link", name="Look inside Tiny table").click()
        expect(reader.get_by_role("heading", name="Tiny table")).to_be_visible()
        seeker_opens_rooms(other)
        full = other.locator(".room-card", has_text="Tiny table")
        expect(full).to_contain_text("Full right now")
        expect(full).to_contain_text("This room is full.")
        expect(full.get_by_role("link", name="Talk to a listener one-to-one")).to_be_visible()
        assert run_axe(other) == [], "rooms list (desktop)"
        reader.errors.assert_clean()
        other.errors.assert_clean()
    finally:
        reader_context.close()
        other_context.close()


class PresenceTap:
    """Routes a page's room socket through Playwright: records what the page sends, and drops the
    first ``room.presence`` to the page that names someone not in ``known`` once armed."""

    def __init__(self, page):
        self.known: set[str] | None = None
        self.dropped: list[dict] = []
        self.sent: list[dict] = []
        page.route_web_socket(re.compile(r"/ws/v1/rooms/"), self._route)

    def _down(self, message) -> bool:
        if self.known is None or self.dropped or not isinstance(message, str):
            return False
        frame = json.loads(message)
        if frame.get("type") == "room.presence" and any(m["alias"] not in self.known for m in frame["joined"]):
            self.dropped.append(frame)
            return True
        return False

    def _route(self, ws) -> None:
        server = ws.connect_to_server()

        def up(message):
            if isinstance(message, str):
                self.sent.append(json.loads(message))
            server.send(message)

        ws.on_message(up)
        server.on_message(lambda message: None if self._down(message) else ws.send(message))


def test_the_member_list_follows_deltas_and_a_missed_delta_is_repaired_with_the_whole_list(browser, server):
    create_room(server, name="Busy hall")
    contexts = []

    def page(**size):
        context, page = new_page(browser, server, **size)
        contexts.append(context)
        return page

    try:
        moderator = page()
        listener_signs_in(moderator)
        moderator.goto("/rooms/")
        moderator.get_by_role("link", name="Look inside Busy hall").click()
        expect(moderator.locator("#room-state")).to_contain_text("Open now")

        watcher = page(width=375, height=740)
        tap = PresenceTap(watcher)
        seeker_joins(watcher, "Busy hall")
        expect(watcher.locator("#member-count")).to_have_text("(2)")
        tap.known = set(watcher.locator(".presence-item > span:first-child").all_text_contents())

        second = page()
        seeker_joins(second, "Busy hall")
        second_alias = own_alias(second)
        expect(moderator.locator("#presence")).to_contain_text(second_alias)
        for _ in range(50):  # the route handler runs while Playwright waits
            if tap.dropped:
                break
            watcher.wait_for_timeout(100)
        assert tap.dropped and second_alias in {m["alias"] for m in tap.dropped[0]["joined"]}
        # The watcher missed the delta that brought the second seeker.
        expect(watcher.locator("#presence")).not_to_contain_text(second_alias)

        third = page()
        seeker_joins(third, "Busy hall")
        third_alias = own_alias(third)
        # The next delta starts after the watcher's version: it asks for the whole list and is exact again.
        expect(watcher.locator("#presence")).to_contain_text(third_alias)
        expect(watcher.locator("#presence")).to_contain_text(second_alias)
        expect(watcher.locator("#member-count")).to_have_text("(4)")
        assert [frame["type"] for frame in tap.sent].count("room.members") == 1

        # Someone leaving is a delta too; nobody keeps showing them.
        contexts.pop(contexts.index(second.context)).close()
        for viewer in (watcher, third, moderator):
            expect(viewer.locator("#presence")).not_to_contain_text(second_alias)
            expect(viewer.locator("#member-count")).to_have_text("(3)")
        expect(watcher.locator(".presence-item")).to_have_count(3)
        for viewer in (watcher, third, moderator):
            viewer.errors.assert_clean()
    finally:
        for context in contexts:
            context.close()
