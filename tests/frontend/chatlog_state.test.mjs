// node --test tests/frontend/: what a chat's log shows (chatlog_state.js, drawn by ChatView).

import assert from "node:assert/strict";
import { test } from "node:test";

import { delivery, initialChatLog, reduceChatLog, shownRows } from "../../frontend/static/frontend/js/chatlog_state.js";

const reduceAll = (state, events) => events.reduce(reduceChatLog, state);
const seeker = (options = {}) => initialChatLog({ myRole: "seeker", connected: true, ...options });
const peer = (seq, text = `m${seq}`) => ({ seq, kind: "text", sender_role: "listener", sender_alias: "Sam", text, created_at: "2026-01-01T10:00:00Z" });
const own = (seq, clientId, text = "mine") => ({ seq, kind: "text", sender_role: "seeker", sender_alias: "Me", client_id: clientId, text, created_at: "2026-01-01T10:00:01Z" });
const entry = (clientId, text = "mine") => ({ client_id: clientId, text, queued_at: "2026-01-01T10:00:00Z", failed: null });
const shown = (state) => shownRows(state).map((row) => [row.text, row.seq, delivery(row, state)]);

test("an own message is one row from queued to sent to stored, whatever order its ack and echo come in", () => {
  const echoFirst = reduceAll(seeker(), [{ type: "pending", entry: entry("a") }, { type: "message", message: own(1, "a") }, { type: "ack", clientId: "a", seq: 1 }]);
  const ackFirst = reduceAll(seeker(), [{ type: "pending", entry: entry("a") }, { type: "ack", clientId: "a", seq: 1 }, { type: "message", message: own(1, "a") }]);
  assert.deepEqual(shown(echoFirst), [["mine", 1, "delivered"]]);
  assert.deepEqual(shown(ackFirst), [["mine", 1, "delivered"]]);
});

test("rows keep seq order; messages still waiting for their seq stay last", () => {
  const state = reduceAll(seeker(), [
    { type: "message", message: peer(1) },
    { type: "pending", entry: entry("late", "written during a gap") },
    { type: "message", message: peer(3) },
    { type: "message", message: peer(2) },
  ]);
  assert.deepEqual(
    shown(state).map(([text, seq]) => [text, seq]),
    [
      ["m1", 1],
      ["m2", 2],
      ["m3", 3],
      ["written during a gap", 0],
    ],
  );
  const acked = reduceChatLog(state, { type: "ack", clientId: "late", seq: 4 });
  assert.deepEqual(
    shown(acked).map(([, seq]) => seq),
    [1, 2, 3, 4],
  );
});

test("an unsent message says queued while offline and sending once the connection is back", () => {
  let state = reduceAll(seeker({ connected: false }), [{ type: "pending", entry: entry("a") }]);
  assert.deepEqual(shown(state), [["mine", 0, "queued"]]);
  state = reduceChatLog(state, { type: "connection", open: true });
  assert.deepEqual(shown(state), [["mine", 0, "sending"]]);
});

test("a final refusal marks the row failed; a refusal that will be retried leaves it sending", () => {
  const retried = reduceAll(seeker(), [{ type: "pending", entry: entry("a") }, { type: "failed", clientId: "a", retrying: true }]);
  assert.deepEqual(shown(retried), [["mine", 0, "sending"]]);
  const refused = reduceChatLog(retried, { type: "failed", clientId: "a", retrying: false });
  assert.deepEqual(shown(refused), [["mine", 0, "failed"]]);
  assert.deepEqual(shown(reduceChatLog(refused, { type: "connection", open: false })), [["mine", 0, "failed"]]);
});

test("the peer's read marker turns own stored messages up to it to read, later ones stay delivered", () => {
  const state = reduceAll(seeker(), [
    { type: "message", message: own(1, "a", "first") },
    { type: "message", message: peer(2) },
    { type: "message", message: own(3, "b", "second") },
    { type: "peer.read", seq: 2 },
    { type: "peer.read", seq: 1 }, // an older marker arriving late changes nothing
  ]);
  assert.deepEqual(shown(state), [
    ["first", 1, "read"],
    ["m2", 2, null],
    ["second", 3, "delivered"],
  ]);
});

test("the last seq the peer wrote is what the page marks read; own messages do not count", () => {
  const state = reduceAll(seeker(), [{ type: "message", message: peer(1) }, { type: "message", message: own(2, "a") }]);
  assert.equal(state.lastPeerSeq, 1);
});

test("a system line for the other side is not shown, and a masked echo replaces what was typed", () => {
  const state = reduceAll(initialChatLog({ myRole: "listener", connected: true }), [
    { type: "message", message: { seq: 1, kind: "system", for_role: "seeker", text: "Your listener lost their connection." } },
    { type: "pending", entry: entry("a", "call me on 0612345678") },
    { type: "message", message: { ...own(2, "a", "call me on [number removed]"), sender_role: "listener", masked: true } },
  ]);
  assert.deepEqual(shown(state), [["call me on [number removed]", 2, "delivered"]]);
});

test("events that change nothing return the same state, so the page draws nothing", () => {
  const state = reduceAll(seeker(), [{ type: "pending", entry: entry("a") }]);
  for (const event of [
    { type: "pending", entry: entry("a") },
    { type: "ack", clientId: "unknown", seq: 4 },
    { type: "failed", clientId: "unknown", retrying: false },
    { type: "connection", open: true },
    { type: "peer.read", seq: 0 },
    { type: "something.else" },
  ]) {
    assert.equal(reduceChatLog(state, event), state, event.type);
  }
});
