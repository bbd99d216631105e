// node --test tests/frontend/: what the room page shows of its messages and held list (roomlog_state.js).

import assert from "node:assert/strict";
import { test } from "node:test";

import { delivery, heldMessages, initialRoomLog, reduceRoomLog, shownRows } from "../../frontend/static/frontend/js/roomlog_state.js";

const reduceAll = (state, events) => events.reduce(reduceRoomLog, state);
const member = (options = {}) => initialRoomLog({ connected: true, ...options });
const theirs = (seq, extra = {}) => ({ seq, kind: "text", sender_alias: "Sam", sender_role: "member", text: `r${seq}`, status: "visible", client_id: null, created_at: "2026-01-01T10:00:00Z", ...extra });
const mine = (seq, clientId, extra = {}) => theirs(seq, { sender_alias: "Me", client_id: clientId, text: "mine", ...extra });
const entry = (clientId, text = "mine") => ({ client_id: clientId, text, queued_at: "2026-01-01T10:00:00Z", failed: null });
const shown = (state) => shownRows(state).map((row) => [row.message ? row.message.text : row.text, row.seq, delivery(row, state)]);

test("an own message is one row from sending to sent, and takes its place by seq", () => {
  const state = reduceAll(member(), [
    { type: "message", message: theirs(1), mine: false },
    { type: "pending", entry: entry("a") },
    { type: "message", message: theirs(2), mine: false },
    { type: "ack", clientId: "a", seq: 3, status: "visible" },
    { type: "message", message: mine(3, "a"), mine: true },
  ]);
  assert.deepEqual(shown(state), [
    ["r1", 1, null],
    ["r2", 2, null],
    ["mine", 3, "delivered"],
  ]);
});

test("an own message the screening held says so, from its ack and from its stored state", () => {
  const acked = reduceAll(member(), [{ type: "pending", entry: entry("a") }, { type: "ack", clientId: "a", seq: 1, status: "held" }]);
  assert.deepEqual(shown(acked), [["mine", 1, "held"]]);
  const stored = reduceRoomLog(acked, { type: "message", message: mine(1, "a", { status: "held" }), mine: true });
  assert.deepEqual(shown(stored), [["mine", 1, "held"]]);
});

test("unsent messages wait for the connection, and a final refusal shows as not sent", () => {
  let state = reduceAll(member({ connected: false }), [{ type: "pending", entry: entry("a") }, { type: "pending", entry: entry("b", "second") }]);
  assert.deepEqual(shown(state).map((row) => row[2]), ["queued", "queued"]);
  state = reduceAll(state, [{ type: "connection", open: true }, { type: "failed", clientId: "a", retrying: false }, { type: "failed", clientId: "b", retrying: true }]);
  assert.deepEqual(shown(state).map((row) => row[2]), ["failed", "sending"]);
});

test("someone else's held message is not shown to members until it is released, then in its place", () => {
  let state = reduceAll(member(), [
    { type: "message", message: theirs(1), mine: false },
    { type: "message", message: theirs(2, { status: "held", text: "" }), mine: false },
    { type: "message", message: theirs(3), mine: false },
  ]);
  assert.deepEqual(shown(state).map((row) => row[1]), [1, 3]);
  state = reduceRoomLog(state, { type: "updated", message: theirs(2, { text: "released words" }), mine: false });
  assert.deepEqual(shown(state).map((row) => row[0]), ["r1", "released words", "r3"]);
});

test("an update for a message not reached yet changes nothing: the sync brings its state", () => {
  const state = reduceAll(member(), [{ type: "message", message: theirs(1), mine: false }]);
  assert.equal(reduceRoomLog(state, { type: "updated", message: theirs(9, { status: "removed" }), mine: false }), state);
});

test("a moderator's held list follows each message: in while held or hidden, out once released or removed", () => {
  let state = reduceAll(member(), [
    { type: "moderator", moderator: true },
    { type: "held.listed", messages: [theirs(4, { status: "held", text: "older held" })] },
    { type: "message", message: theirs(5, { status: "hidden", text: "reported a lot" }), mine: false },
  ]);
  assert.deepEqual(heldMessages(state).map((message) => message.seq), [4, 5]);
  state = reduceAll(state, [
    { type: "message", message: theirs(6), mine: false },
    { type: "updated", message: theirs(5, { status: "visible", text: "reported a lot" }), mine: false },
    { type: "held.listed", messages: [theirs(4, { status: "removed", removed: true, text: "" })] },
  ]);
  assert.deepEqual(heldMessages(state), []);
});

test("members never get a held list", () => {
  const state = reduceAll(member(), [{ type: "message", message: theirs(5, { status: "hidden", text: "reported" }), mine: false }]);
  assert.deepEqual(heldMessages(state), []);
});

test("the oldest seq shown is where older history is asked from", () => {
  const state = reduceAll(member(), [
    { type: "message", message: theirs(40), mine: false },
    { type: "message", message: theirs(41), mine: false },
    { type: "message", message: theirs(12), mine: false }, // a page of history
  ]);
  assert.equal(state.oldestSeq, 12);
  assert.deepEqual(shown(state).map((row) => row[1]), [12, 40, 41]);
});

test("a message known to be ours stays ours when an update comes without the alias", () => {
  const state = reduceAll(member(), [
    { type: "message", message: mine(1, "a"), mine: true },
    { type: "updated", message: { ...mine(1, "a"), status: "hidden" }, mine: false },
  ]);
  assert.equal(shownRows(state)[0].mine, true);
});
