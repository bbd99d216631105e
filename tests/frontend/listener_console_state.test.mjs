// node --test tests/frontend/: the listener console's reducer (listener_console_state.js), with plain frames.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  initialConsole,
  lineText,
  offerText,
  pageTitle,
  reduceConsole,
  secondsLeft,
} from "../../frontend/static/frontend/js/listener_console_state.js";

const T0 = Date.parse("2026-12-07T10:00:00Z");

function shift(overrides = {}) {
  return { id: 1, topics: ["anxiety"], capacity: 2, chats_taken: 0, chats_escalated: 0, started_at: new Date(T0).toISOString(), max_end_at: new Date(T0 + 4 * 3600_000).toISOString(), ...overrides };
}

function offer(id, overrides = {}) {
  return { id, topic: "anxiety", age_group: "adult", waited_seconds: 30, expires_in_seconds: 45, urgent: false, ...overrides };
}

function conversation(id, alias = `Seeker${id}`) {
  return { id, status: "active", topic: "anxiety", note: "", peer: { alias, age_group: "adult" } };
}

const run = (events, state = initialConsole({ now: T0 })) => events.reduce(reduceConsole, state);
const kinds = (state) => state.effects.map((effect) => effect.kind);
const offerIds = (state) => [...state.offers.keys()];

test("before any hello the shift is not known, so neither 'Start a shift' nor 'On shift' is shown", () => {
  const state = run([{ type: "connection", open: true }]);
  assert.equal(state.shiftKnown, false);
  assert.equal(run([{ type: "hello", shift: null }], state).shiftKnown, true);
});

test("a shift starts, counts the chats it takes, and its end gives a summary, no offers and no line", () => {
  let state = run([{ type: "hello", shift: null, offers: [], queue_sizes: null }, { type: "shift.started", shift: shift() }]);
  assert.equal(state.shift.capacity, 2);
  state = run([{ type: "offer.created", offer: offer(5) }, { type: "queue.sizes", total: 2, topics: { anxiety: 2 }, takeable: 1 }, { type: "effects.done" }], state);
  state = run([{ type: "chat.open", conversation: conversation(9) }, { type: "conversation.started", conversation: conversation(9) }], state);
  assert.equal(state.shift.chats_taken, 1);
  state = run([{ type: "effects.done" }, { type: "clock", now: T0 + 30 * 60_000 }, { type: "shift.ended", shift: { ...state.shift, chats_escalated: 1 } }], state);
  assert.equal(state.shift, null);
  assert.deepEqual(state.summary, { taken: 1, escalated: 1, minutes: 30 });
  assert.deepEqual(offerIds(state), []);
  assert.equal(state.line, null);
  assert.deepEqual(kinds(state), ["shift.ended"]);
});

test("the end is shown once: the reply after the server's shift.ended changes nothing", () => {
  const ended = run([{ type: "shift.started", shift: shift() }, { type: "shift.ended", shift: shift() }, { type: "effects.done" }]);
  assert.equal(reduceConsole(ended, { type: "shift.ended", shift: null }), ended);
});

test("a new shift hides the last summary, and the server's word on the shift is kept until the shift changes", () => {
  let state = run([{ type: "shift.started", shift: shift() }, { type: "shift.max_length_reached", message: "Your shift reached its maximum length." }]);
  assert.equal(state.shiftNote, "Your shift reached its maximum length.");
  state = run([{ type: "queue.sizes", total: 0, topics: {} }], state);
  assert.equal(state.shiftNote, "Your shift reached its maximum length.");
  state = run([{ type: "shift.ended", shift: shift() }, { type: "shift.start.ack", shift: shift({ id: 2 }) }], state);
  assert.equal(state.summary, null);
  assert.equal(state.shiftNote, "");
  assert.equal(run([{ type: "shift.end.failed", message: "Not now." }], state).shiftNote, "Not now.");
});

test("an applicant awaiting a decision: the change redraws the shift, the same answer again changes nothing", () => {
  const awaiting = run([{ type: "standing", awaiting: true }]);
  assert.equal(awaiting.awaitingDecision, true);
  assert.equal(awaiting.shiftKnown, true);
  assert.equal(reduceConsole(awaiting, { type: "standing", awaiting: true }), awaiting);
  assert.equal(reduceConsole(awaiting, { type: "standing", awaiting: false }).awaitingDecision, false);
});

test("an offer arrives once with a beep, counts down from when it arrived, and expires at zero", () => {
  let state = run([{ type: "hello", shift: shift(), offers: [] }, { type: "offer.created", offer: offer(5) }]);
  assert.deepEqual(offerIds(state), [5]);
  assert.deepEqual(kinds(state), ["offer.new"]);
  assert.equal(secondsLeft(state.offers.get(5), T0), 45);
  state = run([{ type: "effects.done" }, { type: "offer.created", offer: offer(5) }], state);
  assert.deepEqual(kinds(state), [], "the same offer again is not a new one");
  state = reduceConsole(state, { type: "clock", now: T0 + 44_200 });
  assert.equal(secondsLeft(state.offers.get(5), state.now), 1);
  state = reduceConsole(state, { type: "clock", now: T0 + 45_000 });
  assert.deepEqual(offerIds(state), []);
});

test("an offer taken elsewhere (withdrawn, by id or object) or answered here goes; the title counts what waits", () => {
  let state = run([{ type: "hello", shift: shift(), offers: [offer(1), offer(2), offer(3)] }]);
  assert.deepEqual(kinds(state), ["offer.new", "offer.new", "offer.new"]);
  assert.equal(pageTitle(state, "Hearth"), "(3) New request · Hearth");
  state = run([{ type: "offer.withdrawn", offer: 1 }, { type: "offer.withdrawn", offer: { id: 2 } }], state);
  assert.deepEqual(offerIds(state), [3]);
  state = reduceConsole(state, { type: "offer.answered", id: 3 });
  assert.deepEqual(offerIds(state), []);
  assert.equal(pageTitle(state, "Hearth"), "Hearth");
});

test("a lost connection drops the offers; the next hello brings back the pending ones as new arrivals", () => {
  let state = run([{ type: "hello", shift: shift(), offers: [offer(1)] }, { type: "effects.done" }]);
  const before = state.offers.get(1);
  state = reduceConsole(state, { type: "connection", open: false });
  assert.equal(state.connected, false);
  assert.deepEqual(offerIds(state), []);
  state = run([{ type: "connection", open: true }, { type: "hello", shift: shift(), offers: [offer(1)] }], state);
  assert.deepEqual(offerIds(state), [1]);
  assert.notEqual(state.offers.get(1), before);
  assert.deepEqual(kinds(state), ["offer.new"]);
});

test("the line is shown only on shift, from hello or queue.sizes, and its words come from the sizes", () => {
  const sizes = { type: "queue.sizes", total: 3, topics: { anxiety: 2 }, any_topic: 1, urgent: { total: 1, topics: { anxiety: 1 } }, takeable: 2 };
  assert.equal(run([{ type: "hello", shift: null, queue_sizes: sizes }]).line, null);
  assert.equal(run([{ type: "hello", shift: null }, sizes]).line, null, "off shift");
  let state = run([{ type: "hello", shift: shift(), queue_sizes: sizes }]);
  assert.equal(state.line, sizes);
  state = reduceConsole(state, { type: "shift.started", shift: shift() });
  assert.equal(state.line, sizes, "the line stays while the shift does");
  assert.deepEqual(lineText(sizes), { summary: "3 waiting that you could take, 1 urgent.", topics: ["anxiety: 2 (1 urgent)", "any topic: 1"], takeable: true });
  assert.deepEqual(lineText({ total: 0, topics: {}, takeable: 0 }), { summary: "Nobody you could take is waiting.", topics: [], takeable: false });
  assert.equal(run([{ type: "hello", shift: null }, { type: "shift.started", shift: shift() }]).line, null, "a shift started shows no line until sizes come");
});

test("the first chat opens selected; a later one opens in the background and is announced", () => {
  let state = run([{ type: "chat.open", conversation: conversation(1, "Ash") }]);
  assert.equal(state.active, 1);
  assert.deepEqual(state.effects, [{ kind: "chat.read", id: 1 }]);
  state = run([{ type: "effects.done" }, { type: "chat.open", conversation: conversation(2, "Bea") }, { type: "chat.open", conversation: conversation(2, "Bea") }], state);
  assert.equal(state.active, 1);
  assert.deepEqual([...state.chats.keys()], [1, 2]);
  assert.deepEqual(state.effects, [{ kind: "chat.opened", id: 2, alias: "Bea" }]);
});

test("a hello opens the active conversations only, and conversation.started selects and focuses its chat", () => {
  let state = run([{ type: "hello", shift: null, conversations: [conversation(1), { ...conversation(2), status: "waiting" }] }]);
  assert.deepEqual([...state.chats.keys()], [1]);
  state = run([{ type: "effects.done" }, { type: "conversation.started", conversation: conversation(3) }], state);
  assert.equal(state.active, 3);
  assert.deepEqual(kinds(state), ["chat.opened", "chat.read", "chat.focus"]);
});

test("messages in a background tab count as unread until it is selected; own and old ones never do", () => {
  let state = run([{ type: "chat.open", conversation: conversation(1) }, { type: "chat.open", conversation: conversation(2) }]);
  state = run(
    [
      { type: "message.shown", id: 2, live: true, senderRole: "seeker" },
      { type: "message.shown", id: 2, live: true, senderRole: "seeker" },
      { type: "message.shown", id: 2, live: false, senderRole: "seeker" },
      { type: "message.shown", id: 2, live: true, senderRole: "listener" },
      { type: "message.shown", id: 1, live: true, senderRole: "seeker" },
    ],
    state,
  );
  assert.equal(state.chats.get(2).badge, "2");
  assert.equal(state.chats.get(1).badge, null);
  state = run([{ type: "effects.done" }, { type: "chat.select", id: 2 }], state);
  assert.equal(state.active, 2);
  assert.equal(state.chats.get(2).unread, 0);
  assert.equal(state.chats.get(2).badge, null);
  assert.deepEqual(state.effects, [{ kind: "chat.read", id: 2 }]);
});

test("guidance for a background chat marks its tab and is announced; for the active chat it is only announced", () => {
  let state = run([{ type: "chat.open", conversation: conversation(1, "Ash") }, { type: "chat.open", conversation: conversation(2, "Bea") }, { type: "effects.done" }]);
  state = reduceConsole(state, { type: "safety.guidance", conversation: 2, level: 3, level_label: "imminent", guidance: "Ask about safety now." });
  assert.equal(state.chats.get(2).badge, "!");
  assert.deepEqual(state.effects, [{ kind: "guidance", id: 2, alias: "Bea", guidance: "Ask about safety now." }]);
  state = run([{ type: "effects.done" }, { type: "safety.guidance", conversation: 1, level: 2, level_label: "elevated", guidance: "Listen." }], state);
  assert.equal(state.chats.get(1).badge, null);
  assert.deepEqual(kinds(state), ["guidance"]);
});

test("after a reload the hello brings guidance back quietly and the shared lines with it", () => {
  const state = run([
    {
      type: "hello",
      shift: null,
      conversations: [conversation(1), conversation(2)],
      risk: [
        { conversation: 2, level: 2, level_label: "elevated", guidance: "Listen." },
        { conversation: 1, level: 1, shared_by: "listener" },
      ],
    },
  ]);
  assert.equal(state.crisis.guidance[2].guidance, "Listen.");
  assert.equal(state.crisis.shared[1], true);
  assert.equal(state.chats.get(2).badge, "!");
  assert.deepEqual(kinds(state), ["chat.read", "chat.opened"]);
});

test("a chat ends once, with the first reason given, whichever frame says so", () => {
  const open = run([{ type: "chat.open", conversation: conversation(1, "Ash") }, { type: "effects.done" }]);
  let state = reduceConsole(open, { type: "conversation.transferred", conversation: 1, to: "KindLantern" });
  assert.equal(state.chats.get(1).ended, true);
  assert.deepEqual(state.effects, [{ kind: "chat.ended", id: 1, alias: "Ash", text: "KindLantern has taken over this chat. Thank you." }]);
  state = run([{ type: "effects.done" }, { type: "conversation.ended", conversation: 1, ended_by: "seeker" }], state);
  assert.deepEqual(state.effects, []);
  assert.equal(reduceConsole(open, { type: "conversation.left", conversation: 1, reason: "handoff" }).effects[0].text, "The safety team has taken over this chat.");
  assert.equal(reduceConsole(open, { type: "conversation.messages", conversation: 1, status: "ended", has_more: false, messages: [] }).effects[0].text, "This chat ended while you were away.");
  assert.equal(reduceConsole(open, { type: "conversation.messages", conversation: 1, status: "ended", has_more: true, messages: [] }), open);
});

test("closing the active tab selects the first one left; closing the last leaves none", () => {
  let state = run([{ type: "chat.open", conversation: conversation(1) }, { type: "chat.open", conversation: conversation(2) }, { type: "chat.open", conversation: conversation(3) }, { type: "chat.select", id: 2 }, { type: "effects.done" }]);
  state = reduceConsole(state, { type: "chat.close", id: 2 });
  assert.deepEqual([...state.chats.keys()], [1, 3]);
  assert.equal(state.active, 1);
  state = run([{ type: "chat.close", id: 3 }], state);
  assert.equal(state.active, 1, "closing a background tab keeps the selection");
  state = run([{ type: "chat.close", id: 1 }], state);
  assert.equal(state.active, null);
  assert.equal(state.chats.size, 0);
});

test("an offer's words: a transfer says so, and the announcement gives the time to answer", () => {
  assert.equal(offerText(offer(1, { kind: "transfer", topic: null })).title, "Transfer · any topic");
  assert.equal(offerText(offer(1)).announcement, "New request: someone wants to talk about anxiety. Accept or decline within 45 seconds.");
});

test("frames the console does not use leave its state as it was", () => {
  const before = run([{ type: "hello", shift: shift() }, { type: "effects.done" }]);
  for (const frame of [{ type: "typing", conversation: 1 }, { type: "pong" }, { type: "effects.done" }, null, "junk"]) assert.equal(reduceConsole(before, frame), before);
});
