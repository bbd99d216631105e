// The listener console's state: `reduceConsole(state, event) -> state`, pure (no DOM, no storage, no
// clock of its own), so it is unit-tested with `node --test` (tests/frontend/listener_console_state.test.mjs).
//
// Events are the chat socket's frames (`hello`, `queue.sizes`, `shift.*`, `offer.*`, `conversation.*`,
// `safety.guidance`, `resources.sent`) plus the page's own: `clock` (the time, before each frame and
// once a second while an offer counts down), `connection`, `standing` (whether the applicant still
// awaits a decision), `shift.end.failed`, `offer.answered`, `chat.open` (a chat's tab, before the
// client hands it the frame's messages), `chat.select`, `chat.close` and `message.shown` (a message
// drawn in a chat: unread while its tab is not the active one).
//
// What the page must do beyond drawing (play the offer's beep, say a chat opened or ended, focus the
// composer, mark a chat read) is listed in `state.effects`, which listener.js performs and clears with
// `effects.done`.

import { endedText, initialCrisis, reduceCrisis } from "./crisis.js";

export function initialConsole({ now = 0 } = {}) {
  return {
    now,
    connected: false,
    awaitingDecision: false, // an applicant: no shift, no offers until approved
    shiftKnown: false, // whether on shift or not is known (hello, a shift frame, a change of standing)
    shift: null, // the server's shift while on shift
    shiftNote: "", // what the server last said about the shift (its maximum length reached, a refused end)
    summary: null, // {taken, escalated, minutes}: the shift that just ended
    line: null, // queue.sizes while on shift: how many wait that this listener could take
    offers: new Map(), // offer id -> {offer, deadline}; a new Map entry is a new arrival (beeped, drawn afresh)
    chats: new Map(), // conversation id -> {id, conversation, peer, ended, unread, badge}, in the order opened
    active: null, // the conversation id whose tab is selected
    crisis: initialCrisis(), // guidance and shared crisis lines per chat (crisis.js)
    effects: [],
  };
}

const withEffect = (state, effect) => ({ ...state, effects: [...state.effects, effect] });
const idOf = (value) => (value !== null && typeof value === "object" ? value.id : value);

/** Seconds an offer has left at `now`, as its countdown shows them. */
export function secondsLeft(entry, now) {
  return Math.max(0, Math.ceil((entry.deadline - now) / 1000));
}

/** The page title while offers wait: "(2) New request · Hearth". */
export function pageTitle(state, baseTitle) {
  const count = state.offers.size;
  return count ? `(${count}) New request · ${baseTitle}` : baseTitle;
}

/** "Someone needs to talk · anxiety" and the line under it, for an offer card. */
export function offerText(offer) {
  const topic = offer.topic || "any topic";
  return {
    topic,
    title: offer.kind === "transfer" ? `Transfer · ${topic}` : `Someone needs to talk · ${topic}`,
    announcement: `New request: someone wants to talk about ${topic}. Accept or decline within ${offer.expires_in_seconds} seconds.`,
  };
}

/** The line's summary and one entry per topic, from queue.sizes. */
export function lineText(sizes) {
  const urgent = sizes.urgent ? sizes.urgent.total : 0;
  const summary = sizes.total === 0 ? "Nobody you could take is waiting." : `${sizes.total} waiting that you could take${urgent ? `, ${urgent} urgent` : ""}.`;
  const topics = Object.entries(sizes.topics || {}).map(
    ([slug, count]) => `${slug}: ${count}${sizes.urgent && sizes.urgent.topics[slug] ? ` (${sizes.urgent.topics[slug]} urgent)` : ""}`,
  );
  if (sizes.any_topic) topics.push(`any topic: ${sizes.any_topic}`);
  return { summary, topics, takeable: Boolean(sizes.takeable) };
}

function setShift(state, shift) {
  return { ...state, shiftKnown: true, shift, shiftNote: "", summary: shift ? null : state.summary };
}

/** The shift is over (the server said so, or the end we asked for was done): a summary, no offers, no line. */
function endShift(state, shift) {
  if (!state.shift && !shift) return state;
  const last = shift || state.shift;
  const minutes = Math.max(0, Math.round((state.now - new Date(last.started_at).getTime()) / 60000));
  const summary = { taken: last.chats_taken, escalated: last.chats_escalated, minutes };
  return withEffect({ ...setShift(state, null), offers: new Map(), line: null, summary }, { kind: "shift.ended" });
}

function addOffer(state, offer) {
  if (!offer || state.offers.has(offer.id)) return state;
  const offers = new Map(state.offers);
  offers.set(offer.id, { offer, deadline: state.now + offer.expires_in_seconds * 1000 });
  return withEffect({ ...state, offers }, { kind: "offer.new", offer });
}

function removeOffer(state, id) {
  if (!state.offers.has(id)) return state;
  const offers = new Map(state.offers);
  offers.delete(id);
  return { ...state, offers };
}

function withChat(state, id, changes) {
  const chats = new Map(state.chats);
  chats.set(id, { ...chats.get(id), ...changes });
  return { ...state, chats };
}

function selectChat(state, id) {
  if (!state.chats.has(id)) return state;
  const next = withChat({ ...state, active: id }, id, { unread: 0, badge: null });
  return withEffect(next, { kind: "chat.read", id });
}

/** A chat tab for `conversation` (once): the first one open is selected, a later one is announced. */
function openChat(state, conversation) {
  if (!conversation || state.chats.has(conversation.id)) return state;
  const id = conversation.id;
  const peer = conversation.peer || { alias: "Seeker" };
  const chats = new Map(state.chats);
  chats.set(id, { id, conversation, peer, ended: false, unread: 0, badge: null });
  const next = { ...state, chats };
  if (state.active === null) return selectChat(next, id);
  return withEffect(next, { kind: "chat.opened", id, alias: peer.alias });
}

function endChat(state, id, text) {
  const chat = state.chats.get(id);
  if (!chat || chat.ended) return state;
  return withEffect(withChat(state, id, { ended: true }), { kind: "chat.ended", id, alias: chat.peer.alias, text });
}

function closeChat(state, id) {
  if (!state.chats.has(id)) return state;
  const chats = new Map(state.chats);
  chats.delete(id);
  let next = { ...state, chats };
  if (state.active === id) {
    next = { ...next, active: null };
    const first = chats.keys().next();
    if (!first.done) next = selectChat(next, first.value);
  }
  return next;
}

/** The crisis state after `frame`; a chat given guidance while its tab is not active shows "!" on the tab. */
function withCrisis(state, frame) {
  const crisis = reduceCrisis(state.crisis, frame, "listener");
  if (crisis === state.crisis) return state;
  let next = { ...state, crisis };
  if (frame.type === "resources.sent") return next;
  const changed = frame.type === "hello" ? [...state.chats.keys()] : [frame.conversation];
  for (const id of changed) {
    if (!next.chats.has(id) || !crisis.guidance[id]) continue;
    if (next.active !== id) next = withChat(next, id, { badge: "!" });
    if (frame.type !== "hello") next = withEffect(next, { kind: "guidance", id, alias: next.chats.get(id).peer.alias, guidance: crisis.guidance[id].guidance });
  }
  return next;
}

function reduceFrame(state, frame) {
  switch (frame.type) {
    case "hello": {
      let next = state;
      for (const conversation of frame.conversations || []) if (conversation.status === "active") next = openChat(next, conversation);
      next = withCrisis(next, frame);
      next = { ...setShift(next, frame.shift || null), offers: new Map() };
      for (const offer of frame.offers || []) next = addOffer(next, offer);
      return { ...next, line: frame.queue_sizes && next.shift ? frame.queue_sizes : null };
    }
    case "queue.sizes":
      return { ...state, line: state.shift ? frame : null };
    case "shift.started":
    case "shift.start.ack":
      return setShift(state, frame.shift);
    case "shift.ended":
      return endShift(state, frame.shift);
    case "shift.max_length_reached":
      return { ...state, shiftNote: frame.message };
    case "offer.created":
      return addOffer(state, frame.offer);
    case "offer.withdrawn":
      return removeOffer(state, idOf(frame.offer));
    case "conversation.started": {
      let next = openChat(state, frame.conversation);
      if (next.shift) next = { ...next, shift: { ...next.shift, chats_taken: next.shift.chats_taken + 1 } };
      next = selectChat(next, frame.conversation.id);
      return withEffect(next, { kind: "chat.focus", id: frame.conversation.id });
    }
    case "conversation.ended":
      return endChat(state, frame.conversation, endedText(frame, "listener"));
    case "conversation.left":
      return endChat(state, frame.conversation, frame.reason === "handoff" ? "The safety team has taken over this chat." : "This chat was moved to another listener.");
    case "conversation.transferred":
      return endChat(state, frame.conversation, frame.to ? `${frame.to} has taken over this chat. Thank you.` : "This chat was moved to another listener.");
    case "conversation.messages":
      if (frame.status === "ended" && !frame.has_more) return endChat(state, frame.conversation, "This chat ended while you were away.");
      return state;
    case "safety.guidance":
    case "resources.sent":
      return withCrisis(state, frame);
    default:
      return state;
  }
}

export function reduceConsole(state, event) {
  if (!event || typeof event !== "object") return state;
  switch (event.type) {
    case "clock": {
      // An offer's countdown reaching zero takes it away.
      let next = { ...state, now: event.now };
      for (const [id, entry] of state.offers) if (secondsLeft(entry, event.now) <= 0) next = removeOffer(next, id);
      return next;
    }
    case "connection":
      // Offers go with the connection: the next hello brings back the ones still pending.
      return { ...state, connected: event.open, offers: event.open ? state.offers : new Map() };
    case "standing":
      if (event.awaiting === state.awaitingDecision) return state;
      return { ...setShift(state, state.shift), awaitingDecision: event.awaiting };
    case "shift.end.failed":
      return { ...state, shiftNote: event.message };
    case "offer.answered":
      return removeOffer(state, event.id);
    case "chat.open":
      return openChat(state, event.conversation);
    case "chat.select":
      return selectChat(state, event.id);
    case "chat.close":
      return closeChat(state, event.id);
    case "message.shown": {
      const chat = state.chats.get(event.id);
      if (!chat || !event.live || state.active === event.id || event.senderRole === "listener") return state;
      const unread = chat.unread + 1;
      return withChat(state, event.id, { unread, badge: String(unread) });
    }
    case "effects.done":
      return state.effects.length ? { ...state, effects: [] } : state;
    default:
      return reduceFrame(state, event);
  }
}
