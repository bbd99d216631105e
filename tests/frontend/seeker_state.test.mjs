// node --test tests/frontend/: where the seeker is on the talk page (seeker_state.js).

import assert from "node:assert/strict";
import { test } from "node:test";

import { initialSeeker, reduceSeeker, waitingNotice } from "../../frontend/static/frontend/js/seeker_state.js";

const reduceAll = (state, events) => events.reduce(reduceSeeker, state);
const SAM = { alias: "Sam", role: "listener" };
const hello = (conversations = []) => ({ type: "hello", user: { id: 1, role: "seeker" }, conversations });
const where = (state) => [state.step, state.conversation, state.peer && state.peer.alias];

test("a reload lands where the seeker was: the chat, the line, or choosing a topic", () => {
  assert.deepEqual(where(reduceSeeker(initialSeeker(), hello([{ id: 5, status: "active", peer: SAM, read_seq: { listener: 3 } }]))), ["chat", 5, "Sam"]);
  assert.equal(reduceSeeker(initialSeeker(), hello([{ id: 5, status: "active", peer: SAM, read_seq: { listener: 3 } }])).readSeq, 3);
  assert.deepEqual(where(reduceSeeker(initialSeeker(), hello([{ id: 5, status: "waiting", peer: null }]))), ["waiting", 5, null]);
  assert.deepEqual(where(reduceSeeker(initialSeeker(), hello([]))), ["topic", null, null]);
});

test("a reconnect with nothing open leaves the end screen alone, so the rating is not lost", () => {
  const ended = reduceAll(initialSeeker(), [hello([{ id: 5, status: "active", peer: SAM }]), { type: "conversation.ended", conversation: 5, reason: "ended_by_listener" }]);
  assert.equal(ended.step, "ended");
  assert.equal(reduceSeeker(ended, hello([])), ended);
});

test("the committed request moves the seeker to the line even if conversation.waiting never comes", () => {
  const state = reduceAll(initialSeeker(), [hello([]), { type: "request.made", conversation: 8 }]);
  assert.deepEqual(where(state), ["waiting", 8, null]);
  assert.equal(waitingNotice(state), "Thank you for reaching out. A listener will join you here.");
  assert.equal(reduceSeeker(state, { type: "conversation.waiting", conversation: { id: 8 } }).step, "waiting");
});

test("a listener joining turns the line into the chat with them", () => {
  const state = reduceAll(initialSeeker(), [{ type: "request.made", conversation: 8 }, { type: "conversation.started", conversation: { id: 8, peer: SAM } }]);
  assert.deepEqual(where(state), ["chat", 8, "Sam"]);
});

test("a listener who had to leave puts the seeker back in line with the reason, the same conversation kept", () => {
  const chatting = reduceSeeker(initialSeeker(), { type: "conversation.started", conversation: { id: 8, peer: SAM } });
  const requeued = reduceSeeker(chatting, { type: "conversation.requeued", conversation: 8, reason_text: "Sam had to go. You're first in line." });
  assert.deepEqual(where(requeued), ["waiting", 8, "Sam"]);
  assert.equal(waitingNotice(requeued), "Sam had to go. You're first in line.");
  assert.equal(reduceSeeker(chatting, { type: "conversation.requeued", conversation: 9 }), chatting, "another conversation's requeue");
});

test("the end screen says why, once; a cancelled request goes back to choosing a topic", () => {
  const chatting = reduceSeeker(initialSeeker(), { type: "conversation.started", conversation: { id: 8, peer: SAM } });
  const ended = reduceSeeker(chatting, { type: "conversation.ended", conversation: 8, reason: "ended_by_listener", reason_text: "Your listener ended the chat." });
  assert.equal(ended.step, "ended");
  assert.match(ended.endedText, /listener ended/);
  assert.equal(reduceSeeker(ended, { type: "conversation.messages", conversation: 8, status: "ended", has_more: false }), ended);
  const away = reduceSeeker(chatting, { type: "conversation.messages", conversation: 8, status: "ended", has_more: false, messages: [] });
  assert.equal(away.endedText, "This chat ended while you were away.");
  assert.equal(reduceSeeker(chatting, { type: "conversation.messages", conversation: 8, status: "ended", has_more: true }), chatting, "not before the last page");
  const waitingState = reduceSeeker(initialSeeker(), { type: "request.made", conversation: 8 });
  assert.deepEqual(where(reduceSeeker(waitingState, { type: "conversation.ended", conversation: 8, reason: "cancelled" })), ["topic", null, null]);
  assert.equal(reduceSeeker(chatting, { type: "conversation.ended", conversation: 9, reason: "ended_by_listener" }), chatting, "another conversation");
});

test("talking again, signing out and being refused start from nothing", () => {
  const chatting = reduceSeeker(initialSeeker(), { type: "conversation.started", conversation: { id: 8, peer: SAM } });
  assert.deepEqual(where(reduceSeeker(chatting, { type: "topic.asked" })), ["topic", null, null]);
  assert.deepEqual(where(reduceSeeker(chatting, { type: "age.asked" })), ["age", null, null]);
  assert.deepEqual(where(reduceSeeker(initialSeeker(), { type: "refused" })), ["refused", null, null]);
});
