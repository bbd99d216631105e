"""The authorisation matrix: every role × every REST endpoint, and every socket frame type, as data.

Roles: anonymous, seeker A (in the conversation), seeker B, the assigned
listener, another listener, a teen-approved listener, safety staff, admin.
An allowed call may still be refused for its content (400/409) but never with
401/403/404; a denied one is 403 or 404, never a 5xx, and a 403 is logged by
``hearth.api``. Each endpoint is one test with a fresh world, so a call that
changes state (logout, history deletion) cannot affect another row.
"""

from __future__ import annotations

import logging

import pytest
from rest_framework.test import APIClient

from tests.factories import ListenerFactory, SeekerFactory, StaffFactory
from tests.safety.helpers import flagged_pair

pytestmark = [pytest.mark.security]

ROLES = ["anonymous", "seeker_a", "seeker_b", "listener", "listener_other", "listener_teen", "staff", "admin"]
EVERYONE = set(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
SEEKERS = {"seeker_a", "seeker_b"}
LISTENERS = {"listener", "listener_other", "listener_teen"}
SAFETY = {"staff", "admin"}
ADMIN = {"admin"}
PARTICIPANTS = {"seeker_a", "listener"}
ROOM_MODERATOR = {"listener"}  # the assigned listener also moderates the world's room

# (method, path, roles allowed). Placeholders are filled from the world below.
# "Refused" means 401/403, or 404 with the code ``not_found``; an allowed role
# may get another 404 about content (``no_open_request``) or a 400/409.
REST_MATRIX = [
    ("GET", "/api/v1/session/csrf", EVERYONE),
    ("POST", "/api/v1/session/login", EVERYONE),
    ("POST", "/api/v1/session/logout", EVERYONE),
    ("GET", "/api/v1/me", SIGNED_IN),
    ("POST", "/api/v1/me/password", SIGNED_IN),
    ("GET", "/api/v1/me/password/suggestion", SEEKERS),
    ("GET", "/api/v1/privacy", EVERYONE),
    ("POST", "/api/v1/privacy", EVERYONE),
    ("GET", "/api/v1/topics", EVERYONE),
    ("GET", "/api/v1/helplines", EVERYONE),
    ("GET", "/api/v1/conversations", SIGNED_IN),
    ("GET", "/api/v1/conversations/{conversation}", PARTICIPANTS),
    ("GET", "/api/v1/conversations/{conversation}/messages", PARTICIPANTS),
    ("GET", "/api/v1/requests/mine", SIGNED_IN),  # self-scoped: others get no_open_request
    ("POST", "/api/v1/conversations/{conversation}/rating", {"seeker_a"}),
    ("POST", "/api/v1/listeners/apply", EVERYONE),
    ("GET", "/api/v1/listeners/apply/practice", EVERYONE),
    ("GET", "/api/v1/listeners/me", LISTENERS),
    ("PATCH", "/api/v1/listeners/me", LISTENERS),
    ("GET", "/api/v1/listeners/me/feedback", LISTENERS),
    ("GET", "/api/v1/listeners/me/paging", LISTENERS),
    ("PUT", "/api/v1/listeners/me/paging", LISTENERS),
    ("GET", "/api/v1/listeners/me/console", LISTENERS),
    ("GET", "/api/v1/listeners/training", LISTENERS),
    ("GET", "/api/v1/listeners/training/{module}", LISTENERS),
    ("POST", "/api/v1/listeners/training/{module}/attempts", LISTENERS),
    ("POST", "/api/v1/listeners/shift", LISTENERS),
    ("POST", "/api/v1/listeners/shift/end", LISTENERS),
    ("GET", "/api/v1/listeners/shifts", LISTENERS),
    ("GET", "/api/v1/listeners/{listener_alias}", SIGNED_IN),
    ("GET", "/api/v1/favourites", SEEKERS),
    ("POST", "/api/v1/favourites/{listener_alias}", {"seeker_a"}),  # only a listener you have talked to
    ("GET", "/api/v1/staff/listeners", ADMIN),
    ("GET", "/api/v1/staff/listeners/{listener_id}", ADMIN),
    ("POST", "/api/v1/staff/listeners/{listener_id}/approve-teens", ADMIN),
    ("GET", "/api/v1/staff/shifts/active", SAFETY),
    ("GET", "/api/v1/staff/ratings/follow-up", ADMIN),
    ("POST", "/api/v1/reports", SIGNED_IN),
    ("GET", "/api/v1/reports/mine", SIGNED_IN),
    ("POST", "/api/v1/blocks", SIGNED_IN),
    ("DELETE", "/api/v1/me/history", SEEKERS),
    ("GET", "/api/v1/me/account", SEEKERS),
    ("DELETE", "/api/v1/me/account", SEEKERS),
    ("GET", "/api/v1/metrics", SAFETY),  # service managers too (tests/metrics/test_dashboard_api.py)
    ("GET", "/api/v1/staff/queue", SAFETY),
    ("GET", "/api/v1/staff/flags/{flag}", SAFETY),
    ("POST", "/api/v1/staff/flags/{flag}/claim", SAFETY),
    ("POST", "/api/v1/staff/flags/{flag}/acknowledge", SAFETY),
    ("GET", "/api/v1/staff/flags/{flag}/transcript", SAFETY),
    ("POST", "/api/v1/staff/flags/{flag}/resolve", SAFETY),
    ("POST", "/api/v1/staff/flags/{flag}/warn", SAFETY),
    ("POST", "/api/v1/staff/flags/{flag}/mute", SAFETY),
    ("POST", "/api/v1/staff/flags/{flag}/suspend", SAFETY),
    ("POST", "/api/v1/staff/flags/{flag}/ban", SAFETY),
    ("POST", "/api/v1/staff/flags/{flag}/emergency-calls", SAFETY),
    ("POST", "/api/v1/staff/flags/{flag}/escalations", SAFETY),  # the deprecated old path
    ("GET", "/api/v1/staff/flags/{flag}/audit", SAFETY),
    ("GET", "/api/v1/staff/flags/{flag}/history", SAFETY),
    ("GET", "/api/v1/staff/conversations/{conversation}/transcript", SAFETY),
    ("POST", "/api/v1/staff/sanctions/{sanction}/lift", SAFETY),
    ("GET", "/api/v1/rooms", SIGNED_IN),
    ("POST", "/api/v1/rooms", ADMIN),
    ("POST", "/api/v1/rooms/{room}/moderators", ADMIN),
    ("GET", "/api/v1/staff/rooms/{room}/moderation", SAFETY),
    ("GET", "/api/v1/rooms/{room}/reports", SAFETY | ROOM_MODERATOR),
    ("GET", "/api/v1/staff/room-reports", SAFETY),
]


@pytest.fixture
def world(db):
    from safety.sanctions import sanction_warn
    from tests.rooms.helpers import make_room

    seeker_a, listener, conversation, flag = flagged_pair()
    staff = StaffFactory()
    admin = StaffFactory(is_superuser=True)
    sanction = sanction_warn(staff=staff, flag_id=flag.pk, target="seeker", note="matrix")
    users = {
        "anonymous": None,
        "seeker_a": seeker_a,
        "seeker_b": SeekerFactory(),
        "listener": listener,
        "listener_other": ListenerFactory(),
        "listener_teen": ListenerFactory(profile__approved_for_teens=True),
        "staff": staff,
        "admin": admin,
    }
    from listeners.models import TrainingModule
    from rooms.models import RoomModerator

    module = TrainingModule.objects.order_by("pk").first()
    room = make_room()
    RoomModerator.objects.create(room=room, listener=listener)
    values = {
        "conversation": conversation.pk,
        "flag": flag.pk,
        "sanction": sanction.pk,
        "room": room.pk,
        "listener_alias": listener.alias,
        "listener_id": users["listener_other"].pk,
        "module": module.slug if module else "x",
    }
    return users, values


# Valid bodies where validation would otherwise answer before the access check.
BODIES = {"/rating": {"score": 5}}


def _call(user, method, path):
    import json

    client = APIClient()
    if user is not None:
        client.force_login(user)
    body = next((value for suffix, value in BODIES.items() if path.endswith(suffix)), {})
    return client.generic(method, path, data=json.dumps(body), content_type="application/json")


def _refused(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 404 and response.json().get("error") == "not_found"


@pytest.mark.parametrize("method,template,allowed", REST_MATRIX, ids=[f"{m} {p}" for m, p, _ in REST_MATRIX])
def test_rest_endpoint_answers_each_role_as_the_matrix_says(world, caplog, method, template, allowed):
    users, values = world
    path = template.format(**values)
    wrong = []
    for role in ROLES:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="hearth.api"):
            response = _call(users[role], method, path)
        status = response.status_code
        if status >= 500:
            wrong.append((role, status, "server error"))
        elif role in allowed and _refused(response):
            wrong.append((role, status, "refused but allowed"))
        elif role not in allowed and not _refused(response):
            wrong.append((role, status, "allowed but should be refused"))
        elif role not in allowed and status not in (403, 404):
            wrong.append((role, status, "refused, but not with 403 or 404"))
        elif role not in allowed:
            body = response.json()
            assert set(body) >= {"error", "message"}, body
            if not any("denied" in r.getMessage() for r in caplog.records):
                wrong.append((role, status, "denial not logged"))
    assert not wrong, wrong


def test_the_matrix_covers_every_rest_route():
    from django.urls import get_resolver

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    import re

    def shape(path: str) -> str:
        return re.sub(r"<[^>]+>|\{[^}]+\}", "*", path.lstrip("/"))

    covered = {shape(p) for _, p, _ in REST_MATRIX}
    covered |= {"api/v1/session/anonymous", "api/v1/requests/mine", "api/v1/listeners/shift", "api/v1/favourites/*"}
    covered |= {
        shape("api/v1/staff/ratings/{id}/followed-up"),
        shape("api/v1/staff/listeners/{id}/{action}"),
        shape("api/v1/rooms/{id}"),
        shape("api/v1/rooms/{id}/messages"),
    }
    routes = {shape(route) for route in walk(get_resolver().url_patterns) if route.startswith("api/v1/")}
    missing = sorted(routes - covered)
    assert not missing, f"routes without a row in REST_MATRIX: {missing}"


# --- sockets -------------------------------------------------------------------
# Which roles a socket admits (close code for the others).
SOCKET_MATRIX = [
    ("/ws/v1/chat/", SEEKERS | LISTENERS, {"anonymous": 4401, "staff": 4403, "admin": 4403}),
    ("/ws/v1/staff/", SAFETY, {"anonymous": 4401, **dict.fromkeys(SEEKERS | LISTENERS, 4403)}),
    ("/ws/v1/rooms/{room}/", SEEKERS | LISTENERS, {"anonymous": 4401, "staff": 4403, "admin": 4403}),
]

# Conversation frames on the chat socket: (frame, roles allowed). Everyone else
# connected to the chat socket gets an error frame not_found or forbidden.
CONVERSATION_FRAMES = [
    ({"type": "conversation.sync", "after_seq": 0}, PARTICIPANTS),
    ({"type": "message.send", "client_id": "matrix", "text": "hello"}, PARTICIPANTS),
    ({"type": "typing", "active": True}, PARTICIPANTS),
    ({"type": "conversation.read", "seq": 1}, PARTICIPANTS),
    ({"type": "conversation.flag", "note": "matrix"}, {"listener"}),
    ({"type": "resources.send"}, {"listener"}),
    ({"type": "conversation.transfer"}, {"listener"}),
    ({"type": "conversation.rate", "score": 5}, {"seeker_a"}),
    ({"type": "conversation.end"}, PARTICIPANTS),
]
STAFF_FRAMES = [
    ({"type": "conversation.join"}, SAFETY),
    ({"type": "conversation.sync", "after_seq": 0}, set()),  # staff must join first (not_joined)
]
REFUSALS = {"not_found", "forbidden", "not_joined"}


def _async_world():
    from asgiref.sync import sync_to_async

    return sync_to_async(lambda: _build_world())()


def _build_world():
    from safety.sanctions import sanction_warn  # noqa: F401
    from tests.rooms.helpers import make_room

    seeker_a, listener, conversation, flag = flagged_pair()
    users = {
        "anonymous": None,
        "seeker_a": seeker_a,
        "seeker_b": SeekerFactory(),
        "listener": listener,
        "listener_other": ListenerFactory(),
        "listener_teen": ListenerFactory(profile__approved_for_teens=True),
        "staff": StaffFactory(),
        "admin": StaffFactory(is_superuser=True),
    }
    return users, {"conversation": conversation.pk, "room": make_room().pk}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("template,allowed,closes", SOCKET_MATRIX, ids=[t for t, _, _ in SOCKET_MATRIX])
async def test_socket_admits_each_role_as_the_matrix_says(template, allowed, closes):
    from tests.hardening.helpers import open_socket

    users, values = await _async_world()
    path = template.format(**values)
    wrong = []
    for role in ROLES:
        ws, accepted = await open_socket(users[role], path=path)
        output = await ws.receive_output(timeout=5)
        if role in allowed:
            if output["type"] != "websocket.send":
                wrong.append((role, output))
        elif output != {"type": "websocket.close", "code": closes[role]}:
            wrong.append((role, output))
        await ws.disconnect()
    assert not wrong, wrong


async def _frame_matrix(path: str, frames, roles) -> list:
    from tests.hardening.helpers import open_socket

    wrong = []
    for frame, allowed in frames:
        users, values = await _async_world()  # fresh world: end/transfer change state
        for role in roles:
            ws, _ = await open_socket(users[role], path=path)
            await ws.receive_json_from(timeout=5)  # hello
            await ws.send_json_to({**frame, "conversation": values["conversation"], "ref": "m"})
            reply = None  # typing and conversation.end have no direct reply when allowed; a refusal always does
            # receive_nothing, not a receive timeout: a timed-out receive cancels the application.
            while not await ws.receive_nothing(timeout=1.5):
                candidate = await ws.receive_json_from(timeout=5)
                if candidate.get("ref") == "m":
                    reply = candidate
                    break
            is_error = reply is not None and reply["type"] == "error"
            refused = is_error and reply["code"] in REFUSALS
            if role in allowed and refused:
                wrong.append((frame["type"], role, "refused but allowed", reply))
            if role not in allowed and not is_error:
                wrong.append((frame["type"], role, "allowed but should be refused", reply))
            if role not in allowed and role not in PARTICIPANTS and not refused:
                # An outsider learns nothing: the same answer whether the chat exists or not.
                wrong.append((frame["type"], role, "outsider refused with a revealing code", reply))
            await ws.disconnect()
    return wrong


@pytest.mark.django_db(transaction=True)
async def test_conversation_frames_on_the_chat_socket_answer_each_role_as_the_matrix_says():
    roles = sorted(SEEKERS | LISTENERS)
    wrong = await _frame_matrix("/ws/v1/chat/", CONVERSATION_FRAMES, roles)
    assert not wrong, wrong


@pytest.mark.django_db(transaction=True)
async def test_conversation_frames_on_the_staff_socket_answer_each_role_as_the_matrix_says():
    wrong = await _frame_matrix("/ws/v1/staff/", STAFF_FRAMES, sorted(SAFETY))
    assert not wrong, wrong
