// Where the seeker is on the talk page (pure, no DOM): asked their age, choosing a topic, waiting
// for a listener, in a chat, or at its end. seeker.js reduces socket frames and its own events into
// this state and draws the screen from it, never from which section happens to be visible.

import { endedText } from "./crisis.js";

export function initialSeeker() {
  return { step: "start", conversation: null, peer: null, readSeq: 0, notice: "", endedText: "" };
}

const WAITING_NOTICE = "Thank you for reaching out. A listener will join you here.";
const REQUEUED_NOTICE = "Your listener had to leave. You're at the front of the line.";

/** The subtitle while waiting: why they are waiting again, or the welcome. */
export function waitingNotice(state) {
  return state.notice || WAITING_NOTICE;
}

function waiting(state, conversationId, notice = "") {
  // The listener of the same conversation stays known (a requeue); a new conversation has none yet.
  const peer = conversationId === state.conversation ? state.peer : null;
  return { ...state, step: "waiting", conversation: conversationId, peer, notice };
}

function chatting(state, conversation) {
  const readSeq = conversation.read_seq ? conversation.read_seq.listener || 0 : 0;
  return { ...state, step: "chat", conversation: conversation.id, peer: conversation.peer || null, readSeq, notice: "" };
}

function ended(state, text) {
  if (state.step === "ended") return state; // the first reason given is the one shown
  return { ...state, step: "ended", endedText: text };
}

const idOf = (value) => (value && typeof value === "object" ? value.id : value);

/**
 * Frames from the chat socket (hello, conversation.waiting/started/requeued/ended/messages) and the
 * page's own events: `{type: "age.asked"}`, `{type: "refused"}`, `{type: "topic.asked"}`,
 * `{type: "request.made", conversation}` (the committed answer to request.create).
 */
export function reduceSeeker(state, event) {
  switch (event.type) {
    case "age.asked":
      return { ...initialSeeker(), step: "age" };
    case "refused":
      return { ...initialSeeker(), step: "refused" };
    case "topic.asked":
      return { ...initialSeeker(), step: "topic" };
    case "request.made":
      // conversation.waiting travels over the channel layer and may never come: the reply moves on.
      return event.conversation === state.conversation ? state : waiting(state, event.conversation);
    case "hello": {
      const open = (event.conversations || [])[0];
      if (open && open.status === "active") return chatting(state, open);
      if (open) return waiting(state, open.id);
      // Nothing open: choose a topic, unless the end screen (rating, lines) is still being read.
      return state.step === "ended" || state.step === "topic" ? state : { ...initialSeeker(), step: "topic" };
    }
    case "conversation.waiting":
      return waiting(state, event.conversation.id);
    case "conversation.started":
      return chatting(state, event.conversation);
    case "conversation.requeued":
      if (state.conversation === null || idOf(event.conversation) !== state.conversation) return state;
      return waiting(state, state.conversation, event.reason_text || REQUEUED_NOTICE);
    case "conversation.ended":
      if (event.conversation !== state.conversation) return state;
      if (event.reason === "cancelled") return { ...initialSeeker(), step: "topic" };
      return ended(state, endedText(event, "seeker"));
    case "conversation.messages":
      if (event.conversation === state.conversation && event.status === "ended" && !event.has_more) return ended(state, "This chat ended while you were away.");
      return state;
    default:
      return state;
  }
}
