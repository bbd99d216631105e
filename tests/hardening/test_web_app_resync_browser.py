"""The web app recovers a loss that nothing later reveals (docs/frontend.md, "Delivery").

The page's websocket is routed through Playwright (``page.route_web_socket``),
which forwards every frame and drops exactly one:

* the ``message.created`` of the last message of a burst: no later message
  shows the gap, so only the periodic sync (every 10 s) can bring it;
* the page's own ``message.send``: no ack comes, so only the ack timeout
  (10 s, same ``client_id``) can deliver it.

Both on the chat (``ChatClient``) and in a room (``RoomClient``).
"""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    browser,
    create_room,
    listener_signs_in,
    listener_signs_in_and_starts_shift,
    new_page,
    seeker_asks_for_a_listener,
    seeker_opens_rooms,
    server,
)

pytestmark = [pytest.mark.reliability, pytest.mark.e2e, pytest.mark.browser]
# Periodic sync 10 s; ack timeout 10 s + 20 % jitter, then a ping must come back before the
# re-send (docs/frontend.md), plus a 1 s tick: ~13 s on a quiet machine, margin for a busy one.
RECOVERY_MS = 25_000


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


class Dropper:
    """Forwards a page's websocket frames both ways, dropping the first that matches in each direction."""

    def __init__(self, page, url_glob: str, *, to_page=None, to_server=None):
        self.to_page, self.to_server = to_page, to_server
        self.dropped: list[dict] = []
        self._done: set[str] = set()
        page.route_web_socket(url_glob, self._route)

    def _drop(self, predicate, message, direction: str) -> bool:
        """True for the first frame in this direction that matches (at most one per direction)."""
        if predicate is None or not isinstance(message, str) or direction in self._done:
            return False
        frame = json.loads(message)
        if predicate(frame):
            self._done.add(direction)
            self.dropped.append(frame)
            return True
        return False

    def _route(self, ws) -> None:
        server = ws.connect_to_server()
        ws.on_message(lambda message: None if self._drop(self.to_server, message, "up") else server.send(message))
        server.on_message(lambda message: None if self._drop(self.to_page, message, "down") else ws.send(message))


def dropped(page, dropper, count: int) -> list[dict]:
    """The dropped frames once there are ``count`` (the route handlers run while Playwright waits)."""
    for _ in range(50):
        if len(dropper.dropped) >= count:
            break
        page.wait_for_timeout(100)
    return dropper.dropped


def panel(listener):
    return listener.locator("[role=tabpanel]:not([hidden])")


def _matched(browser, server, seeker_route):
    listener_context, listener = new_page(browser, server)
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    dropper = seeker_route(seeker)
    listener_signs_in_and_starts_shift(listener)
    seeker_asks_for_a_listener(seeker)
    listener.locator(".offer").first.get_by_role("button", name="Accept").click()
    expect(seeker.get_by_role("button", name="End chat")).to_be_visible()
    return listener_context, listener, seeker_context, seeker, dropper


def _created_with(text):
    return lambda frame: frame.get("type") == "message.created" and frame["message"].get("text") == text


def test_chat_page_shows_the_last_message_of_a_burst_even_when_its_live_frame_is_lost(browser, server):
    last = "the last of the burst"
    listener_context, listener, seeker_context, seeker, dropper = _matched(
        browser, server, lambda page: Dropper(page, re.compile(r"/ws/v1/chat/$"), to_page=_created_with(last))
    )
    try:
        for text in ("one", "two", last):
            panel(listener).get_by_label("Your message").fill(text)
            panel(listener).get_by_label("Your message").press("Enter")
        expect(panel(listener).locator(".msg-mine .msg-state")).to_have_text([re.compile("Delivered|Read")] * 3)
        expect(seeker.locator(".msg-theirs .msg-text")).to_have_text(["one", "two"])
        assert [frame["message"]["text"] for frame in dropped(seeker, dropper, 1)] == [last]
        # Nothing follows, so no gap is ever seen: only the periodic sync can bring it.
        expect(seeker.locator(".msg-theirs .msg-text")).to_have_text(["one", "two", last], timeout=RECOVERY_MS)
    finally:
        seeker_context.close()
        listener_context.close()


def test_chat_page_resends_a_message_whose_frame_was_lost_with_the_same_client_id(browser, server):
    text = "this frame is lost on the way"
    listener_context, listener, seeker_context, seeker, dropper = _matched(
        browser,
        server,
        lambda page: Dropper(
            page,
            re.compile(r"/ws/v1/chat/$"),
            to_server=lambda frame: frame.get("type") == "message.send" and frame.get("text") == text,
        ),
    )
    try:
        seeker.get_by_label("Your message").fill(text)
        seeker.get_by_label("Your message").press("Enter")
        expect(seeker.locator(".msg-mine .msg-state")).not_to_have_text(re.compile("Delivered|Read"))
        assert len(dropped(seeker, dropper, 1)) == 1
        # Re-sent after the ack timeout, with the same client_id: delivered once.
        expect(panel(listener).locator(".msg-theirs .msg-text")).to_have_text([text], timeout=RECOVERY_MS)
        expect(seeker.locator(".msg-mine .msg-state")).to_have_text(re.compile("Delivered|Read"))
        expect(seeker.locator(".msg-mine")).to_have_count(1)
        listener.wait_for_timeout(1500)
        expect(panel(listener).locator(".msg-theirs .msg-text")).to_have_count(1)
    finally:
        seeker_context.close()
        listener_context.close()


def say(page, text: str) -> None:
    page.get_by_label("Your message to the room").fill(text)
    page.get_by_label("Your message to the room").press("Enter")


def test_room_page_recovers_a_lost_last_message_and_a_lost_send(browser, server):
    room_id = create_room(server, name="Resync room")
    last = "the room's last word"
    mine = "my room frame is lost"
    moderator_context, moderator = new_page(browser, server)
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    dropper = Dropper(
        seeker,
        re.compile(rf"/ws/v1/rooms/{room_id}/$"),
        to_page=lambda f: f.get("type") == "room.message.created" and f["message"].get("text") == last,
        to_server=lambda f: f.get("type") == "room.message.send" and f.get("text") == mine,
    )
    try:
        listener_signs_in(moderator)
        moderator.goto(f"/rooms/{room_id}/")
        expect(moderator.locator("#room-state")).to_contain_text("Open now")
        seeker_opens_rooms(seeker)
        # Through the list's link: the list is shown once the seeker's session exists.
        seeker.locator(".room-card", has_text="Resync room").get_by_role("link", name="Join Resync room").click()
        expect(seeker.locator("#room-state")).to_contain_text("Open now")
        seeker.get_by_role("button", name="I agree to the guideline").click()
        expect(seeker.get_by_label("Your message to the room")).to_be_enabled()

        say(moderator, last)
        expect(moderator.locator("#room-log")).to_contain_text(last)
        # The live frame was dropped and nothing follows it: the periodic room.sync brings it.
        expect(seeker.locator("#room-log .msg-text", has_text=last)).to_have_count(1, timeout=RECOVERY_MS)

        say(seeker, mine)
        # The send was dropped: no ack, re-sent with the same client_id after the timeout, shown once.
        expect(moderator.locator("#room-log .msg-text", has_text=mine)).to_have_count(1, timeout=RECOVERY_MS)
        expect(seeker.locator(".msg-mine .msg-state").last).to_have_text("Sent")
        assert sorted(frame["type"] for frame in dropped(seeker, dropper, 2)) == [
            "room.message.created",
            "room.message.send",
        ]
        seeker.wait_for_timeout(1500)
        expect(seeker.locator("#room-log .msg-text", has_text=mine)).to_have_count(1)
    finally:
        seeker_context.close()
        moderator_context.close()
