// Warnings from the safety team, with no DOM: reduceWarnings(state, frame) -> state and what to show.
// The server keeps a warning while it counts (hello.warnings after a reload; safety.warning live);
// the page only remembers which ones this browser dismissed (their ids). Unit-tested with
// `node --test` (tests/frontend/warnings.test.mjs).

export function initialWarnings() {
  return { warnings: [] };
}

function isWarning(entry) {
  return Boolean(entry) && typeof entry === "object" && typeof entry.text === "string" && entry.text !== "";
}

/** Fold ``hello`` (the warnings in force replace the list) and ``safety.warning`` (one more) into the state. */
export function reduceWarnings(state, frame) {
  if (!frame || typeof frame !== "object") return state;
  if (frame.type === "hello") {
    if (!Array.isArray(frame.warnings)) return state;
    return { warnings: frame.warnings.filter(isWarning) };
  }
  if (frame.type === "safety.warning" && isWarning(frame)) {
    const entry = { id: frame.id ?? null, text: frame.text, given_at: frame.given_at || null, until: frame.until || null };
    if (entry.id !== null && state.warnings.some((known) => known.id === entry.id)) return state;
    return { warnings: [entry, ...state.warnings] };
  }
  return state;
}

/** The warnings to show: those not dismissed in this browser. A warning without an id cannot be
 * remembered as dismissed, so it stays until the page is reloaded (the server then lists it by id). */
export function visibleWarnings(state, dismissed = []) {
  const gone = new Set(dismissed);
  return state.warnings.filter((entry) => entry.id === null || entry.id === undefined || !gone.has(entry.id));
}

/** The line under a warning: when it was given and how long it counts. */
export function warningDetail(entry, formatDate = (iso) => new Date(iso).toLocaleDateString()) {
  const parts = [];
  if (entry.given_at) parts.push(`Given on ${formatDate(entry.given_at)}.`);
  if (entry.until) parts.push(`It stays on your record until ${formatDate(entry.until)}.`);
  return parts.join(" ");
}
