// The listener's own standing, with no DOM: their feedback and level (GET /api/v1/listeners/me/feedback),
// the applicant's "pending" banner (GET /api/v1/listeners/me + /training), which topics the shift form
// ticks, and the training course's "next module". Every figure comes from the server.
// Unit-tested with `node --test` (tests/frontend/listener_state.test.mjs).

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** What the feedback section shows, from the feedback payload. */
export function feedbackView(feedback) {
  const release = feedback.release || {};
  const count = Number(feedback.count) || 0;
  const distribution = [5, 4, 3, 2, 1].map((score) => {
    const n = Number((feedback.distribution || {})[String(score)]) || 0;
    return { score, count: n, label: plural(score, "star", "stars"), percent: count ? Math.round((n * 100) / count) : 0 };
  });
  const batch =
    release.min_batch && release.every_days
      ? `Ratings reach you in batches: at least ${plural(release.min_batch, "new rating", "new ratings")} at a time, at most once every ${plural(release.every_days, "day", "days")}.`
      : "Ratings reach you in batches.";
  return {
    level: `Level ${feedback.level}`,
    helped: `${plural(Number(feedback.chats_helped) || 0, "chat", "chats")} helped`,
    summary:
      count === 0
        ? "No ratings have reached you yet."
        : `${typeof feedback.average === "number" ? feedback.average.toFixed(1) : "–"} out of 5, from ${plural(count, "rating", "ratings")}.`,
    distribution: count ? distribution : [],
    comments: (feedback.comments || []).filter((item) => item && typeof item.comment === "string" && item.comment).map((item) => ({ score: item.score, text: item.comment })),
    why: `${batch} So a rating can never be matched to the chat it came from, and the comments are shown in a random order.`,
    released: feedback.released_at ? `Last batch: ${new Date(feedback.released_at).toLocaleDateString()}.` : "",
  };
}

/**
 * The banner for a listener whose application is not approved yet (status "pending"), else null.
 * ``training`` is GET /api/v1/listeners/training (may be null when it could not be read).
 */
export function applicantBanner(profile, training) {
  if (!profile || profile.status !== "pending") return null;
  const steps = [];
  if (training && !training.trained) {
    steps.push(`Finish the training course: ${training.required_passed} of ${training.required_total} required modules passed so far.`);
  } else {
    steps.push("Your training is complete. Thank you.");
  }
  steps.push("A member of the Hearth team then reads your application and your practice chat, and decides.");
  steps.push("You can start shifts once you are approved. We'll show it here; there is nothing else you need to do.");
  return { title: "Your application is being reviewed", steps, training: Boolean(training && !training.trained) };
}

/** The topics the shift form ticks: the listener's own topics (an applicant chose some when applying);
 * every topic only for an approved listener who never chose any. */
export function preTickedTopics(profile, topics) {
  const own = new Set(Array.isArray(profile && profile.topics) ? profile.topics : []);
  if (own.size) return new Set(topics.map((topic) => topic.slug).filter((slug) => own.has(slug)));
  if (profile && profile.status === "active") return new Set(topics.map((topic) => topic.slug));
  return new Set();
}

/** The module after ``slug`` in the course's order (GET /api/v1/listeners/training), or null at the end. */
export function nextModule(modules, slug) {
  const list = Array.isArray(modules) ? modules : [];
  const index = list.findIndex((module) => module.slug === slug);
  if (index < 0) return null;
  return list[index + 1] || null;
}

/** "Module 2 of 6" for the module page. */
export function modulePosition(modules, slug) {
  const list = Array.isArray(modules) ? modules : [];
  const index = list.findIndex((module) => module.slug === slug);
  return index < 0 ? "" : `Module ${index + 1} of ${list.length}`;
}
