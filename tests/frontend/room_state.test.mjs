// node --test tests/frontend/: the room page's reducer, head count, held reason and invitation (room_state.js).

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  composerState,
  headCountText,
  heldReasonText,
  initialRoom,
  invitationFrom,
  membersShown,
  mutedAt,
  reduceRoom,
} from "../../frontend/static/frontend/js/room_state.js";

test("the head count matches the list shown, moderators included, and says how many moderate", () => {
  const members = new Map([
    ["Ash", { alias: "Ash", moderator: false }],
    ["Bea", { alias: "Bea", moderator: true }],
    ["Cy", { alias: "Cy", moderator: false }],
  ]);
  assert.deepEqual(headCountText(members.values()), { short: "(3)", label: "3 here, 1 moderating" });
  assert.deepEqual(headCountText([]), { short: "(0)", label: "0 here" });
});

test("the held reason is the server's words, or nothing", () => {
  assert.equal(heldReasonText({ held_reason: { level: 3, level_label: "imminent", text: "Possible immediate risk." } }), "Why: Possible immediate risk.");
  assert.equal(heldReasonText({ status: "held" }), "");
  assert.equal(heldReasonText({ held_reason: { text: 5 } }), "");
  assert.equal(heldReasonText(null), "");
});

test("a pending invitation comes from the live frame or, after a reload, from hello; hello without one takes it away", () => {
  const invited = { type: "room.one_to_one.invited", room: 3, invitation: 41, topic: "anxiety", message: "Talk one-to-one?", expires_at: "2026-01-01T00:30:00Z" };
  assert.deepEqual(invitationFrom(invited), { id: 41, message: "Talk one-to-one?" });
  assert.deepEqual(invitationFrom({ type: "room.hello", invitation: { invitation: 41, topic: "anxiety", message: "Talk one-to-one?" } }), { id: 41, message: "Talk one-to-one?" });
  assert.equal(invitationFrom({ type: "room.hello", invitation: null }), null);
  assert.equal(invitationFrom({ type: "room.hello", invitation: { invitation: "41" } }), null); // malformed: nothing to accept
  assert.equal(invitationFrom({ type: "room.presence" }), undefined); // says nothing: keep what is shown
  assert.equal(invitationFrom(null), undefined);
});

const T0 = Date.parse("2026-12-07T10:00:00Z");

function hello(overrides = {}) {
  return {
    type: "room.hello",
    room: { id: 3, name: "Evening calm", guideline: "Be kind.", open: true, next_opening: null, slow_mode_seconds: 0 },
    you: { alias: "Ash", moderator: false, guideline_acknowledged: true, muted_until: null },
    members: [
      { alias: "Cy", moderator: false },
      { alias: "Ash", moderator: false },
      { alias: "Bea", moderator: true },
    ],
    presence_version: 10,
    invitation: null,
    ...overrides,
  };
}

const run = (events, state = initialRoom()) => events.reduce(reduceRoom, state);
const aliases = (state) => membersShown(state).map((member) => member.alias);
const kinds = (state) => state.effects.map((effect) => effect.kind);

test("room.hello gives the whole member list, in alias order, and the count agrees with it", () => {
  const state = run([hello()]);
  assert.deepEqual(aliases(state), ["Ash", "Bea", "Cy"]);
  assert.equal(state.presenceVersion, 10);
  assert.deepEqual(headCountText(state.members.values()), { short: "(3)", label: "3 here, 1 moderating" });
  assert.deepEqual(state.you, { alias: "Ash", moderator: false });
});

test("a delta that follows on joins and drops members and moves the version", () => {
  const state = run([hello(), { type: "room.presence", from_version: 10, version: 12, joined: [{ alias: "Dee", moderator: false }], left: ["Cy"] }]);
  assert.deepEqual(aliases(state), ["Ash", "Bea", "Dee"]);
  assert.equal(state.presenceVersion, 12);
  assert.deepEqual(kinds(state), []);
});

test("a delta that changes a member replaces them, so their row is drawn again", () => {
  const before = run([hello()]);
  const after = reduceRoom(before, { type: "room.presence", from_version: 10, version: 11, joined: [{ alias: "Cy", moderator: true }], left: [] });
  assert.notEqual(after.members.get("Cy"), before.members.get("Cy"));
  assert.equal(after.members.get("Ash"), before.members.get("Ash"));
  assert.equal(headCountText(after.members.values()).label, "3 here, 2 moderating");
});

test("a stale delta changes nothing", () => {
  const before = run([hello()]);
  assert.equal(reduceRoom(before, { type: "room.presence", from_version: 8, version: 10, joined: [{ alias: "Zed" }], left: ["Ash"] }), before);
});

test("a delta before any hello changes nothing", () => {
  const before = initialRoom();
  assert.equal(reduceRoom(before, { type: "room.presence", from_version: 0, version: 1, joined: [{ alias: "Zed" }], left: [] }), before);
});

test("a gap asks for the whole list once, keeps the list as it was, and the reply replaces it", () => {
  let state = run([hello(), { type: "room.presence", from_version: 11, version: 13, joined: [{ alias: "Dee" }], left: [] }]);
  assert.deepEqual(kinds(state), ["members.request"]);
  assert.deepEqual(aliases(state), ["Ash", "Bea", "Cy"]);
  assert.equal(state.presenceVersion, 10);
  state = reduceRoom(state, { type: "effects.done" });
  state = reduceRoom(state, { type: "room.presence", from_version: 13, version: 14, joined: [], left: ["Ash"] });
  assert.deepEqual(kinds(state), [], "one request at a time");
  state = reduceRoom(state, { type: "members.loaded", version: 14, members: [{ alias: "Bea", moderator: true }, { alias: "Dee", moderator: false }] });
  assert.deepEqual(aliases(state), ["Bea", "Dee"]);
  assert.equal(state.presenceVersion, 14);
  assert.equal(state.membersAsked, false);
});

test("a member list older than what is shown is dropped, and a failed request may be asked again", () => {
  let state = run([hello(), { type: "room.presence", from_version: 11, version: 13, joined: [], left: [] }, { type: "effects.done" }]);
  state = reduceRoom(state, { type: "members.loaded", version: 9, members: [] });
  assert.deepEqual(aliases(state), ["Ash", "Bea", "Cy"]);
  state = run([{ type: "room.presence", from_version: 11, version: 13, joined: [], left: [] }, { type: "effects.done" }, { type: "members.failed" }], state);
  assert.equal(state.membersAsked, false);
  state = reduceRoom(state, { type: "room.presence", from_version: 12, version: 13, joined: [], left: [] });
  assert.deepEqual(kinds(state), ["members.request"]);
});

test("the room opens and closes, slow mode and a mute follow the server", () => {
  let state = run([hello({ room: { id: 3, name: "Evening calm", guideline: "", open: false, next_opening: "2026-12-07T18:00:00Z", slow_mode_seconds: 0 } })]);
  assert.equal(state.open, false);
  assert.deepEqual(composerState(state, { now: T0 }), { blocked: true, placeholder: "The room is closed" });
  state = reduceRoom(state, { type: "room.state", open: true, next_opening: null });
  assert.equal(state.open, true);
  assert.equal(state.room.next_opening, null);
  state = reduceRoom(state, { type: "room.slow_mode", seconds: 30 });
  assert.equal(state.room.slow_mode_seconds, 30);
  assert.equal(state.room.name, "Evening calm");
  state = reduceRoom(state, { type: "room.muted", until: new Date(T0 + 600_000).toISOString() });
  assert.equal(mutedAt(state, T0), true);
  assert.equal(mutedAt(state, T0 + 600_001), false);
  assert.deepEqual(composerState(state, { now: T0 }), { blocked: true, placeholder: "A moderator has paused your messages" });
  assert.deepEqual(composerState(state, { now: T0 + 600_001 }), { blocked: false, placeholder: "Write to the room…" });
  state = reduceRoom(state, { type: "room.muted", until: null });
  assert.equal(mutedAt(state, T0), false);
});

test("refusals say what they imply: muted until, or the room closed; other errors change nothing", () => {
  let state = run([hello()]);
  state = reduceRoom(state, { type: "error", code: "muted", until: new Date(T0 + 60_000).toISOString() });
  assert.equal(mutedAt(state, T0), true);
  state = reduceRoom(state, { type: "error", code: "room_closed" });
  assert.equal(state.open, false);
  assert.equal(reduceRoom(state, { type: "error", code: "rate_limited" }), state);
});

test("the guideline gates the composer until it is accepted; a moderator is never gated", () => {
  let state = run([hello({ you: { alias: "Ash", moderator: false, guideline_acknowledged: false, muted_until: null } })]);
  assert.deepEqual(composerState(state, { now: T0 }), { blocked: true, placeholder: "Agree to the guideline first" });
  state = reduceRoom(state, { type: "guideline.acknowledged" });
  assert.deepEqual(composerState(state, { now: T0 }), { blocked: false, placeholder: "Write to the room…" });
  assert.equal(composerState(state, { now: T0, gone: true }).blocked, true);
  const moderator = run([hello({ you: { alias: "Bea", moderator: true, guideline_acknowledged: false, muted_until: null } })]);
  assert.equal(composerState(moderator, { now: T0 }).blocked, false);
});

test("an invitation arriving live is shown once and asks for attention; the same one again does not", () => {
  const invited = { type: "room.one_to_one.invited", room: 3, invitation: 41, message: "Talk one-to-one?" };
  let state = run([hello(), invited]);
  assert.deepEqual(state.invitation, { id: 41, message: "Talk one-to-one?" });
  assert.deepEqual(state.effects, [{ kind: "invitation.new", live: true }]);
  state = run([{ type: "effects.done" }, invited], state);
  assert.deepEqual(state.effects, []);
});

test("after a reload the hello brings the invitation back quietly, and a hello without one closes it", () => {
  let state = run([hello({ invitation: { invitation: 41, message: "Talk one-to-one?" } })]);
  assert.deepEqual(state.invitation, { id: 41, message: "Talk one-to-one?" });
  assert.deepEqual(state.effects, [{ kind: "invitation.new", live: false }]);
  state = run([{ type: "effects.done" }, hello({ invitation: null })], state);
  assert.equal(state.invitation, null);
  assert.deepEqual(state.effects, []);
});

test("a dismissed invitation is gone until the server offers it again", () => {
  let state = run([hello(), { type: "room.one_to_one.invited", invitation: 41, message: "Talk?" }, { type: "effects.done" }, { type: "invitation.dismissed" }]);
  assert.equal(state.invitation, null);
  state = reduceRoom(state, hello({ invitation: { invitation: 41, message: "Talk?" } }));
  assert.deepEqual(state.invitation, { id: 41, message: "Talk?" });
  assert.deepEqual(kinds(state), ["invitation.new"]);
});

test("a moderator is never shown an invitation", () => {
  const state = run([
    hello({ you: { alias: "Bea", moderator: true, guideline_acknowledged: true, muted_until: null }, invitation: { invitation: 41 } }),
    { type: "room.one_to_one.invited", invitation: 42 },
  ]);
  assert.equal(state.invitation, null);
  assert.deepEqual(state.effects, []);
});

test("frames that say nothing about the room leave the state as it was", () => {
  const before = run([hello()]);
  for (const frame of [{ type: "room.message.reported" }, { type: "pong" }, { type: "effects.done" }]) assert.equal(reduceRoom(before, frame), before);
});
