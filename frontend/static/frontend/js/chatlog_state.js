// The messages of one conversation as a chat page shows them (pure, no DOM): ChatView (chatview.js)
// reduces every event from the conversation client into this state and draws it, never reading a
// message's seq or delivery state back from the page.
//
// A row is keyed by client_id for an own message (so the queued bubble, its ack and its stored
// message.created are one row) and by "seq:N" otherwise. Rows with a seq are kept in seq order; own
// messages still waiting for their seq follow them in the order they were written.

/** Is `message` for a reader in `role`? Lines with `for_role` speak to one side only. */
export function shownTo(message, role) {
  return !(message && message.kind === "system" && message.for_role && message.for_role !== role);
}

const isMine = (message, myRole) => message.sender_role === myRole && message.kind !== "system";

/** The row key a stored message takes: its client_id when it is our own, else its seq. */
export function messageKey(message, myRole) {
  return isMine(message, myRole) && message.client_id ? message.client_id : `seq:${message.seq}`;
}

export function initialChatLog({ myRole, peerPresent = true, connected = false } = {}) {
  return { myRole, peerPresent, connected, peerReadSeq: 0, lastPeerSeq: 0, rows: new Map(), order: [] };
}

/** Where a row with `seq` goes: after every row with a lower seq, before higher ones and unsent ones.
 * Shared with the room log (roomlog_state.js), whose rows are ordered the same way. */
export function placed(order, rows, key, seq) {
  const rest = order.filter((other) => other !== key);
  const at = rest.findIndex((other) => {
    const otherSeq = rows.get(other).seq;
    return !otherSeq || otherSeq > seq;
  });
  if (at === -1) return [...rest, key];
  return [...rest.slice(0, at), key, ...rest.slice(at)];
}

function withRow(state, row, { reorder = false } = {}) {
  const rows = new Map(state.rows);
  const isNew = !rows.has(row.key);
  rows.set(row.key, row);
  let order = state.order;
  if (row.seq && (isNew || reorder)) order = placed(order, rows, row.key, row.seq);
  else if (isNew) order = [...order, row.key];
  return { ...state, rows, order };
}

/**
 * `event` is one of: `{type: "pending", entry}` (our own, queued), `{type: "message", message}` (stored,
 * in seq order from the client), `{type: "ack", clientId, seq}`, `{type: "failed", clientId, retrying}`,
 * `{type: "connection", open}`, `{type: "peer.present", present}`, `{type: "peer.read", seq}`.
 */
export function reduceChatLog(state, event) {
  switch (event.type) {
    case "pending": {
      const { entry } = event;
      if (state.rows.has(entry.client_id)) return state;
      return withRow(state, { key: entry.client_id, seq: 0, mine: true, system: false, text: entry.text, time: entry.queued_at, sender: "You", staff: false, status: entry.failed ? "failed" : "pending", message: null });
    }
    case "message": {
      const { message } = event;
      if (!shownTo(message, state.myRole)) return state;
      const key = messageKey(message, state.myRole);
      const mine = isMine(message, state.myRole);
      const known = state.rows.get(key);
      const next = mine ? state : { ...state, lastPeerSeq: Math.max(state.lastPeerSeq, message.seq) };
      if (known) {
        // Our pending row became a stored message: the same row, now with its seq and stored time.
        return withRow(next, { ...known, seq: message.seq, time: message.created_at, text: message.masked ? message.text : known.text, status: "stored" }, { reorder: known.seq !== message.seq });
      }
      const system = message.kind === "system";
      return withRow(next, { key, seq: message.seq, mine, system, text: message.text, time: message.created_at, sender: mine ? "You" : message.sender_alias || null, staff: message.sender_role === "staff", status: "stored", message });
    }
    case "ack": {
      const known = state.rows.get(event.clientId);
      if (!known) return state;
      const seq = Number.isInteger(event.seq) ? event.seq : known.seq;
      return withRow(state, { ...known, seq, status: "stored" }, { reorder: seq !== known.seq });
    }
    case "failed": {
      const known = state.rows.get(event.clientId);
      if (!known || event.retrying) return state; // a retry keeps it "sending"
      return withRow(state, { ...known, status: "failed" });
    }
    case "connection":
      return event.open === state.connected ? state : { ...state, connected: event.open };
    case "peer.present":
      return event.present === state.peerPresent ? state : { ...state, peerPresent: event.present };
    case "peer.read":
      return event.seq > state.peerReadSeq ? { ...state, peerReadSeq: event.seq } : state;
    default:
      return state;
  }
}

/** What an own row's marker says happened to it: queued, sending, failed, delivered or read; null for others'. */
export function delivery(row, state) {
  if (!row.mine) return null;
  if (row.status === "failed") return "failed";
  if (row.status === "pending") return state.connected ? "sending" : "queued";
  return row.seq && row.seq <= state.peerReadSeq ? "read" : "delivered";
}

/** The rows in the order they are shown. */
export function shownRows(state) {
  return state.order.map((key) => state.rows.get(key));
}
