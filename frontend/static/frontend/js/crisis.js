// The crisis state of the seeker's page and the listener's console, as pure functions (no DOM):
// what the server said (hello.risk after a reload, safety.resources / safety.guidance live) folded
// into a state that render code draws. Unit-tested with `node --test` (tests/frontend/crisis.test.mjs).

export const ELEVATED = 2;
export const IMMINENT = 3;
const LABELS = { 2: "elevated", 3: "imminent" };
const SAFE_LINK = /^(tel:\+?[0-9]+|sms:\+?[0-9]+(\?&body=[A-Za-z0-9%]*)?|https:\/\/[^\s"'<>]+)$/;

const isLevel = (value) => Number.isInteger(value) && value >= 0 && value <= 3;

export function initialCrisis() {
  return { seeker: null, guidance: {}, shared: {} };
}

/**
 * Fold one frame into the crisis state. `role` is the page's ("seeker" or "listener").
 * `seeker` is null or {conversation, level, level_label, urgent, helplines, shared?}; `guidance` maps a
 * conversation id to {level, level_label, guidance}; `shared` maps a conversation id to true once the
 * listener sent the seeker the crisis lines (`resources.sent`, or `shared_by` in `hello.risk`).
 * `hello` replaces all three (the server's word after a reload, never what the page remembered);
 * unknown or malformed frames leave the state as it was.
 */
export function reduceCrisis(state, frame, role) {
  if (!frame || typeof frame !== "object") return state;
  switch (frame.type) {
    case "hello": {
      const entries = Array.isArray(frame.risk) ? frame.risk.filter((entry) => entry && Number.isInteger(entry.conversation) && isLevel(entry.level)) : [];
      if (role === "seeker") {
        const worst = entries.reduce((top, entry) => (!top || entry.level > top.level ? entry : top), null);
        return { ...state, seeker: worst && worst.level >= ELEVATED ? riskOf(worst, null) : null };
      }
      const guidance = {};
      const shared = {};
      for (const entry of entries) {
        if (typeof entry.guidance === "string" && entry.level >= ELEVATED) guidance[entry.conversation] = riskOf(entry, null, entry.guidance);
        if (entry.shared_by === "listener") shared[entry.conversation] = true;
      }
      return { ...state, guidance, shared };
    }
    case "safety.resources": {
      if (role !== "seeker") return state;
      const level = isLevel(frame.level) ? frame.level : ELEVATED; // an older server: at risk, level unsaid
      const previous = state.seeker && state.seeker.level > level ? state.seeker : null;
      const helplines = Array.isArray(frame.helplines) ? frame.helplines : null;
      return { ...state, seeker: previous ? { ...previous, helplines: helplines || previous.helplines } : riskOf({ ...frame, level }, helplines) };
    }
    case "resources.sent": {
      if (role !== "listener" || !Number.isInteger(frame.conversation) || state.shared[frame.conversation]) return state;
      return { ...state, shared: { ...state.shared, [frame.conversation]: true } };
    }
    case "safety.guidance": {
      if (role !== "listener" || !Number.isInteger(frame.conversation) || typeof frame.guidance !== "string") return state;
      const level = isLevel(frame.level) ? frame.level : ELEVATED;
      const known = state.guidance[frame.conversation];
      if (known && known.level > level) return state; // a milder text does not soften the guidance
      return { ...state, guidance: { ...state.guidance, [frame.conversation]: riskOf({ ...frame, level }, null, frame.guidance) } };
    }
    default:
      return state;
  }
}

function riskOf(entry, helplines, guidance) {
  const level = entry.level;
  const risk = {
    conversation: Number.isInteger(entry.conversation) ? entry.conversation : null,
    level,
    level_label: typeof entry.level_label === "string" ? entry.level_label : LABELS[level] || String(level),
    urgent: level >= IMMINENT,
    helplines,
  };
  if (guidance !== undefined) risk.guidance = guidance;
  if (entry.shared_by === "listener") risk.shared = true; // sent by their listener (resources.send), not a flag
  return risk;
}

/** The first line of the seeker's crisis panel: by urgency, and whether their listener sent the lines. */
export function resourcesLead(risk) {
  if (risk && risk.urgent) return "If you have hurt yourself or are in danger right now, please call emergency services now. Your listener is still here with you.";
  if (risk && risk.shared) return "Your listener sent you these lines. If you might be in danger, please reach out to one of them right now. Your listener is still here with you.";
  return "What you wrote sounds really hard. If you might be in danger, please reach out to one of these right now. Your listener is still here with you.";
}

/** What the listener's guidance box is titled for a level (as before the reload: the same words). */
export function guidanceTitle(risk) {
  return risk && risk.level >= IMMINENT ? "Possible immediate risk" : "This person may be at risk";
}

/**
 * The crisis lines to show: the server's list for the chosen country, age group and urgency
 * (`choices` is the talk page's `helpline-choices`, ordered by support.helplines.helplines_for);
 * `fallback` (a frame's list, in the default country) when the page has no such list.
 */
export function pickHelplines(choices, { country, ageGroup, urgent }, fallback = []) {
  const lines = choices && choices.lines && choices.lines[country];
  const forAge = lines && (lines[ageGroup === "teen" || ageGroup === "adult" ? ageGroup : "unknown"] || lines.unknown);
  const list = forAge && forAge[urgent ? "urgent" : "calm"];
  return Array.isArray(list) ? list : Array.isArray(fallback) ? fallback : [];
}

/** The country to show: the one stored in this browser if the server still lists it, else the default. */
export function chooseCountry(choices, stored) {
  const codes = new Set(((choices && choices.countries) || []).map((entry) => entry.code));
  if (stored && codes.has(stored)) return stored;
  return (choices && choices.default_country) || "";
}

/** Only links a helpline may carry (call, text, https): anything else is not rendered as a link. */
export function safeHref(href) {
  return typeof href === "string" && SAFE_LINK.test(href) ? href : null;
}

/** The end of a chat from the reader's own side: who ended it, by role, else the server's reason. */
export function endedText(frame, myRole) {
  const by = frame && frame.ended_by;
  if (by && by === myRole) return "You ended the chat.";
  if (by === "listener") return "Your listener ended the chat.";
  if (by === "seeker") return "The seeker ended the chat.";
  if (by === "staff") return "A member of the safety team closed the chat.";
  return (frame && typeof frame.reason_text === "string" && frame.reason_text) || "This chat has ended.";
}

/** The label under one's own message: "Delivered" means a person can read it, so not before a listener joined. */
export function deliveryLabel(state, peerPresent) {
  if (state === "delivered" && !peerPresent) return "Sent — your listener will see it when they join";
  return { queued: "Waiting for connection", sending: "Sending…", delivered: "Delivered", read: "Read", failed: "Not sent" }[state] || "";
}

/** The age form's error for `raw`, or "" when it is a whole number within the server's limits. */
export function ageError(raw, limits) {
  const min = limits && Number.isInteger(limits.min) ? limits.min : 0;
  const max = limits && Number.isInteger(limits.max) ? limits.max : 120;
  const text = String(raw ?? "").trim();
  if (!text || !/^[0-9]+$/.test(text)) return "Please enter your age as a whole number.";
  const age = Number(text);
  if (age < min || age > max) return `Please enter an age between ${min} and ${max}.`;
  return "";
}
