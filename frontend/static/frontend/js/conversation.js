// One conversation client for chats and rooms: a message is never lost, never shown twice.
//
// ConversationClient keeps, per stream (a chat conversation, or the one room of a room socket), the
// highest seq applied, a buffer of messages that arrived ahead of a gap, and an outbox of own messages
// not yet acknowledged (also in sessionStorage, so a reload keeps it). It resumes by seq after every
// hello, pages through `has_more`, re-sends the outbox with the original client_ids only once the
// stream is synced, retries refusals that say "try again" after the same wait on every socket, and
// re-sends on an open socket by the AckTimer rule (socket.js). docs/frontend.md describes the rules.
//
// The chat and room protocols differ only in frame names, refs and identity; each is a small
// protocol object (chatProtocol, roomProtocol) that turns frames into the client's events and builds
// the frames it sends. ChatClient and RoomClient are those two, with the call shapes their pages use.

import { uuid } from "./dom.js";
import { AckTimer } from "./socket.js";

// Every synced stream is synced this often while the socket is open and the page visible: a loss at
// the very end of a burst leaves no later message to reveal the gap (the server answers an empty
// list when nothing is missing). Checked, with the ack waits, once a second.
export const SYNC_EVERY_MS = 10000;
const TICK_MS = 1000;

/** Refusals that mean "nothing was stored, send the same frame again later". */
export const RETRIED_CODES = new Set(["internal_error", "rate_limited", "slow_mode", "busy"]);
// Without a `retry_after` (the server sends one with every rate_limited, slow_mode and busy).
const RETRY_RATE_LIMITED_MS = 5000;
const RETRY_OTHER_MS = 2000;

/** How long to wait before sending a refused message again: the same on chat and room sockets. */
export function retryWait(frame) {
  if (typeof frame.retry_after === "number" && frame.retry_after >= 0) return frame.retry_after * 1000;
  return frame.code === "rate_limited" ? RETRY_RATE_LIMITED_MS : RETRY_OTHER_MS;
}

function pageVisible() {
  return typeof document === "undefined" || document.visibilityState !== "hidden";
}

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const isSeq = (value) => Number.isInteger(value) && value >= 0;
const isMessage = (value) => isObject(value) && Number.isInteger(value.seq) && value.seq >= 1;

/** Why an event from a protocol cannot be applied ("" when it can): checked before any state changes. */
function eventProblem(event) {
  if (event.stream !== undefined && !isSeq(event.stream)) return "no stream id";
  if ("message" in event && !isMessage(event.message)) return "no message with a seq";
  if ("messages" in event && !Array.isArray(event.messages)) return "messages that are not a list";
  if ("lastSeq" in event && event.lastSeq !== undefined && !isSeq(event.lastSeq)) return "a bad last_seq";
  if ("clientId" in event && typeof event.clientId !== "string") return "no client_id";
  return "";
}

/** The fields of an outbox entry worth keeping across a reload (the rest describe this page's socket). */
function stored(entry) {
  return { client_id: entry.client_id, text: entry.text, queued_at: entry.queued_at, failed: entry.failed };
}

/**
 * The chat socket (/ws/v1/chat/ and /ws/v1/staff/): many conversations, own messages recognised by
 * role, sync refs `s:<conversation>`, send refs `m:<conversation>:<client_id>`.
 */
export const chatProtocol = {
  helloType: "hello",

  /** The client's event for `frame`, or null when the frame is not about messages. */
  read(frame) {
    switch (frame.type) {
      case "hello": {
        const user = isObject(frame.user) ? frame.user : {};
        // The chat socket lists conversation objects; the staff socket the ids it has joined.
        const streams = (Array.isArray(frame.conversations) ? frame.conversations : []).map((c) => (isObject(c) ? c.id : c));
        return { kind: "hello", identity: user.id === undefined ? undefined : String(user.id), me: user.role ?? null, streams, pages: [] };
      }
      case "conversation.waiting":
      case "conversation.started":
      case "conversation.joined": {
        const conversation = isObject(frame.conversation) ? frame.conversation : {};
        return { kind: "opened", stream: conversation.id, messages: frame.messages || [], hasMore: Boolean(frame.has_more), lastSeq: conversation.last_seq || 0 };
      }
      case "message.created":
        return { kind: "message", stream: frame.conversation, message: frame.message };
      case "conversation.messages":
        return { kind: "page", stream: frame.conversation, messages: frame.messages || [], hasMore: Boolean(frame.has_more), lastSeq: frame.last_seq };
      case "message.ack":
        return { kind: "ack", stream: frame.conversation, clientId: frame.client_id, seq: frame.seq };
      case "message.held":
        // Screening kept it from the other side for good: shown as not sent, with the reason.
        return { kind: "refused", stream: frame.conversation, clientId: frame.client_id, error: { type: "error", code: "held", message: frame.notice, ref: frame.ref } };
      case "error": {
        const ref = String(frame.ref ?? "");
        if (ref.startsWith("m:")) {
          const [, id, clientId] = ref.split(":");
          return { kind: "refused", stream: Number(id), clientId: clientId ?? "", error: frame, handled: false };
        }
        if (ref.startsWith("s:")) return { kind: "syncRefused", stream: Number(ref.slice(2)), handled: false };
        return null;
      }
      default:
        return null;
    }
  },

  syncFrame: (id, afterSeq) => ({ type: "conversation.sync", conversation: id, after_seq: afterSeq, ref: `s:${id}` }),
  sendFrame: (id, entry) => ({ type: "message.send", conversation: id, client_id: entry.client_id, text: entry.text, ref: `m:${id}:${entry.client_id}` }),
  storageKey: (identity, id) => `hearth.outbox.${identity}.${id}`,
  isMine: (me, message) => Boolean(me) && message.sender_role === me,
};

/**
 * A room socket (/ws/v1/rooms/<id>/): one stream, own messages recognised by alias, sync ref `rs`,
 * send refs `rm:<client_id>`. The first `room.hello` starts the log at its oldest message (older ones
 * are paged in on request, never synced); `room.message.updated`/`held` replace a message in place.
 */
export function roomProtocol(roomId) {
  return {
    helloType: "room.hello",

    read(frame) {
      switch (frame.type) {
        case "room.hello": {
          const alias = isObject(frame.you) && typeof frame.you.alias === "string" ? frame.you.alias : undefined;
          const messages = frame.messages || [];
          return { kind: "hello", identity: alias, me: alias ?? null, streams: [roomId], pages: [{ stream: roomId, messages, startAt: isMessage(messages[0]) ? messages[0].seq - 1 : frame.last_seq || 0 }] };
        }
        case "room.message.created":
          return { kind: "message", stream: roomId, message: frame.message };
        case "room.messages":
          return { kind: "page", stream: roomId, messages: frame.messages || [], hasMore: Boolean(frame.has_more), lastSeq: frame.last_seq };
        case "room.message.ack":
          return { kind: "ack", stream: roomId, clientId: frame.client_id, seq: frame.seq };
        case "room.message.updated":
        case "room.message.held":
          return { kind: "updated", stream: roomId, message: frame.message, held: frame.type === "room.message.held" };
        case "error": {
          const ref = String(frame.ref ?? "");
          if (ref.startsWith("rm:")) return { kind: "refused", stream: roomId, clientId: ref.slice(3), error: frame, handled: false };
          if (ref === "rs") return { kind: "syncRefused", stream: roomId, handled: false };
          return null;
        }
        default:
          return null;
      }
    },

    syncFrame: (id, afterSeq) => ({ type: "room.sync", after_seq: afterSeq, ref: "rs" }),
    sendFrame: (id, entry) => ({ type: "room.message.send", client_id: entry.client_id, text: entry.text, ref: `rm:${entry.client_id}` }),
    storageKey: (identity, id) => `hearth.room-outbox.${identity}.${id}`,
    isMine: (me, message) => Boolean(me) && message.kind !== "system" && message.sender_alias === me,
  };
}

/**
 * The shared client. `socket` is a HearthSocket (or anything with its `send`, `isOpen`, `position`,
 * `handledSince`, `probe`, `onAnswered`); `protocol` is chatProtocol or roomProtocol(id). Handlers,
 * each given the stream id first: `onHello(frame)`, `onMessage(id, message, {live})` in seq order,
 * `onUpdate(id, message, {held})`, `onPending(id, entry)`, `onAck(id, clientId, frame)`,
 * `onError(frame, {stream, client_id, retrying})`.
 */
export class ConversationClient {
  constructor(socket, protocol, { identity = "anon", onHello = () => {}, onMessage = () => {}, onUpdate = () => {}, onPending = () => {}, onAck = () => {}, onError = () => {}, ackTimer = {} } = {}) {
    this.socket = socket;
    this.protocol = protocol;
    this.acks = new AckTimer(socket, ackTimer);
    socket.onAnswered(() => this._resendOverdue());
    this.identity = identity; // part of the outbox's storage key: one person's outbox is never another's
    this.me = null; // what marks a message as our own (role on chat, alias in a room)
    this.onHello = onHello;
    this.onMessage = onMessage;
    this.onUpdate = onUpdate;
    this.onPending = onPending;
    this.onAck = onAck;
    this.onError = onError;
    this.streams = new Map();
    this.lastPeriodicSync = Date.now();
    this.timer = setInterval(() => this._tick(), TICK_MS);
    if (typeof document !== "undefined") document.addEventListener("visibilitychange", () => pageVisible() && this._syncAll());
  }

  /** Stop the periodic sync and ack timeouts (the page is leaving for good). */
  close() {
    clearInterval(this.timer);
  }

  /** A stream's state, made (with its saved outbox) on first use. */
  stream(id) {
    if (!this.streams.has(id)) {
      this.streams.set(id, { id, started: false, lastSeq: 0, buffer: new Map(), outbox: new Map(), syncing: false, synced: false, syncSentAt: 0, restoredFrom: null });
      this._restore(this.streams.get(id));
    }
    return this.streams.get(id);
  }

  /** Drop a stream for good (a chat that ended): its outbox is cleared from storage too. */
  forget(id) {
    const state = this.streams.get(id);
    this.streams.delete(id);
    if (state) this._save(state, new Map());
  }

  pending(id) {
    return Array.from(this.stream(id).outbox.values());
  }

  isMine(message) {
    return isObject(message) && this.protocol.isMine(this.me, message);
  }

  /**
   * Feed every frame from the socket here; returns true when the client used it. A frame about
   * messages whose shape is wrong is logged and ignored: nothing about the stream changes.
   */
  handle(frame) {
    if (!isObject(frame)) return false;
    const event = this.protocol.read(frame);
    if (!event) return false;
    const problem = eventProblem(event) || (event.pages || []).map(eventProblem).find(Boolean) || "";
    if (problem) {
      console.log(`Hearth: ignored a ${frame.type} frame with ${problem}`, frame);
      return false;
    }
    // A message without a seq cannot be placed (nor leave a gap): it is left out, the rest applied.
    for (const part of [event, ...(event.pages || [])]) {
      if (!part.messages || part.messages.every(isMessage)) continue;
      console.log(`Hearth: left out messages without a seq from a ${frame.type} frame`, frame);
      part.messages = part.messages.filter(isMessage);
    }
    switch (event.kind) {
      case "hello":
        this._hello(frame, event);
        break;
      case "opened":
        this._opened(event);
        break;
      case "message":
        this._apply(this.stream(event.stream), event.message, true);
        break;
      case "page":
        this._page(event);
        break;
      case "ack":
        this._acked(event, frame);
        break;
      case "updated":
        this.onUpdate(event.stream, event.message, { held: event.held });
        break;
      case "refused":
        this._refused(event);
        break;
      case "syncRefused":
        if (this.streams.has(event.stream)) this.stream(event.stream).syncing = false;
        break;
      default:
        return false;
    }
    return event.handled !== false;
  }

  /** Queue a message; sent now if the stream is synced, re-sent after every reconnect until acknowledged. */
  send(id, text) {
    const state = this.stream(id);
    const entry = { client_id: uuid(), text, queued_at: new Date().toISOString(), failed: null };
    state.outbox.set(entry.client_id, entry);
    this._save(state);
    this.onPending(id, entry);
    if (state.synced) this._transmit(state, entry);
    return entry;
  }

  /** Ask for everything after the highest seq held (one sync in flight per stream). */
  sync(id) {
    const state = this.stream(id);
    if (state.syncing && this.socket.isOpen) return;
    state.syncing = this.socket.send(this.protocol.syncFrame(id, state.lastSeq));
    state.syncSentAt = Date.now();
  }

  /** A (re)connect: every stream resumes from its highest seq, then its outbox is re-sent once. */
  _hello(frame, event) {
    if (event.identity !== undefined) this.identity = event.identity;
    this.me = event.me ?? this.me;
    this.acks.reset();
    for (const id of event.streams) this.stream(id);
    for (const state of this.streams.values()) {
      if (state.restoredFrom !== this._storageKey(state.id)) this._restore(state); // the identity is known now
      state.synced = false;
      state.syncing = false; // a sync in flight on the old socket will never be answered
    }
    this.onHello(frame);
    for (const page of event.pages) {
      const state = this.stream(page.stream);
      if (!state.started) state.lastSeq = page.startAt;
      state.started = true;
      for (const message of page.messages) this._apply(state, message, false);
    }
    for (const state of this.streams.values()) this.sync(state.id);
  }

  /**
   * A conversation's state with the first page of its transcript. A long transcript does not fit in
   * one frame: `has_more` says so, and the rest comes by sync, page after page, before the outbox is
   * sent (as after a reconnect).
   */
  _opened(event) {
    const state = this.stream(event.stream);
    state.started = true;
    for (const message of event.messages) this._apply(state, message, false);
    if (event.hasMore || state.lastSeq < event.lastSeq) {
      this.sync(state.id);
      return;
    }
    if (!state.synced) this._flush(state);
  }

  _page(event) {
    const state = this.stream(event.stream);
    for (const message of event.messages) this._apply(state, message, false);
    state.syncing = false;
    if (event.hasMore || state.lastSeq < (event.lastSeq ?? 0) || state.buffer.size) {
      this.sync(state.id);
      return;
    }
    if (!state.synced) this._flush(state);
  }

  _apply(state, message, live) {
    if (message.seq <= state.lastSeq) return; // already seen: never shown twice
    if (message.seq > state.lastSeq + 1) {
      state.buffer.set(message.seq, message); // a gap: hold it, and fetch what is missing
      if (live) this.sync(state.id);
      return;
    }
    this._accept(state, message, live);
    while (state.buffer.has(state.lastSeq + 1)) {
      const next = state.buffer.get(state.lastSeq + 1);
      state.buffer.delete(next.seq);
      this._accept(state, next, live);
    }
    for (const seq of state.buffer.keys()) if (seq <= state.lastSeq) state.buffer.delete(seq);
  }

  _accept(state, message, live) {
    state.lastSeq = message.seq;
    if (message.client_id && state.outbox.has(message.client_id) && this.isMine(message)) {
      state.outbox.delete(message.client_id);
      this.acks.answered(message.client_id);
      this._save(state);
    }
    this.onMessage(state.id, message, { live });
  }

  _acked(event, frame) {
    const state = this.stream(event.stream);
    state.outbox.delete(event.clientId);
    this.acks.answered(event.clientId);
    this._save(state);
    this.onAck(state.id, event.clientId, frame);
    if (Number.isInteger(event.seq) && event.seq > state.lastSeq + 1) this.sync(state.id); // our own message.created was lost
  }

  _refused(event) {
    const state = this.streams.get(event.stream);
    const entry = state && state.outbox.get(event.clientId);
    if (!entry) return;
    const frame = event.error;
    const clientId = event.clientId;
    this.acks.answered(clientId);
    if (RETRIED_CODES.has(frame.code)) {
      entry.dueAt = undefined; // answered: no ack wait until the planned retry sends it again
      // Not synced by then: the flush after the sync sends it, once.
      setTimeout(() => state.outbox.has(clientId) && state.synced && this._transmit(state, entry), retryWait(frame));
      this.onError(frame, { stream: state.id, client_id: clientId, retrying: true });
      return;
    }
    // Refused for good (too long, chat ended, room closed, muted…): kept visible as not sent, never retried.
    entry.failed = frame.code;
    state.outbox.delete(clientId);
    this._save(state);
    this.onError(frame, { stream: state.id, client_id: clientId, retrying: false });
  }

  _transmit(state, entry, { resend = false, reset = false } = {}) {
    this.socket.send(this.protocol.sendFrame(state.id, entry));
    this.acks.sent(entry, { resend, reset });
  }

  _flush(state) {
    state.synced = true;
    // Once per (re)connect, everything; the ack waits start again from the first.
    for (const entry of state.outbox.values()) if (!entry.failed) this._transmit(state, entry, { reset: true });
  }

  _tick(now = Date.now()) {
    if (!this.socket.isOpen || !pageVisible()) return;
    this._resendOverdue(now);
    if (now - this.lastPeriodicSync >= SYNC_EVERY_MS) this._syncAll(now);
  }

  /** Re-send what the server handled without its answer reaching us (AckTimer); the same client_id makes it safe. */
  _resendOverdue(now = Date.now()) {
    if (!this.socket.isOpen || !pageVisible()) return;
    for (const state of this.streams.values()) {
      if (!state.synced) continue;
      for (const entry of this.acks.overdue(state.outbox.values(), now)) this._transmit(state, entry, { resend: true });
    }
  }

  /** The periodic sync: a loss at the very end of a burst leaves no later message to reveal the gap. */
  _syncAll(now = Date.now()) {
    if (!this.socket.isOpen) return;
    this.lastPeriodicSync = now;
    for (const state of this.streams.values()) {
      // A sync whose answer never came must not block the next one forever.
      if (state.syncing && now - state.syncSentAt >= SYNC_EVERY_MS) state.syncing = false;
      if (state.synced) this.sync(state.id);
    }
  }

  _storageKey(id) {
    return this.protocol.storageKey(this.identity, id);
  }

  _save(state, outbox = state.outbox) {
    try {
      const key = this._storageKey(state.id);
      if (outbox.size) sessionStorage.setItem(key, JSON.stringify(Array.from(outbox.values(), stored)));
      else sessionStorage.removeItem(key);
    } catch (error) {
      /* storage unavailable: the in-memory outbox still works */
    }
  }

  /** Add what this identity left unsent in this stream (a reload) to the outbox. */
  _restore(state) {
    state.restoredFrom = this._storageKey(state.id);
    try {
      for (const entry of JSON.parse(sessionStorage.getItem(state.restoredFrom) || "[]")) {
        if (!entry || typeof entry.client_id !== "string" || state.outbox.has(entry.client_id)) continue;
        state.outbox.set(entry.client_id, entry);
        this.onPending(state.id, entry);
      }
      if (state.outbox.size) this._save(state);
    } catch (error) {
      /* storage unavailable or a damaged entry: nothing to restore */
    }
  }
}

/** The chat and staff sockets' client: handlers get the conversation id first, as the pages expect. */
export class ChatClient extends ConversationClient {
  constructor(socket, { userKey = "anon", onMessage, onPending, onAck, onError, ackTimer } = {}) {
    super(socket, chatProtocol, {
      identity: userKey,
      onMessage,
      onPending,
      onAck,
      onError: onError && ((frame, info) => onError(frame, { conversation: info.stream, client_id: info.client_id, retrying: info.retrying })),
      ackTimer,
    });
  }
}

/** One room's client: the room is the only stream, so handlers and `send` take no id. */
export class RoomClient extends ConversationClient {
  constructor(socket, roomId, { onHello, onMessage = () => {}, onUpdate = () => {}, onPending = () => {}, onAck = () => {}, onError = () => {}, ackTimer } = {}) {
    super(socket, roomProtocol(roomId), {
      onHello,
      onMessage: (id, message, info) => onMessage(message, info),
      onUpdate: (id, message, info) => onUpdate(message, info),
      onPending: (id, entry) => onPending(entry),
      onAck: (id, clientId, frame) => onAck(clientId, frame),
      onError: (frame, info) => onError(frame, { client_id: info.client_id, retrying: info.retrying }),
      ackTimer,
    });
    this.roomId = roomId;
  }

  send(text) {
    return super.send(this.roomId, text);
  }

  pending() {
    return super.pending(this.roomId);
  }

  get synced() {
    return this.streams.has(this.roomId) && this.stream(this.roomId).synced;
  }
}
