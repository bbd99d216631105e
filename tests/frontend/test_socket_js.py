"""Unit tests of the web app's re-send rule (frontend/static/frontend/js/socket.js), run in Chromium.

A blank page on a made-up origin imports the real ``socket.js`` (every request is answered by
Playwright from the repository, no server runs) and ``socket_harness.js``, which replaces
``WebSocket`` with a scripted server and ``Date.now`` with a clock that moves only when told. Each
scenario runs synchronously, so nothing here depends on timing.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

import pytest

from tests.e2e.browser import browser  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "http://hearth.test"
FILES = {
    "/": (b"<!doctype html><title>socket.js</title><script type=module src=/harness.js></script>", "text/html"),
}


def _serve(route) -> None:
    path = route.request.url[len(ORIGIN) :].split("?")[0]
    if path in FILES:
        body, kind = FILES[path]
        route.fulfill(body=body, content_type=kind)
        return
    if path == "/harness.js":
        file = Path(__file__).with_name("socket_harness.js")
    elif path.startswith("/static/frontend/js/") and ".." not in path:
        file = ROOT / "frontend" / path.lstrip("/")
    else:
        route.fulfill(status=404, body=b"")
        return
    route.fulfill(body=file.read_bytes(), content_type=mimetypes.guess_type(file.name)[0] or "text/javascript")


@pytest.fixture
def run(browser):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route(f"{ORIGIN}/**", _serve)
    page.goto(f"{ORIGIN}/")
    page.wait_for_function("window.harnessReady === true")

    def scenario(name: str) -> dict:
        result = page.evaluate("(name) => window.scenarios[name]()", name)
        assert not errors, errors
        return result

    try:
        yield scenario
    finally:
        context.close()


def test_ack_wait_starts_at_10_s_doubles_to_60_s_with_20_percent_jitter(run):
    waits = run("waits")
    assert waits["first"] == 10_000
    assert waits["middle"] == [10_000, 20_000, 40_000, 60_000, 60_000, 60_000]
    assert waits["low"] == [8_000, 16_000, 32_000, 48_000, 48_000]
    assert waits["high"] == [12_000, 24_000, 48_000, 72_000, 72_000]


def test_a_send_queued_on_a_busy_server_is_never_resent_on_the_same_socket(run):
    result = run("busyServerGetsNoResend")
    # Two minutes without an answer: the client only asks (a ping every 10 s once the ack is overdue).
    assert result["whileBusy"]["sends"] == 1
    assert result["whileBusy"]["probes"] == [float(s) for s in range(10, 121, 10)]
    # The server gets to it: acknowledged, never sent twice.
    assert result["after"] == {"sends": 1, "pending": 0}
    # A reload keeps the message, not this socket's bookkeeping.
    assert result["storedKeys"] == ["client_id", "failed", "queued_at", "text"]


def test_a_lost_send_is_resent_when_a_probe_proves_it_was_handled_backing_off(run):
    result = run("lostSendBacksOff")
    # Sent at 0, then re-sent each time the wait (10, 20, 40, 60, 60 s) ran out and a pong followed.
    assert result["times"] == [0, 10, 30, 70, 130, 190]
    assert result["resends"] >= 5
    assert result["pending"] == 0 and result["storedOnce"] == 1


def test_a_reconnect_resends_once_and_starts_the_wait_again(run):
    result = run("reconnectResetsTheWait")
    assert result["before"] == 3  # 0, 10 s, 30 s on the first socket
    assert result["provedOnNewSocket"] is False
    assert result["afterHello"] == [0]  # once, after the sync
    assert result["inFlightAfterHello"] == 0
    # Waits from 10 s again (it would be 40 s had the reconnect not reset it).
    assert result["onNewSocket"] == [0, 10, 30]


def test_at_most_four_resends_are_in_flight_per_socket(run):
    result = run("resendsAreCapped")
    assert result["first"] == ["m0", "m1", "m2", "m3"]
    assert result["firstCount"] == 14  # ten sends, four re-sends
    assert result["second"] == ["m0", "m1", "m2", "m3", "m4"]  # m0's ack freed one slot
    assert result["inFlight"] == 4
    assert result["third"] == ["m0", "m1", "m2", "m3", "m4"]  # the four re-sent again in their own slots
    assert result["perEntry"] == [2, 3, 3, 3, 2, 1, 1, 1, 1, 1]
    assert result["pending"] == 0


def test_a_pong_to_a_ping_sent_before_the_message_proves_nothing(run):
    result = run("olderProbeProvesNothing")
    assert result == {
        "provedByOlder": False,
        "sendsAfterTimeout": 1,
        "newProbe": 2,
        "provedByNewer": True,
        "sendsAfterNewerPong": 2,
    }


def test_the_room_client_follows_the_same_rule(run):
    assert run("roomClient") == {"whileBusy": 1, "after": 2, "pending": 0}


def test_an_answer_frees_the_slot_of_a_resend(run):
    assert run("slotFreedByAnswer") == {"first": ["a"], "second": ["b"]}


def test_a_busy_answer_is_sent_again_after_retry_after_and_never_shown_as_not_sent(run):
    result = run("busyAnswerIsRetried")
    assert result["afterBusy"] == {"failed": None, "pending": 1, "waits": [1000]}
    assert result["sends"] == 2 and result["pending"] == 0


def test_a_message_held_by_screening_is_shown_as_not_sent_with_the_reason_and_never_resent(run):
    assert run("heldMessageIsNotSentAgain") == {
        "errors": [{"code": "held", "message": "Not delivered.", "retrying": False}],
        "failed": "held",
        "pending": 0,
        "sends": 1,
    }
