// node --test tests/frontend/: the listener's own feedback and level, the applicant's banner, the shift
// form's ticked topics and the course's "next module" (listener_state.js).

import assert from "node:assert/strict";
import { test } from "node:test";

import { applicantBanner, feedbackView, modulePosition, nextModule, preTickedTopics } from "../../frontend/static/frontend/js/listener_state.js";

const FEEDBACK = {
  released_at: "2026-12-01T00:00:00Z",
  average: 4.25,
  count: 4,
  distribution: { 1: 0, 2: 0, 3: 1, 4: 1, 5: 2 },
  comments: [{ score: 5, comment: "Thank you" }, { score: 3, comment: "" }],
  level: 2,
  chats_helped: 12,
  release: { min_batch: 5, every_days: 7 },
};

test("feedback: level, chats helped, average, bars from 5 down, and non-empty comments", () => {
  const view = feedbackView(FEEDBACK);
  assert.equal(view.level, "Level 2");
  assert.equal(view.helped, "12 chats helped");
  assert.equal(view.summary, "4.3 out of 5, from 4 ratings.");
  assert.deepEqual(view.distribution.map((row) => [row.label, row.count, row.percent]), [["5 stars", 2, 50], ["4 stars", 1, 25], ["3 stars", 1, 25], ["2 stars", 0, 0], ["1 star", 0, 0]]);
  assert.deepEqual(view.comments, [{ score: 5, text: "Thank you" }]);
});

test("feedback says ratings come in batches, with the server's figures, and why", () => {
  const view = feedbackView(FEEDBACK);
  assert.match(view.why, /at least 5 new ratings at a time, at most once every 7 days/);
  assert.match(view.why, /never be matched to the chat it came from/);
});

test("no ratings yet: a plain sentence and no bars", () => {
  const view = feedbackView({ count: 0, distribution: {}, comments: [], level: 1, chats_helped: 1, release: { min_batch: 5, every_days: 1 } });
  assert.equal(view.summary, "No ratings have reached you yet.");
  assert.deepEqual(view.distribution, []);
  assert.equal(view.helped, "1 chat helped");
  assert.match(view.why, /once every 1 day\./);
});

test("the pending banner says what happens next, pointing to the course while it is unfinished", () => {
  assert.equal(applicantBanner({ status: "active" }, null), null);
  const training = applicantBanner({ status: "pending" }, { trained: false, required_passed: 1, required_total: 4 });
  assert.equal(training.training, true);
  assert.match(training.steps[0], /1 of 4 required modules passed/);
  assert.match(training.steps[1], /reads your application and your practice chat/);
  const waiting = applicantBanner({ status: "pending" }, { trained: true, required_passed: 4, required_total: 4 });
  assert.equal(waiting.training, false);
  assert.match(waiting.steps[0], /training is complete/);
});

const TOPICS = [{ slug: "anxiety" }, { slug: "grief" }, { slug: "sleep" }];

test("the shift form ticks the listener's own topics, never all of them for an applicant", () => {
  assert.deepEqual([...preTickedTopics({ status: "pending", topics: ["sleep"] }, TOPICS)], ["sleep"]);
  assert.deepEqual([...preTickedTopics({ status: "pending", topics: [] }, TOPICS)], []);
  assert.deepEqual([...preTickedTopics({ status: "active", topics: [] }, TOPICS)], ["anxiety", "grief", "sleep"]);
  assert.deepEqual([...preTickedTopics(null, TOPICS)], []);
});

test("next module follows the course's order and ends after the last", () => {
  const modules = [{ slug: "a", title: "A" }, { slug: "b", title: "B" }, { slug: "c", title: "C" }];
  assert.equal(nextModule(modules, "a").slug, "b");
  assert.equal(nextModule(modules, "c"), null);
  assert.equal(nextModule(modules, "zzz"), null);
  assert.equal(nextModule(null, "a"), null);
  assert.equal(modulePosition(modules, "b"), "Module 2 of 3");
  assert.equal(modulePosition(modules, "zzz"), "");
});
