// node --test tests/frontend/: the safety team's warnings on the seeker and listener pages (warnings.js).

import assert from "node:assert/strict";
import { test } from "node:test";

import { initialWarnings, reduceWarnings, visibleWarnings, warningDetail } from "../../frontend/static/frontend/js/warnings.js";

const WARNING = { id: 7, text: "Please keep to the guidelines.", given_at: "2026-12-01T10:00:00Z", until: "2027-03-01T10:00:00Z" };

test("hello brings back the warnings the server still counts, replacing what the page had", () => {
  let state = reduceWarnings(initialWarnings(), { type: "safety.warning", ...WARNING, id: 1 });
  state = reduceWarnings(state, { type: "hello", user: {}, conversations: [], warnings: [WARNING] });
  assert.deepEqual(state.warnings, [WARNING]);
});

test("a hello without warnings (an older server) leaves the state as it was", () => {
  const state = reduceWarnings(initialWarnings(), { type: "safety.warning", ...WARNING });
  assert.equal(reduceWarnings(state, { type: "hello", user: {}, conversations: [] }), state);
});

test("a live warning is added once, newest first, and a repeat of the same id changes nothing", () => {
  let state = reduceWarnings(initialWarnings(), { type: "hello", warnings: [{ ...WARNING, id: 3 }] });
  state = reduceWarnings(state, { type: "safety.warning", ...WARNING });
  assert.deepEqual(state.warnings.map((w) => w.id), [7, 3]);
  assert.equal(reduceWarnings(state, { type: "safety.warning", ...WARNING }), state);
});

test("a warning without text, or other frames, change nothing", () => {
  const state = initialWarnings();
  assert.equal(reduceWarnings(state, { type: "safety.warning", id: 2 }), state);
  assert.equal(reduceWarnings(state, { type: "message.created" }), state);
  assert.equal(reduceWarnings(state, null), state);
  assert.deepEqual(reduceWarnings(state, { type: "hello", warnings: [null, { id: 1 }, WARNING] }).warnings, [WARNING]);
});

test("dismissed ids are not shown; one without an id cannot be dismissed for good", () => {
  const state = { warnings: [WARNING, { id: null, text: "x" }] };
  assert.deepEqual(visibleWarnings(state, [7]).map((w) => w.text), ["x"]);
  assert.equal(visibleWarnings(state, []).length, 2);
});

test("the detail line says when it was given and until when it counts", () => {
  assert.equal(warningDetail(WARNING, (iso) => iso.slice(0, 10)), "Given on 2026-12-01. It stays on your record until 2027-03-01.");
  assert.equal(warningDetail({ text: "x" }), "");
});
