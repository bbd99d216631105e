// node --test tests/frontend/: the room page's head count and held reason (room_state.js).

import assert from "node:assert/strict";
import { test } from "node:test";

import { headCountText, heldReasonText, invitationFrom } from "../../frontend/static/frontend/js/room_state.js";

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
