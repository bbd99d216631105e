// node --test tests/frontend/: the crisis state of the seeker's page and the listener's console
// (crisis.js), rebuilt from hello and updated by live frames, with no browser.

import assert from "node:assert/strict";
import { test } from "node:test";

import { ageError, chooseCountry, deliveryLabel, endedText, guidanceTitle, initialCrisis, pickHelplines, reduceCrisis, resourcesLead, safeHref } from "../../frontend/static/frontend/js/crisis.js";

test("a reloaded seeker page shows the crisis panel again from hello.risk, at the worst level", () => {
  const state = reduceCrisis(initialCrisis(), { type: "hello", risk: [{ conversation: 4, level: 2, level_label: "elevated" }, { conversation: 5, level: 3, level_label: "imminent" }] }, "seeker");
  assert.equal(state.seeker.level, 3);
  assert.equal(state.seeker.urgent, true);
  assert.equal(state.seeker.conversation, 5);
});

test("hello replaces what the page remembered: a resolved case clears the panel", () => {
  const shown = reduceCrisis(initialCrisis(), { type: "safety.resources", conversation: 4, level: 2, helplines: [] }, "seeker");
  assert.ok(shown.seeker);
  assert.equal(reduceCrisis(shown, { type: "hello", risk: [] }, "seeker").seeker, null);
});

test("a milder message does not calm an imminent crisis panel", () => {
  let state = reduceCrisis(initialCrisis(), { type: "safety.resources", conversation: 4, level: 3, helplines: [] }, "seeker");
  state = reduceCrisis(state, { type: "safety.resources", conversation: 4, level: 2, helplines: [{ name: "x" }] }, "seeker");
  assert.equal(state.seeker.urgent, true);
});

test("resources from a server that does not say the level still show the panel, as elevated", () => {
  const state = reduceCrisis(initialCrisis(), { type: "safety.resources", conversation: 4, helplines: [] }, "seeker");
  assert.equal(state.seeker.level, 2);
  assert.equal(state.seeker.urgent, false);
});

test("a reloaded listener console gets each chat's guidance back, titled by level", () => {
  const state = reduceCrisis(initialCrisis(), { type: "hello", risk: [{ conversation: 7, level: 3, level_label: "imminent", guidance: "Ask where they are." }] }, "listener");
  assert.equal(state.guidance[7].guidance, "Ask where they are.");
  assert.equal(guidanceTitle(state.guidance[7]), "Possible immediate risk");
  const live = reduceCrisis(state, { type: "safety.guidance", conversation: 8, level: 2, level_label: "elevated", guidance: "Stay with them." }, "listener");
  assert.equal(guidanceTitle(live.guidance[8]), "This person may be at risk");
  assert.equal(reduceCrisis(live, { type: "safety.guidance", conversation: 7, level: 2, guidance: "milder" }, "listener").guidance[7].guidance, "Ask where they are.");
});

test("malformed or unknown frames leave the state as it was", () => {
  const state = initialCrisis();
  for (const frame of [null, 3, "x", {}, { type: "nope" }, { type: "safety.guidance", conversation: "7", guidance: 1 }]) {
    assert.equal(reduceCrisis(state, frame, "listener"), state);
  }
  const hello = reduceCrisis(state, { type: "hello", risk: [{ conversation: "x", level: 3 }, null, { conversation: 2, level: 99 }] }, "seeker");
  assert.equal(hello.seeker, null);
});

test("the lines shown are the server's list for the chosen country, age and urgency", () => {
  const choices = {
    default_country: "US",
    countries: [{ code: "US", name: "United States" }, { code: "GB", name: "United Kingdom" }],
    lines: { GB: { adult: { urgent: [{ name: "999" }], calm: [{ name: "Samaritans" }] }, unknown: { urgent: [{ name: "any" }], calm: [] } } },
  };
  assert.deepEqual(pickHelplines(choices, { country: "GB", ageGroup: "adult", urgent: true }), [{ name: "999" }]);
  assert.deepEqual(pickHelplines(choices, { country: "GB", ageGroup: "teen", urgent: true }), [{ name: "any" }]);
  assert.deepEqual(pickHelplines(choices, { country: "FR", ageGroup: "adult", urgent: false }, [{ name: "fallback" }]), [{ name: "fallback" }]);
  assert.equal(chooseCountry(choices, "GB"), "GB");
  assert.equal(chooseCountry(choices, "FR"), "US");
  assert.equal(chooseCountry(choices, null), "US");
});

test("only call, text and https links are ever rendered as links", () => {
  assert.equal(safeHref("tel:911"), "tel:911");
  assert.equal(safeHref("sms:85258?&body=SHOUT"), "sms:85258?&body=SHOUT");
  assert.equal(safeHref("https://findahelpline.com"), "https://findahelpline.com");
  for (const bad of ["javascript:alert(1)", "tel:911;x", "http://x", "", null, 5]) assert.equal(safeHref(bad), null);
});

test("the end screen speaks from the reader's side", () => {
  assert.equal(endedText({ ended_by: "seeker", reason_text: "The seeker ended the chat." }, "seeker"), "You ended the chat.");
  assert.equal(endedText({ ended_by: "listener", reason_text: "The listener ended the chat." }, "seeker"), "Your listener ended the chat.");
  assert.equal(endedText({ ended_by: "listener" }, "listener"), "You ended the chat.");
  assert.equal(endedText({ ended_by: "system", reason_text: "The chat ended after a long quiet spell." }, "seeker"), "The chat ended after a long quiet spell.");
  assert.equal(endedText({}, "seeker"), "This chat has ended.");
});

test("a message is 'Delivered' only once a listener can read it", () => {
  assert.equal(deliveryLabel("delivered", false), "Sent — your listener will see it when they join");
  assert.equal(deliveryLabel("delivered", true), "Delivered");
  assert.equal(deliveryLabel("sending", false), "Sending…");
});

test("an age out of the server's range says the range", () => {
  const limits = { min: 0, max: 120 };
  assert.equal(ageError("150", limits), "Please enter an age between 0 and 120.");
  assert.equal(ageError("abc", limits), "Please enter your age as a whole number.");
  assert.equal(ageError("12.5", limits), "Please enter your age as a whole number.");
  assert.equal(ageError("", limits), "Please enter your age as a whole number.");
  assert.equal(ageError("34", limits), "");
});

test("a system line for the seeker is not shown in the listener's or staff's transcript", async () => {
  const { shownTo } = await import("../../frontend/static/frontend/js/chatview.js");
  const line = { kind: "system", for_role: "seeker", text: "Your listener lost their connection." };
  assert.equal(shownTo(line, "seeker"), true);
  assert.equal(shownTo(line, "listener"), false);
  assert.equal(shownTo(line, "staff"), false);
  assert.equal(shownTo({ kind: "system", for_role: null, text: "KindLantern has joined the chat." }, "listener"), true);
  assert.equal(shownTo({ kind: "text", for_role: "seeker" }, "listener"), true);
});

test("frames a page cannot act on are recognised before they touch its state", async () => {
  const { frameProblem } = await import("../../frontend/static/frontend/js/frames.js");
  assert.equal(frameProblem({ type: "hello", user: { id: 1 }, conversations: [], risk: [] }), "");
  assert.equal(frameProblem({ type: "message.created", anything: true }), "");
  assert.equal(frameProblem({ type: "hello", risk: "nonsense", conversations: 7 }), "malformed hello");
  assert.equal(frameProblem({ type: "conversation.started", conversation: null }), "malformed conversation.started");
  assert.equal(frameProblem({ type: "safety.guidance", conversation: "x", guidance: 5 }), "malformed safety.guidance");
  assert.equal(frameProblem({ type: "safety.resources", helplines: "oops" }), "malformed safety.resources");
  assert.equal(frameProblem(null), "not a frame");
  assert.equal(frameProblem([1]), "not a frame");
});

test("lines the listener sent say so; an urgent level still puts emergency services first in words", () => {
  const shared = reduceCrisis(initialCrisis(), { type: "safety.resources", conversation: 4, level: 2, shared_by: "listener", helplines: [] }, "seeker");
  assert.equal(shared.seeker.shared, true);
  assert.match(resourcesLead(shared.seeker), /^Your listener sent you these lines\./);
  const urgent = reduceCrisis(initialCrisis(), { type: "safety.resources", conversation: 4, level: 3, shared_by: "listener", helplines: [] }, "seeker");
  assert.match(resourcesLead(urgent.seeker), /call emergency services now/);
  const flagged = reduceCrisis(initialCrisis(), { type: "safety.resources", conversation: 4, level: 2, helplines: [] }, "seeker");
  assert.match(resourcesLead(flagged.seeker), /^What you wrote sounds really hard/);
});

test("the listener's console knows the lines were sent, live and again after a reload without a safety case", () => {
  const live = reduceCrisis(initialCrisis(), { type: "resources.sent", conversation: 9, level: 2, urgent: false }, "listener");
  assert.equal(live.shared[9], true);
  assert.deepEqual(live.guidance, {}); // sending lines is not a flag: no "may be at risk" guidance
  const reloaded = reduceCrisis(initialCrisis(), { type: "hello", risk: [{ conversation: 9, level: 2, level_label: "elevated", urgent: false, shared_by: "listener" }] }, "listener");
  assert.equal(reloaded.shared[9], true);
  assert.deepEqual(reloaded.guidance, {});
  assert.deepEqual(reduceCrisis(reloaded, { type: "hello", risk: [] }, "listener").shared, {});
  assert.equal(reduceCrisis(live, { type: "resources.sent", conversation: 9 }, "seeker"), live);
});

test("a reloaded seeker page opens the panel their listener sent, saying so, with no safety case", () => {
  const state = reduceCrisis(initialCrisis(), { type: "hello", risk: [{ conversation: 9, level: 2, level_label: "elevated", urgent: false, shared_by: "listener" }] }, "seeker");
  assert.equal(state.seeker.conversation, 9);
  assert.match(resourcesLead(state.seeker), /^Your listener sent you these lines\./);
});
