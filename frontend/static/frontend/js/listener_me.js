// The listener console's "about me" parts, kept apart from the live console (listener.js):
// the applicant's pending banner, the topics the shift form ticks, and the listener's own
// feedback and level. Words and rules live in listener_state.js; everything is set as text.

import { get } from "./api.js";
import { $, el, setText } from "./dom.js";
import { applicantBanner, feedbackView, preTickedTopics } from "./listener_state.js";

let profile = null;

/** The listener's own profile (GET /api/v1/listeners/me), read once per page. */
async function myProfile() {
  if (!profile) profile = get("/api/v1/listeners/me").catch(() => null);
  return profile;
}

/** Which of ``topics`` the shift form ticks for this listener. */
export async function topicsToTick(topics) {
  return preTickedTopics(await myProfile(), topics);
}

function drawBanner(banner) {
  const box = $("#applicant-banner");
  box.hidden = !banner;
  if (!banner) return;
  setText($("#applicant-title"), banner.title);
  $("#applicant-steps").replaceChildren(...banner.steps.map((text) => el("li", { text })));
  $("#applicant-training").hidden = !banner.training;
}

function drawFeedback(feedback) {
  const view = feedbackView(feedback);
  setText($("#feedback-level"), view.level);
  setText($("#feedback-helped"), view.helped);
  setText($("#feedback-summary"), view.summary);
  $("#feedback-bars").hidden = view.distribution.length === 0;
  $("#feedback-bars").replaceChildren(
    ...view.distribution.map((row) =>
      el(
        "li",
        {},
        el("span", { text: row.label }),
        el("progress", { class: "feedback-bar", max: "100", value: String(row.percent), "aria-label": `${row.label}: ${row.percent}%` }),
        el("span", { text: String(row.count) }),
      ),
    ),
  );
  $("#feedback-comments").replaceChildren(...view.comments.map((item) => el("li", { text: `“${item.text}”` })));
  $("#feedback-comments-empty").hidden = view.comments.length > 0;
  setText($("#feedback-why"), view.why);
  setText($("#feedback-released"), view.released);
}

/** Read and draw the banner and the feedback; a failure leaves a plain sentence, never a broken console.
 * ``fresh`` reads the profile again (after ``listener.status``: training completed, approved).
 * Resolves to true while the application waits for a decision (no shift can start until then). */
export async function showStanding({ fresh = false } = {}) {
  if (fresh) profile = null;
  const me = await myProfile();
  let banner = null;
  if (me && me.status === "pending") {
    const training = await get("/api/v1/listeners/training").catch(() => null);
    banner = applicantBanner(me, training);
  }
  drawBanner(banner);
  try {
    drawFeedback(await get("/api/v1/listeners/me/feedback"));
  } catch (failure) {
    setText($("#feedback-summary"), "Your feedback couldn't be loaded just now. Reload the page to try again.");
  }
  return Boolean(banner);
}
