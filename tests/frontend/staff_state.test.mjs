// node --test tests/frontend/: the staff review desk's reducer (staff_state.js), with plain frames.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  MALFORMED_TEXT,
  initialState,
  itemFacts,
  openItem,
  ordered,
  overdueCount,
  pageTitle,
  reduce,
  whoWrote,
} from "../../frontend/static/frontend/js/staff_state.js";

const T0 = Date.parse("2026-12-07T10:00:00Z");
const OVERDUE = 120;

function alert(id, overrides = {}) {
  return {
    id,
    level: 3,
    level_label: "imminent",
    categories: ["self_harm"],
    source: "classifier",
    subject_role: "seeker",
    texts: 1,
    listener_paused: false,
    status: "open",
    claimed_by: null,
    notify_round: 0,
    created_at: new Date(T0).toISOString(),
    ...overrides,
  };
}

function run(frames, state = initialState({ overdueSeconds: OVERDUE, now: T0 })) {
  return frames.reduce(reduce, state);
}

const kinds = (state) => state.effects.filter((effect) => effect.kind !== "log").map((effect) => `${effect.kind}:${effect.id}`);

test("items already open when the page loads are shown without a sound", () => {
  const state = run([{ type: "hello", alerts: [alert(1), alert(2, { level: 2, level_label: "elevated" })] }]);
  assert.deepEqual(ordered(state).map((item) => item.id), [1, 2]);
  assert.deepEqual(kinds(state), []);
});

test("a new alert sounds once, and never again when it is updated or re-sent", () => {
  let state = run([{ type: "hello", alerts: [] }, { type: "alert.created", alert: alert(7) }]);
  assert.deepEqual(kinds(state), ["new:7"]);
  state = reduce(state, { type: "effects.done" });
  state = run([{ type: "alert.created", alert: alert(7) }, { type: "alert.updated", alert: alert(7, { texts: 2 }) }], state);
  assert.deepEqual(kinds(state), []);
  assert.equal(state.items[7].texts, 2);
});

test("an alert that arrived while the socket was down sounds after the reconnect's hello", () => {
  let state = run([{ type: "hello", alerts: [alert(1)] }, { type: "effects.done" }]);
  state = reduce(state, { type: "hello", alerts: [alert(1), alert(2)] });
  assert.deepEqual(kinds(state), ["new:2"]);
});

test("a hello drops items it no longer lists (resolved while the socket was down)", () => {
  const state = run([{ type: "hello", alerts: [alert(1), alert(2)] }, { type: "hello", alerts: [alert(2)] }]);
  assert.deepEqual(Object.keys(state.items), ["2"]);
});

test("the server's re-notify sounds again and is remembered per round", () => {
  let state = run([{ type: "hello", alerts: [alert(3)] }]);
  state = reduce(state, { type: "alert.renotify", alert: alert(3, { notify_round: 1 }) });
  assert.deepEqual(kinds(state), ["renotify:3"]);
  state = reduce(reduce(state, { type: "effects.done" }), { type: "alert.renotify", alert: alert(3, { notify_round: 1 }) });
  assert.deepEqual(kinds(state), []);
  assert.match(itemFacts(state.items[3]).join(" "), /Re-notified/);
});

test("an unclaimed imminent item is overdue after the server's time, and announced again each period after", () => {
  let state = run([{ type: "hello", alerts: [alert(4), alert(5, { level: 2, level_label: "elevated" })] }]);
  state = reduce(state, { type: "tick", now: T0 + (OVERDUE - 1) * 1000 });
  assert.equal(overdueCount(state), 0);
  assert.equal(pageTitle(state, "Review queue"), "(2) Review queue");
  state = reduce(state, { type: "tick", now: T0 + OVERDUE * 1000 });
  assert.equal(overdueCount(state), 1);
  assert.deepEqual(kinds(state), ["overdue:4"]);
  assert.equal(pageTitle(state, "Review queue"), "(1 unclaimed too long · 2) Review queue");
  state = reduce(reduce(state, { type: "effects.done" }), { type: "tick", now: T0 + (OVERDUE + 30) * 1000 });
  assert.deepEqual(kinds(state), [], "not again within the same period");
  state = reduce(state, { type: "tick", now: T0 + 2 * OVERDUE * 1000 });
  assert.deepEqual(kinds(state), ["overdue:4"]);
});

test("a claimed imminent item is never overdue", () => {
  const state = run([
    { type: "hello", alerts: [alert(4, { status: "claimed", claimed_by: "Desk" })] },
    { type: "tick", now: T0 + 10 * OVERDUE * 1000 },
  ]);
  assert.equal(overdueCount(state), 0);
  assert.deepEqual(kinds(state), []);
});

test("the overdue time comes from the state the server configured", () => {
  const state = run(
    [{ type: "hello", alerts: [alert(4)] }, { type: "tick", now: T0 + 30 * 1000 }],
    initialState({ overdueSeconds: 30, now: T0 }),
  );
  assert.equal(overdueCount(state), 1);
});

test("a resolved item leaves the queue; its open detail stays, marked resolved, until another is chosen", () => {
  let state = run([{ type: "hello", alerts: [alert(1), alert(2)] }, { type: "select", id: 1 }]);
  state = reduce(state, { type: "alert.updated", alert: alert(1, { status: "resolved" }) });
  assert.deepEqual(Object.keys(state.items), ["2"]);
  assert.equal(openItem(state).status, "resolved");
  state = reduce(state, { type: "select", id: 2 });
  assert.equal(openItem(state).id, 2);
  assert.equal(state.resolved, null);
});

test("malformed frames leave the queue intact, say so, and are logged", () => {
  let state = run([{ type: "hello", alerts: [alert(1)] }]);
  for (const frame of [null, 42, "text", { no: "type" }, { type: "alert.created" }, { type: "alert.created", alert: { id: "x" } }, { type: "hello", alerts: "nope" }]) {
    state = reduce(state, frame);
  }
  assert.deepEqual(Object.keys(state.items), ["1"]);
  assert.equal(state.problem, MALFORMED_TEXT);
  assert.equal(state.effects.filter((effect) => effect.kind === "log").length, 7);
  assert.equal(reduce(state, { type: "problem.dismiss" }).problem, null);
});

test("a hello with one bad alert keeps the good ones", () => {
  const state = run([{ type: "hello", alerts: [alert(1), { id: 2 }, alert(3)] }]);
  assert.deepEqual(Object.keys(state.items).sort(), ["1", "3"]);
  assert.equal(state.problem, MALFORMED_TEXT);
});

test("unknown frame types are logged but not shown as a problem; chat frames pass silently", () => {
  let state = run([{ type: "hello", alerts: [] }, { type: "something.new" }]);
  assert.equal(state.problem, null);
  assert.equal(state.effects.length, 1);
  state = run([{ type: "effects.done" }, { type: "message.created" }, { type: "conversation.joined" }, { type: "pong" }], state);
  assert.equal(state.effects.length, 0);
});

test("a detail answer for an item no longer open is dropped", () => {
  let state = run([{ type: "hello", alerts: [alert(1), alert(2)] }, { type: "select", id: 1 }, { type: "select", id: 2 }]);
  state = reduce(state, { type: "detail.loaded", id: 1, part: "history", body: { cases: [] } });
  assert.equal(state.detail.history, null);
  state = reduce(state, { type: "detail.loaded", id: 2, part: "history", body: { cases: [] } });
  assert.deepEqual(state.detail.history, { cases: [] });
});

test("who wrote what is said in words", () => {
  assert.equal(whoWrote(alert(1, { level: 2, level_label: "elevated" })), "The seeker may be at risk.");
  assert.equal(whoWrote(alert(1)), "The seeker may be in immediate danger.");
  assert.equal(whoWrote(alert(1, { subject_role: "listener", categories: ["held", "listener_misconduct"] })), "A listener's message was held back and never delivered.");
  assert.equal(whoWrote(alert(1, { subject_role: "member", categories: ["held"] })), "A room member's message was held back and never delivered.");
  assert.equal(whoWrote(alert(1, { subject_role: "listener", categories: ["listener_misconduct"], level: 2 })), "Something the listener wrote needs review.");
  const facts = itemFacts(alert(1, { subject_role: "listener", categories: ["held", "personal_info"], texts: 3, listener_paused: true }));
  assert.deepEqual(facts, [
    "About: personal details shared.",
    "3 texts are attached to this case.",
    "The listener's new chats are paused until this case is resolved.",
  ]);
});
