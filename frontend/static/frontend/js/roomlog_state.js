// The room page's messages and the moderators' held list (pure, no DOM): room.js reduces every
// event from the room client into this state and draws it, never reading a row back from the page.
//
// A row is keyed by client_id while our own message waits for its seq, then by "seq:N" like every
// other message. Rows with a seq are kept in seq order; own messages without one follow them.
// A held placeholder (someone else's message waiting for review, sent without its text) is known
// by seq but not shown, so a later release can show it in place.

import { placed } from "./chatlog_state.js";

export const DELIVERY_LABEL = { queued: "Waiting for connection", sending: "Sending…", delivered: "Sent", held: "Held for a moderator", failed: "Not sent" };

const seqKey = (seq) => `seq:${seq}`;
const isHeldOrHidden = (message) => message.status === "held" || message.status === "hidden";

/** Someone else's message waiting for review, without its text: nothing to show. */
export function invisible(message) {
  return message.status === "held" && !message.text && !message.removed;
}

export function initialRoomLog({ connected = false, moderator = false } = {}) {
  return { connected, moderator, rows: new Map(), order: [], held: new Map(), oldestSeq: null };
}

/** Put `row` under its key (replacing `replaces` if given) and keep the order. */
function withRow(state, row, replaces = row.key) {
  const rows = new Map(state.rows);
  const known = rows.get(replaces);
  rows.delete(replaces);
  rows.set(row.key, row);
  let order = replaces === row.key ? state.order : state.order.map((key) => (key === replaces ? row.key : key));
  if (!known) order = [...order, row.key];
  if (row.seq && (!known || known.seq !== row.seq || replaces !== row.key)) order = placed(order, rows, row.key, row.seq);
  return { ...state, rows, order };
}

/** The moderators' held list after `message` changed: in it while held or hidden, out otherwise. */
function withHeld(state, message) {
  const listed = state.moderator && isHeldOrHidden(message) && !message.removed;
  if (!listed && !state.held.has(message.seq)) return state;
  const held = new Map(state.held);
  if (listed) held.set(message.seq, message);
  else held.delete(message.seq);
  return { ...state, held };
}

/**
 * `event` is one of: `{type: "moderator", moderator}` (from room.hello), `{type: "held.listed", messages}`
 * (room.hello's held list), `{type: "pending", entry}`, `{type: "message", message, mine}` (stored: live,
 * synced or from history), `{type: "updated", message, mine}` (removed, released, hidden: only for a
 * seq already known), `{type: "ack", clientId, seq, status}`, `{type: "failed", clientId, retrying}`,
 * `{type: "connection", open}`. `mine` is the client's judgement (RoomClient.isMine).
 */
export function reduceRoomLog(state, event) {
  switch (event.type) {
    case "moderator":
      return event.moderator === state.moderator ? state : { ...state, moderator: event.moderator };
    case "held.listed":
      return (event.messages || []).reduce(withHeld, state);
    case "pending": {
      const { entry } = event;
      if (state.rows.has(entry.client_id)) return state;
      return withRow(state, { key: entry.client_id, seq: 0, mine: true, message: null, text: entry.text, time: entry.queued_at, status: entry.failed ? "failed" : "pending", ackStatus: null });
    }
    case "message": {
      const { message } = event;
      const oldestSeq = state.oldestSeq === null ? message.seq : Math.min(state.oldestSeq, message.seq);
      const counted = { ...state, oldestSeq };
      const pending = message.client_id ? state.rows.get(message.client_id) : null;
      if (pending) return withHeld(withRow(counted, { ...pending, key: seqKey(message.seq), seq: message.seq, mine: true, message, status: "stored" }, pending.key), message);
      if (state.rows.has(seqKey(message.seq))) return reduceRoomLog(counted, { ...event, type: "updated" });
      return withHeld(withRow(counted, { key: seqKey(message.seq), seq: message.seq, mine: Boolean(event.mine), message, status: "stored" }), message);
    }
    case "updated": {
      const { message } = event;
      const known = state.rows.get(seqKey(message.seq));
      if (!known) return state; // not reached yet: the sync brings its current state
      return withHeld(withRow(state, { ...known, mine: known.mine || Boolean(event.mine), message }), message);
    }
    case "ack": {
      const known = state.rows.get(event.clientId);
      if (!known) return state;
      const seq = Number.isInteger(event.seq) ? event.seq : known.seq;
      return withRow(state, { ...known, seq, status: "acked", ackStatus: event.status || null });
    }
    case "failed": {
      const known = state.rows.get(event.clientId);
      if (!known || event.retrying) return state; // a retry keeps it "sending"
      return withRow(state, { ...known, status: "failed" });
    }
    case "connection":
      return event.open === state.connected ? state : { ...state, connected: event.open };
    default:
      return state;
  }
}

/** An own row's marker (a DELIVERY_LABEL key), or null for someone else's. */
export function delivery(row, state) {
  if (!row.mine) return null;
  if (row.status === "failed") return "failed";
  if (row.status === "pending") return state.connected ? "sending" : "queued";
  const status = row.message ? row.message.status : row.ackStatus;
  return status === "held" ? "held" : "delivered";
}

/** The rows shown, in order (held placeholders left out). */
export function shownRows(state) {
  return state.order.map((key) => state.rows.get(key)).filter((row) => !row.message || !invisible(row.message));
}

/** The moderators' held list, oldest first. */
export function heldMessages(state) {
  return Array.from(state.held.values()).sort((a, b) => a.seq - b.seq);
}
