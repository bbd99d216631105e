// The account page's state, with no DOM: reduceAccount(state, event) -> state, and the words the
// page shows, built from the server's figures (retention periods, what a deletion keeps).
// Unit-tested with `node --test` (tests/frontend/account_state.test.mjs).

export function initialAccount() {
  return { status: "loading", me: null, summary: null, conversations: [], favourites: [], reports: [], transcripts: {}, suggestion: null, message: "" };
}

export function reduceAccount(state, event) {
  switch (event.type) {
    case "signed_out":
    case "deleted":
      return { ...initialAccount(), status: "signed_out", message: event.message || "" };
    case "not_seeker":
      return { ...initialAccount(), status: "not_seeker", me: event.me };
    case "loaded":
      return {
        ...state,
        status: "ready",
        me: event.me,
        summary: event.summary,
        conversations: event.conversations || [],
        favourites: event.favourites || [],
        reports: Array.isArray(event.reports) ? event.reports : [],
        transcripts: {},
      };
    case "suggested":
      return { ...state, suggestion: event.passphrase };
    case "passphrase_set":
      return { ...state, suggestion: null, me: { ...state.me, has_password: true }, summary: state.summary && { ...state.summary, has_password: true } };
    case "transcript":
      return { ...state, transcripts: { ...state.transcripts, [event.conversation]: event.messages } };
    case "transcript_closed": {
      const transcripts = { ...state.transcripts };
      delete transcripts[event.conversation];
      return { ...state, transcripts };
    }
    default:
      return state;
  }
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** Whether the account is kept, and until when, in the words the "Keep your account" section shows. */
export function keepStatusText(summary) {
  if (!summary) return "";
  const days = summary.retention || {};
  if (summary.has_password) {
    return `Your account is kept with a passphrase. You can sign in on any device with your alias and passphrase. It is deleted after ${plural(days.kept_account_days, "day", "days")} without use.`;
  }
  return `Your account is anonymous: you can't sign in to it from another device, and it is deleted after ${plural(days.anonymous_account_days, "day", "days")} without use (or when this browser forgets you).`;
}

export function historyHintText(summary) {
  const days = summary && summary.retention ? summary.retention.chat_days : null;
  return days ? `Each chat is deleted ${plural(days, "day", "days")} after it ends.` : "";
}

export function passphraseHintText(rules) {
  const min = (rules && rules.min_length) || 12;
  return `At least ${min} characters. A few random words are easiest to remember and hardest to guess: press "Suggest a passphrase" for some.`;
}

/** The paragraphs of the delete confirmation: what goes now, what is kept, for how long, and sign-out. */
export function deleteConfirmParagraphs(summary) {
  const days = (summary && summary.retention) || {};
  const kept = (summary && summary.kept_under_review) || 0;
  const held = Boolean(summary && summary.account_held);
  const paragraphs = ["This deletes your account now, with your past chats, your favourite listeners and your messages in group rooms. It can't be undone, and you won't be able to sign in again."];
  if (kept > 0) {
    paragraphs.push(
      `${plural(kept, "of your chats is", "of your chats are")} being looked at by our safety team, so we keep ${kept === 1 ? "it" : "them"} until they finish, then delete ${kept === 1 ? "it" : "them"} ${plural(days.chat_days, "day", "days")} later. Nobody can sign in to your account meanwhile.`,
    );
  } else if (held) {
    paragraphs.push(`Something of yours is being looked at by our safety team, so it is kept until they finish, then deleted. Nobody can sign in to your account meanwhile.`);
  }
  paragraphs.push(`The safety team's record of who looked at or acted on what (never what you wrote) is kept for ${plural(days.audit_days, "day", "days")}.`);
  paragraphs.push("You'll be signed out on every device.");
  return paragraphs;
}

/** "Chat with Alias, ended 3 Dec 2026" (or without a listener, for a request that never matched). */
export function conversationLabel(conversation, locale) {
  const who = conversation.peer && conversation.peer.alias ? `Chat with ${conversation.peer.alias}` : "Chat without a listener";
  const when = conversation.ended_at || conversation.created_at;
  if (!when) return who;
  const date = new Date(when).toLocaleDateString(locale, { day: "numeric", month: "short", year: "numeric" });
  return `${who}, ended ${date}`;
}

/** Who wrote a transcript line, from the seeker's side. */
export function senderLabel(message) {
  if (message.kind === "system") return "Hearth";
  if (message.sender_role === "seeker") return "You";
  if (message.sender_role === "staff") return "Hearth safety team";
  return message.sender_alias || "Your listener";
}

/** One of the seeker's reports (GET /api/v1/reports/mine), in words: what, when, and the outcome the
 * server states (never who reviewed it or their notes, which the API does not send). */
export function reportLine(report, locale) {
  const what = report.target === "message" ? "A message" : "The other person";
  const reason = report.reason_label || report.reason || "";
  const date = report.created_at ? new Date(report.created_at).toLocaleDateString(locale, { day: "numeric", month: "short", year: "numeric" }) : "";
  const outcome = report.outcome_text || "Under review";
  return `${what}${reason ? `, for “${reason}”` : ""}${date ? `, reported ${date}` : ""}: ${outcome}.`;
}
