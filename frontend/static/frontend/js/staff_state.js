// The staff review desk's state: `reduce(state, frame) -> state`, pure (no DOM, no storage, no clock of
// its own), so it is unit-tested with `node --test` (tests/frontend/staff_state.test.mjs).
//
// Frames are the staff socket's (`hello`, `alert.created`, `alert.renotify`, `alert.updated`) plus the
// page's own events: `queue.loaded` (the REST queue when `hello` did not hold every alert), `tick`
// (the clock, once a second), `select`, `detail.loaded`, `detail.failed`, `problem.dismiss`.
//
// Sounds and notifications are not played here: the reducer lists them in `state.effects`, which
// `staff.js` plays and clears. An item is announced once, when this page first learns of it after
// the first `hello` (never for what the page already showed), again when the server re-notifies
// (`alert.renotify`), and again each time an unclaimed imminent item waits another
// `overdueSeconds` (the server's SAFETY_UNCLAIMED_OVERDUE_SECONDS): it is then overdue.

const LEVEL_ELEVATED = 2;
const LEVEL_IMMINENT = 3;

/** Frames other parts of the page handle (ChatClient, socket requests): not this reducer's business. */
const PASSED_ON = /^(conversation\.|message\.|pong$|error$|wellbeing\.|safety\.|typing|request\.|offer\.)/;

export const MALFORMED_TEXT =
  "Something the server sent could not be read. The queue may be missing an update: reload the page if an item looks wrong.";

export function initialState({ overdueSeconds, now }) {
  return {
    items: {}, // id -> alert, as the server last described it
    seen: {}, // id -> true: already announced, or shown on first load
    overdueRound: {}, // id -> how many overdue periods it has waited unclaimed (announced)
    renotified: {}, // id -> the server's notify_round shown to the reviewer
    started: false, // a first hello has been applied
    selected: null,
    resolved: null, // the open item, once resolved (no longer in items)
    detail: emptyDetail(null),
    now,
    overdueSeconds,
    problem: null,
    effects: [],
  };
}

function emptyDetail(id) {
  return { id, transcript: null, audit: null, history: null, reports: null, errors: {} };
}

/** Is this an alert the desk can show? (a number id and level, a created_at that parses) */
export function validAlert(alert) {
  return (
    alert !== null &&
    typeof alert === "object" &&
    Number.isInteger(alert.id) &&
    Number.isInteger(alert.level) &&
    typeof alert.created_at === "string" &&
    !Number.isNaN(Date.parse(alert.created_at))
  );
}

function malformed(state, frame, why) {
  return { ...state, problem: MALFORMED_TEXT, effects: [...state.effects, { kind: "log", why, frame }] };
}

function announceable(alert) {
  return alert.level >= LEVEL_ELEVATED && alert.status !== "resolved";
}

/** Put one alert in the queue (or take a resolved one out); `announce` says whether it may sound. */
function upsert(state, alert, { announce }) {
  const items = { ...state.items };
  const seen = { ...state.seen };
  let effects = state.effects;
  if (alert.status === "resolved") {
    delete items[alert.id];
  } else {
    items[alert.id] = { ...(items[alert.id] || {}), ...alert };
  }
  if (!seen[alert.id]) {
    seen[alert.id] = true;
    if (announce && announceable(alert)) effects = [...effects, { kind: "new", id: alert.id, alert: items[alert.id] }];
  }
  return { ...state, items, seen, effects };
}

function applyAlerts(state, alerts, frame) {
  if (!Array.isArray(alerts)) return malformed(state, frame, "alerts is not a list");
  let next = state;
  let bad = false;
  for (const alert of alerts) {
    if (validAlert(alert)) next = upsert(next, alert, { announce: state.started });
    else bad = true;
  }
  return bad ? malformed(next, frame, "an alert without id, level or created_at") : next;
}

export function reduce(state, frame) {
  if (frame === null || typeof frame !== "object" || typeof frame.type !== "string") {
    return malformed(state, frame, "not a frame");
  }
  switch (frame.type) {
    case "hello": {
      // The hello is the whole truth about open alerts: drop what it no longer lists.
      const listed = Array.isArray(frame.alerts) ? new Set(frame.alerts.filter(validAlert).map((alert) => alert.id)) : null;
      let next = state;
      if (listed) {
        const items = {};
        for (const [id, item] of Object.entries(state.items)) if (listed.has(Number(id))) items[id] = item;
        next = { ...state, items };
      }
      next = applyAlerts(next, frame.alerts === undefined ? [] : frame.alerts, frame);
      return { ...next, started: true };
    }
    case "queue.loaded": {
      const alerts = Array.isArray(frame.items) ? frame.items.filter((item) => validAlert(item) && item.level >= LEVEL_ELEVATED) : frame.items;
      return applyAlerts(state, alerts, frame);
    }
    case "alert.created":
    case "alert.updated":
    case "alert.renotify": {
      if (!validAlert(frame.alert)) return malformed(state, frame, `${frame.type} without a valid alert`);
      let next = upsert(state, frame.alert, { announce: state.started });
      if (frame.type === "alert.renotify" && next.items[frame.alert.id]) {
        const round = Number.isInteger(frame.alert.notify_round) ? frame.alert.notify_round : (next.renotified[frame.alert.id] || 0) + 1;
        if (round > (state.renotified[frame.alert.id] || 0)) {
          next = {
            ...next,
            renotified: { ...next.renotified, [frame.alert.id]: round },
            // A brand-new item already sounded above; a repeat sounds as a repeat.
            effects: state.seen[frame.alert.id] ? [...next.effects, { kind: "renotify", id: frame.alert.id, alert: next.items[frame.alert.id] }] : next.effects,
          };
        }
      }
      // A resolved item leaves the queue; if it is open, it stays open (marked resolved) so the
      // reviewer sees the outcome in its audit trail, until they choose another.
      if (next.selected === frame.alert.id && !next.items[frame.alert.id]) {
        next = { ...next, resolved: { ...(state.items[frame.alert.id] || {}), ...frame.alert } };
      }
      return next;
    }
    case "tick":
      if (typeof frame.now !== "number") return state;
      return markOverdue({ ...state, now: frame.now });
    case "select":
      if (!state.items[frame.id]) return state;
      return { ...state, selected: frame.id, resolved: null, detail: state.detail.id === frame.id ? state.detail : emptyDetail(frame.id) };
    case "detail.loaded":
      if (state.detail.id !== frame.id) return state; // an answer for an item no longer open
      return { ...state, detail: { ...state.detail, [frame.part]: frame.body, errors: { ...state.detail.errors, [frame.part]: null } } };
    case "detail.failed":
      if (state.detail.id !== frame.id) return state;
      return { ...state, detail: { ...state.detail, errors: { ...state.detail.errors, [frame.part]: frame.message } } };
    case "problem.dismiss":
      return { ...state, problem: null };
    case "effects.done":
      return { ...state, effects: [] };
    default:
      if (PASSED_ON.test(frame.type)) return state;
      // A frame type this page does not know (a newer server): harmless, but worth a log line.
      return { ...state, effects: [...state.effects, { kind: "log", why: "unknown frame type", frame }] };
  }
}

/** How many whole overdue periods an unclaimed imminent item has waited (0 while under one period: not overdue). */
export function overdueRound(item, now, overdueSeconds) {
  if (!item || item.level < LEVEL_IMMINENT || item.status !== "open" || item.claimed_by) return 0;
  const waited = (now - Date.parse(item.created_at)) / 1000;
  return waited >= overdueSeconds ? Math.floor(waited / overdueSeconds) : 0;
}

function markOverdue(state) {
  const rounds = {};
  const effects = [];
  for (const item of Object.values(state.items)) {
    const round = overdueRound(item, state.now, state.overdueSeconds);
    if (round === 0) continue;
    rounds[item.id] = round;
    if (round > (state.overdueRound[item.id] || 0)) effects.push({ kind: "overdue", id: item.id, alert: item, round });
  }
  return { ...state, overdueRound: rounds, effects: effects.length ? [...state.effects, ...effects] : state.effects };
}

// --- what render() shows --------------------------------------------------------------

/** The item shown in the detail pane: a queued one, or the one just resolved there. */
export function openItem(state) {
  if (state.selected === null) return null;
  return state.items[state.selected] || (state.resolved && state.resolved.id === state.selected ? state.resolved : null);
}

/** Most severe first, then oldest. */
export function ordered(state) {
  return Object.values(state.items).sort((a, b) => b.level - a.level || a.created_at.localeCompare(b.created_at) || a.id - b.id);
}

export function isOverdue(state, item) {
  return overdueRound(item, state.now, state.overdueSeconds) > 0;
}

export function overdueCount(state) {
  return ordered(state).filter((item) => isOverdue(state, item)).length;
}

export function unclaimedCount(state) {
  return ordered(state).filter((item) => item.status === "open").length;
}

/** "(2 unclaimed too long · 3) Review queue": overdue items first, so a tab in the background says it. */
export function pageTitle(state, base) {
  const urgent = overdueCount(state);
  const unclaimed = unclaimedCount(state);
  if (!unclaimed) return base;
  return urgent ? `(${urgent} unclaimed too long · ${unclaimed}) ${base}` : `(${unclaimed}) ${base}`;
}

const ROLE_WORDS = { seeker: "the seeker", listener: "the listener", member: "a room member" };

const CATEGORY_WORDS = {
  self_harm: "risk of suicide or self-harm",
  harm_to_others: "risk of harm to others",
  abuse: "abuse",
  personal_info: "personal details shared",
  listener_misconduct: "listener misconduct",
  harassment: "harassment",
  spam: "spam",
  other: "something else",
  held: "a message held back",
  unscreened: "messages that could not be screened",
};

export function categoryWords(category) {
  return CATEGORY_WORDS[category] || String(category).replace(/_/g, " ");
}

function capitalised(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** Who wrote what, in words: the first thing a reviewer needs to know about an item. */
export function whoWrote(item) {
  const role = ROLE_WORDS[item.subject_role] || "someone";
  const categories = Array.isArray(item.categories) ? item.categories : [];
  const possessive = item.subject_role === "member" ? "A room member's" : item.subject_role ? `A ${item.subject_role}'s` : "A";
  if (categories.includes("held")) return `${possessive} message was held back and never delivered.`;
  if (item.subject_role === "seeker" && (categories.includes("self_harm") || item.level >= LEVEL_IMMINENT)) {
    return item.level >= LEVEL_IMMINENT ? "The seeker may be in immediate danger." : "The seeker may be at risk.";
  }
  if (categories.includes("harm_to_others")) return `${capitalised(role)} may harm someone else.`;
  if (item.source === "listener") return "The listener asked the safety team to look at this chat.";
  if (item.source === "report") return `Someone reported ${role}.`;
  if (item.subject_role === "listener") return "Something the listener wrote needs review.";
  if (item.subject_role) return `Something ${role} wrote needs review.`;
  return "A chat needs review.";
}

/** The smaller facts about an item, each a sentence. */
export function itemFacts(item) {
  const facts = [];
  const categories = Array.isArray(item.categories) ? item.categories.filter((category) => category !== "held") : [];
  if (categories.length) facts.push(`About: ${categories.map(categoryWords).join(", ")}.`);
  if (Number.isInteger(item.texts) && item.texts > 1) facts.push(`${item.texts} texts are attached to this case.`);
  if (item.listener_paused) facts.push("The listener's new chats are paused until this case is resolved.");
  if (Number.isInteger(item.notify_round) && item.notify_round > 0) facts.push(`Re-notified to more of the team (${item.notify_round}×).`);
  return facts;
}
