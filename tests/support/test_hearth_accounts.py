"""manage.py hearth_accounts and seed_demo: ready-to-use accounts and rooms, idempotent, clear errors."""

from __future__ import annotations

import io

import pytest
from asgiref.sync import sync_to_async
from django.core.management import CommandError, call_command

from listeners.models import ListenerProfile, Shift
from rooms.models import Room, RoomModerator
from support.models import Role, User
from support.roles import is_safety_staff
from tests.rooms.helpers import room_path
from tests.ws import connected, receive_until

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug(settings):
    """As under ``make run``: the commands refuse to run with DEBUG off unless forced."""
    settings.DEBUG = True


def run(*args) -> str:
    out = io.StringIO()
    call_command("hearth_accounts", *args, stdout=out)
    return out.getvalue()


def test_a_listener_is_trained_with_its_topics_capacity_and_teen_approval_and_a_rerun_changes_nothing():
    args = (
        "listener",
        "--alias",
        "Sam",
        "--password",
        "pw-sam",
        "--topics",
        "anxiety,grief-and-loss",
        "--capacity",
        "3",
        "--teen-approved",
    )
    assert "Created" in run(*args)
    sam = User.objects.get(username="sam")
    profile = ListenerProfile.objects.get(user=sam)
    assert sam.role == Role.LISTENER and sam.check_password("pw-sam")
    assert profile.may_take_chats and profile.approved_for_teens and profile.default_capacity == 3
    assert sorted(profile.topics.values_list("slug", flat=True)) == ["anxiety", "grief-and-loss"]
    assert "Up to date" in run(*args)
    assert User.objects.filter(alias="Sam").count() == 1 and ListenerProfile.objects.filter(user=sam).count() == 1
    run("listener", "--alias", "Sam", "--password", "pw-new", "--topics", "sleep")
    sam.refresh_from_db()
    profile.refresh_from_db()
    assert sam.check_password("pw-new") and not profile.approved_for_teens
    assert list(profile.topics.values_list("slug", flat=True)) == ["sleep"]


def test_staff_get_the_safety_staff_group():
    run("staff", "--alias", "Desk", "--username", "Desk", "--password", "pw-desk")
    desk = User.objects.get(username="desk")
    assert desk.role == Role.STAFF and desk.alias == "Desk" and is_safety_staff(desk)


def test_a_room_gets_its_moderator_and_is_not_duplicated():
    run("listener", "--alias", "Mod", "--password", "pw", "--teen-approved")
    args = (
        "room",
        "--name",
        "Teen sleep circle",
        "--topic",
        "sleep",
        "--moderator",
        "Mod",
        "--audience",
        "teen",
        "--capacity",
        "12",
    )
    run(*args)
    run(*args)
    room = Room.objects.get(name="Teen sleep circle")
    assert room.audience == "teen" and room.capacity == 12 and room.topic.slug == "sleep" and room.is_active
    assert list(RoomModerator.objects.filter(room=room).values_list("listener__alias", flat=True)) == ["Mod"]


@pytest.mark.parametrize(
    "args, message",
    [
        (("listener", "--alias", "A", "--password", "pw", "--topics", "anxiety,nope"), "Unknown topic(s): nope"),
        (("listener", "--alias", "A", "--password", "pw", "--capacity", "9"), "capacity must be 1–5"),
        (("listener", "--alias", "A", "--password", "pw", "--topics", ","), "at least one topic"),
        (("room", "--name", "R", "--topic", "anxiety", "--moderator", "Nobody"), "no listener with the alias 'Nobody'"),
        (
            ("room", "--name", "R", "--topic", "anxiety", "--moderator", "Adult", "--audience", "teen"),
            "not approved for teens",
        ),
        (("staff", "--alias", "Adult", "--password", "pw"), "belongs to a listener account"),
    ],
)
def test_bad_options_are_refused_with_a_clear_error_and_nothing_is_written(args, message):
    run("listener", "--alias", "Adult", "--password", "pw")
    users, rooms = User.objects.count(), Room.objects.count()
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(*args)
    assert User.objects.count() == users and Room.objects.count() == rooms


def test_an_alias_someone_else_has_is_refused():
    run("listener", "--alias", "Taken", "--username", "first", "--password", "pw")
    with pytest.raises(CommandError, match="already used"):
        run("listener", "--alias", "Taken", "--username", "second", "--password", "pw")


def test_it_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        run("staff", "--alias", "Desk", "--password", "a-long-password-for-staging-7")
    with pytest.raises(CommandError, match="too weak"):
        run("staff", "--alias", "Desk", "--password", "desk", "--force")
    run("staff", "--alias", "Desk", "--password", "a-long-password-for-staging-7", "--force")
    assert User.objects.filter(username="desk", alias="Desk").exists()


def test_seed_demo_is_idempotent_and_includes_a_room_with_a_moderator():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    assert User.objects.filter(username__in=["listener", "safety"]).count() == 2
    room = Room.objects.get()
    assert room.is_active and not room.hours.exists()
    assert RoomModerator.objects.filter(room=room, listener__username="listener").exists()


@pytest.mark.django_db(transaction=True)
async def test_a_made_listener_starts_a_shift_with_their_capacity_and_opens_the_demo_room():
    await sync_to_async(call_command)("seed_demo", stdout=io.StringIO())
    await sync_to_async(run)("listener", "--alias", "Cap", "--password", "pw", "--topics", "anxiety", "--capacity", "4")
    cap = await sync_to_async(User.objects.get)(username="cap")
    async with connected(cap) as ws:
        await ws.send_json_to({"type": "shift.start", "topics": ["anxiety"], "ref": "s"})
        ack = await receive_until(ws, "shift.start.ack")
    assert ack["shift"]["capacity"] == 4
    assert await sync_to_async(Shift.objects.filter(listener=cap, capacity=4).exists)()
    listener = await sync_to_async(User.objects.get)(username="listener")
    room = await sync_to_async(Room.objects.get)()
    async with connected(listener, path=room_path(room.pk)) as ws:
        assert ws.hello["room"]["open"] is True and ws.hello["you"]["moderator"] is True
