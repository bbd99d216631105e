"""A room moderator offers a one-to-one chat from a held crisis message; only its writer is invited,
and accepting takes them to the Talk page, waiting in line on the room's topic (issue 19, point 5)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    browser,
    create_room,
    listener_signs_in,
    manage_python,
    new_page,
    run_axe,
    seeker_opens_rooms,
    server,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
IMMINENT = "i took all my pills an hour ago"


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def seeker_joins(page, room_name: str) -> str:
    seeker_opens_rooms(page)
    page.locator(".room-card", has_text=room_name).get_by_role("link", name=f"Join {room_name}").click()
    expect(page.get_by_role("heading", name=room_name)).to_be_visible()
    page.get_by_role("button", name="I agree to the guideline").click()
    return page.locator(".presence-item", has_text="(you)").locator("span").first.text_content()


def test_a_moderator_offers_a_one_to_one_chat_and_the_member_accepts(browser, server):
    create_room(server, name="Late lounge")
    moderator_context, moderator = new_page(browser, server)
    writer_context, writer = new_page(browser, server, width=375, height=740)
    other_context, other = new_page(browser, server)
    try:
        listener_signs_in(moderator)
        moderator.goto("/rooms/")
        moderator.get_by_role("link", name="Look inside Late lounge").click()
        expect(moderator.locator("#mod-tools")).to_be_visible()
        alias = seeker_joins(writer, "Late lounge")
        seeker_joins(other, "Late lounge")

        writer.get_by_label("Your message to the room").fill(IMMINENT)
        writer.get_by_label("Your message to the room").press("Enter")
        held = moderator.locator("#held-list .held-item", has_text=IMMINENT)
        expect(held).to_be_visible()
        held.get_by_role("button", name="Offer a one-to-one chat").click()
        expect(moderator.locator("#room-error")).to_have_text(f"One-to-one chat offered to {alias}.")

        invite = writer.locator("#one-to-one-invite")
        expect(invite).to_be_visible()
        expect(invite).to_be_focused()
        expect(invite).to_contain_text("talk one-to-one with a listener")
        assert run_axe(writer) == [], "room page with an invitation (375 px)"
        expect(other.locator("#one-to-one-invite")).to_be_hidden()

        # The invitation is the server's: a reload brings it back (it was sent once, live).
        writer.reload()
        expect(writer.get_by_role("heading", name="Late lounge")).to_be_visible()
        expect(invite).to_be_visible()
        expect(invite).to_contain_text("talk one-to-one with a listener")
        other.reload()
        expect(other.get_by_role("heading", name="Late lounge")).to_be_visible()
        expect(other.locator("#one-to-one-invite")).to_be_hidden()

        writer.get_by_role("button", name="Talk one-to-one now").click()
        writer.wait_for_url("**/talk/")
        expect(writer.get_by_role("heading", name="Finding you a listener…")).to_be_visible()
        stored = json.loads(
            manage_python(
                server,
                f"""
import json
from chat.models import ChatRequest
from rooms.models import Room
r = ChatRequest.objects.filter(seeker__alias={alias!r}).get()
print(json.dumps({{"topic": r.topic_id == Room.objects.get(name="Late lounge").topic_id, "status": r.status, "priority": r.priority}}))
""",
            )
        )
        # On the room's topic, urgent: the message was imminent.
        assert stored == {"topic": True, "status": "waiting", "priority": 2}, stored
        for page in (moderator, writer, other):
            page.errors.assert_clean()
    finally:
        other_context.close()
        writer_context.close()
        moderator_context.close()
