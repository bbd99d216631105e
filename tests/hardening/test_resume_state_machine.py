"""A stateful property test of the delivery rules (hypothesis ``RuleBasedStateMachine``).

A seeker and a listener in one conversation connect, send, re-send, drop,
resume and see the channel layer flushed (every group membership and queued
event lost), in any order. After every step:

* acknowledged ⊆ stored, each at the seq it was acknowledged with;
* no two stored messages share (sender, client id);
* after a resume, a client's view is exactly the stored prefix up to ``last_seq``.

In-process on the real ASGI application with the in-memory layer. 30 runs in
CI, 200 with ``HEARTH_FULL_RUNS=1``.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels.layers import get_channel_layer
from django.test import override_settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from chat.models import Message
from tests.chat.helpers import matched_pair
from tests.hardening.conftest import FULL, size
from tests.hardening.helpers import open_socket

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]
WHO = st.sampled_from(["seeker", "listener"])


class Side:
    def __init__(self, user):
        self.user = user
        self.ws = None
        self.view: dict[int, dict] = {}
        self.acked: dict[str, int] = {}

    def highest(self) -> int:
        seq = 0
        while seq + 1 in self.view:
            seq += 1
        return seq


class ResumeMachine(RuleBasedStateMachine):
    counts = {"runs": 0, "sends": 0, "resends": 0, "resumes": 0, "flushes": 0, "connects": 0}

    @initialize()
    def setup(self):
        self.loop = asyncio.new_event_loop()
        self.counts["runs"] += 1
        seeker, listener, conversation = matched_pair()
        self.conversation = conversation.pk
        self.sides = {"seeker": Side(seeker), "listener": Side(listener)}

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    # --- helpers ---------------------------------------------------------------
    async def _absorb(self, side: Side, frame: dict) -> None:
        if frame["type"] == "message.created":
            message = frame["message"]
            side.view[message["seq"]] = message
        elif frame["type"] in ("conversation.started", "conversation.waiting"):
            for message in frame["messages"]:
                side.view[message["seq"]] = message

    async def _until(self, side: Side, predicate) -> dict:
        while True:
            frame = await side.ws.receive_json_from(timeout=5)
            await self._absorb(side, frame)
            if predicate(frame):
                return frame

    async def _resume(self, side: Side) -> int:
        while True:
            await side.ws.send_json_to(
                {"type": "conversation.sync", "conversation": self.conversation, "after_seq": side.highest()}
            )
            page = await self._until(side, lambda f: f["type"] == "conversation.messages")
            for message in page["messages"]:
                side.view[message["seq"]] = message
            if not page["has_more"]:
                return page["last_seq"]

    def _stored(self) -> list[Message]:
        return list(Message.objects.filter(conversation_id=self.conversation).order_by("seq"))

    # --- rules -----------------------------------------------------------------
    @rule(who=WHO)
    def connect(self, who):
        side = self.sides[who]
        if side.ws is not None:
            return

        async def go():
            side.ws, accepted = await open_socket(side.user)
            assert accepted
            hello = await self._until(side, lambda f: f["type"] == "hello")
            assert self.conversation in [c["id"] for c in hello["conversations"]]
            self.counts["connects"] += 1

        self.run(go())
        self.resume(who)

    @rule(who=WHO, text=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40))
    def send(self, who, text):
        side = self.sides[who]
        if not text.strip():
            text = "x" + text
        if side.ws is None:  # a client writes as soon as it is connected again
            self.connect(who)
        client_id = uuid.uuid4().hex

        async def go():
            await side.ws.send_json_to(
                {"type": "message.send", "conversation": self.conversation, "client_id": client_id, "text": text}
            )
            frame = await self._until(side, lambda f: f["type"] in ("message.ack", "error"))
            assert frame["type"] == "message.ack", frame
            assert frame["client_id"] == client_id and frame["duplicate"] is False
            side.acked[client_id] = frame["seq"]
            self.counts["sends"] += 1

        self.run(go())

    @rule(who=WHO, data=st.data())
    def resend(self, who, data):
        side = self.sides[who]
        if not side.acked:
            return
        if side.ws is None:
            self.connect(who)
        client_id = data.draw(st.sampled_from(sorted(side.acked)))

        async def go():
            await side.ws.send_json_to(
                {"type": "message.send", "conversation": self.conversation, "client_id": client_id, "text": "again"}
            )
            frame = await self._until(side, lambda f: f["type"] in ("message.ack", "error"))
            assert frame["type"] == "message.ack" and frame["duplicate"] is True, frame
            assert frame["seq"] == side.acked[client_id]
            self.counts["resends"] += 1

        self.run(go())

    @rule(who=WHO)
    def disconnect(self, who):
        side = self.sides[who]
        if side.ws is None:
            return
        self.run(side.ws.disconnect())
        side.ws = None

    @rule(who=WHO)
    def resume(self, who):
        side = self.sides[who]
        if side.ws is None:
            return
        last_seq = self.run(self._resume(side))
        self.counts["resumes"] += 1
        stored = {m.seq: m for m in self._stored() if m.seq <= last_seq}
        assert sorted(seq for seq in side.view if seq <= last_seq) == sorted(stored), (
            "view after resume != stored prefix"
        )
        for seq, message in stored.items():
            assert side.view[seq]["text"] == message.text
            assert side.view[seq]["client_id"] == (message.client_id or None)

    @rule()
    def flush_layer(self):
        self.run(get_channel_layer().flush())
        self.counts["flushes"] += 1

    # --- invariants --------------------------------------------------------------
    @invariant()
    def acknowledged_are_stored_and_unique(self):
        if not hasattr(self, "sides"):
            return
        stored = self._stored()
        by_key = {(m.sender_id, m.client_id): m.seq for m in stored if m.client_id}
        assert len(by_key) == len([m for m in stored if m.client_id]), "duplicate (sender, client id)"
        assert [m.seq for m in stored] == list(range(1, len(stored) + 1))
        for side in self.sides.values():
            for client_id, seq in side.acked.items():
                assert by_key.get((side.user.pk, client_id)) == seq

    def teardown(self):
        if not hasattr(self, "sides"):
            return
        for side in self.sides.values():
            if side.ws is not None:
                self.run(side.ws.disconnect())
        self.run(get_channel_layer().flush())
        self.loop.close()


def test_delivery_invariants_hold_over_generated_connect_send_resend_drop_resume_flush_runs():
    limits = dict(
        CHAT_RATE_MESSAGES=1_000_000,
        HEARTH_WS_HANDSHAKES_PER_USER=1_000_000,
        HEARTH_WS_HANDSHAKES_PER_IP=1_000_000,
        CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}},
    )
    with override_settings(**limits):
        ResumeMachine.TestCase.settings = hypothesis_settings(
            max_examples=size(30, 200),
            stateful_step_count=size(20, 30),
            deadline=None,
            suppress_health_check=list(HealthCheck),
            # The CI variant is the same 30 runs every time (its coverage checks below must not
            # depend on luck); the full variant explores freely.
            derandomize=not FULL,
        )
        ResumeMachine.TestCase().runTest()
    counts = ResumeMachine.counts
    print(f"state machine: {counts}")
    assert counts["runs"] >= size(30, 200) and counts["sends"] > counts["runs"] and counts["resumes"] > counts["runs"]
