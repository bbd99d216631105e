// node --test tests/frontend/: the account page's reducer and copy (account_state.js), and the
// privacy notice's acceptance state (privacy_state.js), with plain events and no browser.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  conversationLabel,
  deleteConfirmParagraphs,
  historyHintText,
  initialAccount,
  keepStatusText,
  reportLine,
  reduceAccount,
  senderLabel,
} from "../../frontend/static/frontend/js/account_state.js";
import { initialPrivacy, reducePrivacy } from "../../frontend/static/frontend/js/privacy_state.js";

const RETENTION = { chat_days: 30, room_message_days: 30, anonymous_account_days: 60, kept_account_days: 365, audit_days: 730 };
const SUMMARY = { has_password: false, ended_conversations: 2, kept_under_review: 0, account_held: false, retention: RETENTION };

test("a loaded account shows its chats and favourites; opening and closing a transcript keeps the rest", () => {
  let state = reduceAccount(initialAccount(), { type: "loaded", me: { alias: "QuietFern1", has_password: false }, summary: SUMMARY, conversations: [{ id: 4 }], favourites: [{ alias: "Sam" }] });
  assert.equal(state.status, "ready");
  state = reduceAccount(state, { type: "transcript", conversation: 4, messages: [{ seq: 1, text: "hi" }] });
  assert.equal(state.transcripts[4].length, 1);
  state = reduceAccount(state, { type: "transcript_closed", conversation: 4 });
  assert.deepEqual(state.transcripts, {});
  assert.equal(state.conversations.length, 1);
  assert.equal(state.favourites[0].alias, "Sam");
});

test("setting a passphrase marks the account kept; deleting it forgets everything and says why", () => {
  let state = reduceAccount(initialAccount(), { type: "loaded", me: { alias: "A", has_password: false }, summary: SUMMARY, conversations: [{ id: 1 }], favourites: [] });
  state = reduceAccount(state, { type: "suggested", passphrase: "river-candle-orbit-maple-quiet" });
  state = reduceAccount(state, { type: "passphrase_set" });
  assert.equal(state.me.has_password, true);
  assert.equal(state.suggestion, null);
  state = reduceAccount(state, { type: "deleted", message: "Your account and everything it held have been deleted." });
  assert.equal(state.status, "signed_out");
  assert.equal(state.me, null);
  assert.deepEqual(state.conversations, []);
  assert.match(state.message, /deleted/);
});

test("the keep status and the history hint use the server's retention periods", () => {
  assert.match(keepStatusText(SUMMARY), /anonymous.*60 days/);
  assert.match(keepStatusText({ ...SUMMARY, has_password: true }), /passphrase.*365 days/);
  assert.equal(historyHintText({ retention: { ...RETENTION, chat_days: 1 } }), "Each chat is deleted 1 day after it ends.");
});

test("the delete confirmation says what is kept under review, for how long, and that it signs out", () => {
  const nothingKept = deleteConfirmParagraphs(SUMMARY).join(" ");
  assert.doesNotMatch(nothingKept, /being looked at/);
  assert.match(nothingKept, /730 days/);
  assert.match(nothingKept, /signed out/);
  const kept = deleteConfirmParagraphs({ ...SUMMARY, kept_under_review: 2, account_held: true, retention: { ...RETENTION, chat_days: 21 } }).join(" ");
  assert.match(kept, /2 of your chats are being looked at by our safety team/);
  assert.match(kept, /21 days later/);
  const heldElsewhere = deleteConfirmParagraphs({ ...SUMMARY, account_held: true }).join(" ");
  assert.match(heldElsewhere, /Something of yours is being looked at/);
});

test("past chats are labelled by listener and date; transcript lines by who wrote them, from the seeker's side", () => {
  assert.match(conversationLabel({ peer: { alias: "Sam" }, ended_at: "2026-12-03T10:00:00Z" }, "en-GB"), /^Chat with Sam, ended 3 Dec 2026$/);
  assert.equal(conversationLabel({ peer: null, ended_at: null, created_at: null }), "Chat without a listener");
  assert.equal(senderLabel({ sender_role: "seeker" }), "You");
  assert.equal(senderLabel({ sender_role: "listener", sender_alias: "Sam" }), "Sam");
  assert.equal(senderLabel({ kind: "system", sender_role: "system" }), "Hearth");
});

test("the privacy notice is due until the version shown is accepted, and again when it changed", () => {
  let privacy = initialPrivacy({ version: 2, due: true });
  privacy = reducePrivacy(privacy, { type: "accepted", version: 1 });
  assert.equal(privacy.due, true, "accepting another version than the one shown does not count");
  privacy = reducePrivacy(privacy, { type: "accepted", version: 2 });
  assert.equal(privacy.due, false);
  privacy = reducePrivacy(privacy, { type: "outdated", version: 3 });
  assert.deepEqual(privacy, { version: 3, due: true, outdated: true });
  assert.equal(initialPrivacy({ version: 2, due: false }).due, false);
  assert.equal(initialPrivacy(null).due, true, "without the server's word the notice is shown");
});

test("my reports: what, the reason in the server's words, when, and the outcome it states", () => {
  const line = reportLine({ target: "user", reason: "harassment", reason_label: "Harassment", created_at: "2026-12-03T10:00:00Z", outcome_text: "Reviewed — action taken" }, "en-GB");
  assert.equal(line, "The other person, for “Harassment”, reported 3 Dec 2026: Reviewed — action taken.");
  assert.equal(reportLine({ target: "message", reason: "spam" }), "A message, for “spam”: Under review.");
  const state = reduceAccount(initialAccount(), { type: "loaded", me: { alias: "A" }, summary: SUMMARY, conversations: [], favourites: [], reports: [{ id: 1 }] });
  assert.deepEqual(state.reports, [{ id: 1 }]);
  assert.deepEqual(reduceAccount(initialAccount(), { type: "loaded", me: { alias: "A" }, summary: SUMMARY, reports: null }).reports, []);
});
