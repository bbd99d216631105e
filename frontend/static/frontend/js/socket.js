// A websocket that reconnects by itself, and a chat client that never loses or duplicates a message.
//
// HearthSocket: one socket, jittered exponential backoff (0.5 s doubling to 15 s), a liveness ping,
// close codes from docs/protocol.md (4401/4403/4404/4410 stop; 4429 waits >= 5 s), and
// request(frame) that resolves with the reply carrying the same `ref`.
//
// ChatClient: per conversation it keeps the highest seq seen, drops seq <= it, buffers seq > it + 1
// (and asks `conversation.sync` to fill the gap), and keeps every message not yet acknowledged in an
// outbox (also in sessionStorage, so a reload keeps it). After every (re)connect it syncs each
// conversation from its highest seq, then re-sends the outbox with the original client_ids: the
// server answers a repeated client_id with the original ack, so nothing is ever stored twice.
//
// Both clients also sync every SYNC_EVERY_MS while the socket is open and the page visible (a loss at
// the very end of a burst leaves no later message to reveal the gap; the server answers an empty list
// when nothing is missing). A message with no ack is re-sent on an open socket only when the socket
// proves the server has handled it (AckTimer, below): its ack wait has run out (10 s, doubling per
// re-send to 60 s, ±20 %) AND the server has answered a ping sent after it. The server handles a
// socket's frames one at a time, in order, so that pong means the send was handled and its answer
// lost; without the pong the send is still queued on a busy server (or the socket is dead, which the
// liveness check and the reconnect handle), and a re-send would only lengthen the queue. At most
// MAX_RESENDS_IN_FLIGHT such re-sends are unanswered at once per socket.

import { uuid } from "./dom.js";

export const STOP_CODES = {
  4401: "signed_out",
  4403: "forbidden",
  4404: "not_found",
  4410: "revoked",
};
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;
const RATE_LIMIT_MIN_MS = 5000;
const PING_EVERY_MS = 20000;
const STALE_AFTER_MS = 45000;
const REQUEST_TIMEOUT_MS = 15000;
export const SYNC_EVERY_MS = 10000;
// The wait for an ack: ACK_TIMEOUT_MS after a send, doubling after each timeout re-send up to
// ACK_TIMEOUT_MAX_MS, each wait ±ACK_JITTER so sends re-sent together after a reconnect spread out.
export const ACK_TIMEOUT_MS = 10000;
export const ACK_TIMEOUT_MAX_MS = 60000;
export const ACK_JITTER = 0.2;
// Timeout re-sends unanswered at once, per socket: a burst of lost sends is re-sent a few at a time.
export const MAX_RESENDS_IN_FLIGHT = 4;
// A probe (ping) with no pong after this long is sent again, in case the ping itself was lost.
const PROBE_RETRY_MS = 10000;
const TICK_MS = 1000;

/** Calls `tick()` every second: the periodic sync and the ack timeouts are checked there. */
function everySecond(tick) {
  return setInterval(tick, TICK_MS);
}

function pageVisible() {
  return typeof document === "undefined" || document.visibilityState !== "hidden";
}

/** How long to wait for the ack of a send after `resends` timeout re-sends of it since the last (re)connect. */
export function ackTimeout(resends, random = Math.random) {
  const base = Math.min(ACK_TIMEOUT_MAX_MS, ACK_TIMEOUT_MS * 2 ** resends);
  return Math.round(base * (1 - ACK_JITTER + 2 * ACK_JITTER * random()));
}

export function backoffDelay(attempt, { minimum = 0, random = Math.random } = {}) {
  const ceiling = Math.max(minimum, Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
  // "Equal jitter": between half and all of the ceiling, so clients that lost the
  // same server do not come back in one wave, and the floor still grows.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export class HearthSocket {
  constructor(path, { onFrame = () => {}, onStatus = () => {}, onMalformed = () => {}, helloType = "hello" } = {}) {
    this.path = path;
    this.helloType = helloType; // the frame that proves the server took us ("room.hello" on a room socket)
    this.onFrame = onFrame;
    // Told about data that is not a frame (not JSON, or no `type`); the socket stays open either way.
    this.onMalformed = onMalformed;
    this.onStatus = onStatus;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.pingTimer = null;
    this.lastHeard = 0;
    this.stopped = false;
    this.status = "idle";
    this.nextRef = 1;
    this.waiting = new Map();
    this.minimumDelay = 0;
    // Proof of handling (AckTimer): frames sent on the current socket, the count when each
    // unanswered probe (a ping with a "probe:N" ref) was sent, and the count at the newest probe answered.
    this.generation = 0;
    this.sent = 0;
    this.probes = new Map();
    this.nextProbe = 1;
    this.lastProbeAt = 0;
    this.answeredMark = 0;
    this.answerListeners = new Set();
    window.addEventListener("offline", () => this._drop("offline"));
    window.addEventListener("online", () => this._reconnectSoon(0));
  }

  get url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}${this.path}`;
  }

  get isOpen() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN && this.status === "open");
  }

  start() {
    this.stopped = false;
    this._connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    if (this.ws) this.ws.close(1000, "bye");
    this._setStatus("closed", {});
  }

  /** Send a frame if the socket is open; returns false (and sends nothing) otherwise. */
  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    this.sent += 1;
    return true;
  }

  /** Where the last frame sent stands on this socket: pass it to `handledSince` later. */
  get position() {
    return { generation: this.generation, mark: this.sent };
  }

  /**
   * True once the server has answered a probe sent after `position` on this same socket. The server
   * handles a socket's frames in order and answers each before the next, so every frame up to
   * `position` has been handled and its answer, if it has one, sent before that pong.
   */
  handledSince(position) {
    return Boolean(position) && position.generation === this.generation && this.answeredMark > position.mark;
  }

  /** Send a ping that will prove `position` handled, unless one sent after it is still recent. */
  probe(position, now = Date.now()) {
    if (!this.isOpen || this.handledSince(position)) return;
    const pending = position && position.generation === this.generation && this._newestProbe() > position.mark;
    if (pending && now - this.lastProbeAt < PROBE_RETRY_MS) return;
    this._sendProbe(now);
  }

  /** `listener()` runs each time a probe is answered (clients re-check their overdue sends at once). */
  onAnswered(listener) {
    this.answerListeners.add(listener);
  }

  _newestProbe() {
    let newest = 0;
    for (const mark of this.probes.values()) newest = Math.max(newest, mark);
    return newest;
  }

  _sendProbe(now = Date.now()) {
    const ref = `probe:${this.nextProbe++}`;
    if (!this.send({ type: "ping", ref })) return;
    this.probes.set(ref, this.sent);
    this.lastProbeAt = now;
  }

  _probeAnswered(ref) {
    const mark = this.probes.get(ref);
    if (mark === undefined) return;
    this.answeredMark = Math.max(this.answeredMark, mark);
    // Answered in order: every older probe has been handled too.
    for (const [other, otherMark] of this.probes) if (otherMark <= mark) this.probes.delete(other);
    for (const listener of this.answerListeners) listener();
  }

  /** Send and wait for the reply that echoes our ref; rejects with the error frame. */
  request(frame) {
    const ref = `r${this.nextRef++}`;
    return new Promise((resolve, reject) => {
      if (!this.send({ ...frame, ref })) {
        reject({ type: "error", code: "disconnected", message: "Not connected. We'll keep trying." });
        return;
      }
      const timer = setTimeout(() => {
        this.waiting.delete(ref);
        reject({ type: "error", code: "timeout", message: "No answer from Hearth. Please try again." });
      }, REQUEST_TIMEOUT_MS);
      this.waiting.set(ref, { resolve, reject, timer });
    });
  }

  _setStatus(status, detail) {
    this.status = status;
    this.onStatus(status, detail || {});
  }

  _connect() {
    clearTimeout(this.timer);
    if (this.stopped) return;
    if (navigator.onLine === false) {
      this._setStatus("reconnecting", { offline: true });
      return; // the "online" event brings us back
    }
    this._setStatus(this.attempt === 0 && this.status === "idle" ? "connecting" : "reconnecting", {});
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (error) {
      this._scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.generation += 1; // proofs of handling never carry over to another socket
    this.sent = 0;
    this.probes.clear();
    this.answeredMark = 0;
    ws.addEventListener("open", () => {
      this.lastHeard = Date.now();
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this._checkAlive(), PING_EVERY_MS);
    });
    ws.addEventListener("message", (event) => this._receive(ws, event));
    ws.addEventListener("close", (event) => this._closed(ws, event));
  }

  _receive(ws, event) {
    if (ws !== this.ws) return;
    this.lastHeard = Date.now();
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch (error) {
      console.log("Hearth: ignored a frame that is not JSON", error); // the socket stays open
      this.onMalformed(event.data);
      return;
    }
    if (!frame || typeof frame.type !== "string") {
      console.log("Hearth: ignored a frame without a type", frame);
      this.onMalformed(frame);
      return;
    }
    if (frame.type === this.helloType) {
      // Only a hello proves the server took us: reset the backoff here, not on open.
      this.attempt = 0;
      this.minimumDelay = 0;
      this._setStatus("open", {});
    }
    if (frame.type === "pong" && typeof frame.ref === "string" && frame.ref.startsWith("probe:")) this._probeAnswered(frame.ref);
    if (frame.ref !== undefined && this.waiting.has(frame.ref)) {
      const pending = this.waiting.get(frame.ref);
      this.waiting.delete(frame.ref);
      clearTimeout(pending.timer);
      if (frame.type === "error") pending.reject(frame);
      else pending.resolve(frame);
    }
    this.onFrame(frame);
  }

  _closed(ws, event) {
    if (ws !== this.ws) return;
    this.ws = null;
    clearInterval(this.pingTimer);
    for (const [ref, pending] of this.waiting) {
      clearTimeout(pending.timer);
      pending.reject({ type: "error", code: "disconnected", message: "The connection dropped. We'll keep trying." });
      this.waiting.delete(ref);
    }
    if (this.stopped) return;
    const stop = STOP_CODES[event.code];
    if (stop) {
      this.stopped = true;
      this._setStatus("closed", { code: event.code, reason: stop });
      return;
    }
    if (event.code === 4429) this.minimumDelay = RATE_LIMIT_MIN_MS;
    this._scheduleReconnect();
  }

  _scheduleReconnect() {
    const delay = backoffDelay(this.attempt, { minimum: this.minimumDelay });
    this.attempt += 1;
    this._setStatus("reconnecting", { delay });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this._connect(), delay);
  }

  _reconnectSoon(delay) {
    if (this.stopped || this.isOpen) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this._connect(), delay);
  }

  /** The network went away: close now rather than wait for TCP to notice. */
  _drop(reason) {
    if (this.stopped || !this.ws) return;
    const ws = this.ws;
    this._closed(ws, { code: 1006, reason });
    try {
      ws.close(4000, reason);
    } catch (error) {
      /* already closing */
    }
  }

  _checkAlive() {
    if (!this.ws) return;
    if (Date.now() - this.lastHeard > STALE_AFTER_MS) {
      this._drop("stale");
      return;
    }
    this._sendProbe(); // the liveness ping doubles as a probe (AckTimer)
  }
}

/**
 * When to re-send a message whose ack has not come while the socket stays open (docs/frontend.md,
 * "Re-sending without a reconnect"). Each outbox entry carries `resends` (timeout re-sends since the
 * last (re)connect), `dueAt` (when its ack is overdue: `ackTimeout(resends)` after its latest send) and
 * `position` (where that send stood on the socket).
 *
 * An overdue entry is re-sent only once the socket proves the server handled it (`handledSince`: a
 * probe sent after it was answered). Until then the send may simply be queued behind others on a busy
 * server, so the timer sends a probe and waits; a dead socket is the liveness check's and the
 * reconnect's business. At most `maxInFlight` re-sent entries await their answer at once.
 */
export class AckTimer {
  constructor(socket, { random = Math.random, maxInFlight = MAX_RESENDS_IN_FLIGHT } = {}) {
    this.socket = socket;
    this.random = random;
    this.maxInFlight = maxInFlight;
    this.inFlight = new Set(); // client_ids re-sent by the timeout and not answered yet
  }

  /** Record a send of `entry`: `resend` after its ack wait ran out, `reset` for the first send on a new socket. */
  sent(entry, { resend = false, reset = false, now = Date.now() } = {}) {
    entry.resends = reset ? 0 : (entry.resends || 0) + (resend ? 1 : 0);
    entry.position = this.socket.position;
    entry.dueAt = now + ackTimeout(entry.resends, this.random);
  }

  /** The entry was answered (ack, own message.created, error): its slot is free. */
  answered(clientId) {
    this.inFlight.delete(clientId);
  }

  /** A new socket: nothing re-sent on the old one is in flight on this one. */
  reset() {
    this.inFlight.clear();
  }

  /** Entries to re-send now (each takes a slot); sends a probe when an overdue one is not proven handled yet. */
  overdue(entries, now = Date.now()) {
    const resend = [];
    let unproven = null;
    for (const entry of entries) {
      if (entry.failed || entry.dueAt === undefined || now < entry.dueAt) continue;
      if (!this.socket.handledSince(entry.position)) {
        if (!unproven || entry.position.mark > unproven.mark) unproven = entry.position;
        continue;
      }
      if (!this.inFlight.has(entry.client_id)) {
        if (this.inFlight.size >= this.maxInFlight) continue; // waits for a slot
        this.inFlight.add(entry.client_id);
      }
      resend.push(entry);
    }
    if (unproven) this.socket.probe(unproven, now);
    return resend;
  }
}

/** The fields of an outbox entry worth keeping across a reload (the rest describe this page's socket). */
function stored(entry) {
  return { client_id: entry.client_id, text: entry.text, queued_at: entry.queued_at, failed: entry.failed };
}

export class ChatClient {
  /**
   * `handlers.onMessage(conversationId, message, {live})` for each new message in seq order;
   * `onPending(conversationId, entry)` when we queue our own; `onAck(conversationId, clientId, ack)`;
   * `onError(frame)` for refused frames.
   */
  constructor(socket, { userKey = "anon", onMessage = () => {}, onPending = () => {}, onAck = () => {}, onError = () => {}, ackTimer = {} } = {}) {
    this.socket = socket;
    this.acks = new AckTimer(socket, ackTimer);
    socket.onAnswered(() => this._resendOverdue());
    this.userKey = userKey;
    this.onMessage = onMessage;
    this.onPending = onPending;
    this.onAck = onAck;
    this.onError = onError;
    this.conversations = new Map();
    this.role = null;
    this.lastPeriodicSync = Date.now();
    this.timer = everySecond(() => this._tick());
    if (typeof document !== "undefined") document.addEventListener("visibilitychange", () => pageVisible() && this._syncAll());
  }

  /** Stop the periodic sync and ack timeouts (the page is leaving the chat for good). */
  close() {
    clearInterval(this.timer);
  }

  _tick(now = Date.now()) {
    if (!this.socket.isOpen || !pageVisible()) return;
    this._resendOverdue(now);
    if (now - this.lastPeriodicSync >= SYNC_EVERY_MS) this._syncAll(now);
  }

  /** Re-send what the server handled without its answer reaching us (AckTimer); the same client_id makes it safe. */
  _resendOverdue(now = Date.now()) {
    if (!this.socket.isOpen || !pageVisible()) return;
    for (const state of this.conversations.values()) {
      if (!state.synced) continue;
      for (const entry of this.acks.overdue(state.outbox.values(), now)) this._transmit(state.id, entry, { resend: true });
    }
  }

  _syncAll(now = Date.now()) {
    if (!this.socket.isOpen) return;
    this.lastPeriodicSync = now;
    for (const state of this.conversations.values()) {
      // A sync whose answer never came must not block the next one forever.
      if (state.syncing && now - (state.syncSentAt || 0) >= SYNC_EVERY_MS) state.syncing = false;
      if (state.synced) this.sync(state.id);
    }
  }

  conversation(id) {
    if (!this.conversations.has(id)) {
      this.conversations.set(id, { id, lastSeq: 0, buffer: new Map(), outbox: new Map(), syncing: false, synced: false });
      this._restoreOutbox(id);
    }
    return this.conversations.get(id);
  }

  forget(id) {
    this.conversations.delete(id);
    this._saveOutbox(id, new Map());
  }

  /** Feed every frame from the socket here; returns true if the frame was about messages. */
  handle(frame) {
    switch (frame.type) {
      case "hello":
        this.role = frame.user && frame.user.role;
        this.userKey = frame.user ? String(frame.user.id) : this.userKey;
        this.acks.reset();
        // The chat socket lists conversation objects; the staff socket the ids it has joined.
        for (const conversation of frame.conversations || []) this.conversation(typeof conversation === "object" ? conversation.id : conversation);
        for (const state of this.conversations.values()) {
          state.synced = false;
          state.syncing = false; // a sync in flight on the old socket will never be answered
          this.sync(state.id);
        }
        return true;
      case "conversation.waiting":
      case "conversation.started":
      case "conversation.joined": // staff socket: the transcript on joining
        this._state(frame);
        return true;
      case "message.created":
        this._apply(frame.conversation, frame.message, true);
        return true;
      case "conversation.messages":
        this._synced(frame);
        return true;
      case "message.ack":
        this._acked(frame);
        return true;
      case "message.held":
        // Screening kept it from the other side for good: shown as not sent, with the reason.
        this._sendFailed({ type: "error", code: "held", message: frame.notice, ref: `m:${frame.conversation}:${frame.client_id}` });
        return true;
      case "error":
        if (frame.ref && String(frame.ref).startsWith("m:")) this._sendFailed(frame);
        else if (frame.ref && String(frame.ref).startsWith("s:")) {
          const id = Number(String(frame.ref).slice(2));
          if (this.conversations.has(id)) this.conversation(id).syncing = false;
        }
        return false;
      default:
        return false;
    }
  }

  sync(id) {
    const state = this.conversation(id);
    if (state.syncing && this.socket.isOpen) return;
    state.syncing = this.socket.send({ type: "conversation.sync", conversation: id, after_seq: state.lastSeq, ref: `s:${id}` });
    state.syncSentAt = Date.now();
  }

  /** Queue a message; it is sent now if connected, and re-sent after every reconnect until acknowledged. */
  send(id, text) {
    const state = this.conversation(id);
    const entry = { client_id: uuid(), text, queued_at: new Date().toISOString(), failed: null };
    state.outbox.set(entry.client_id, entry);
    this._saveOutbox(id, state.outbox);
    this.onPending(id, entry);
    if (state.synced) this._transmit(id, entry);
    return entry;
  }

  pending(id) {
    return Array.from(this.conversation(id).outbox.values());
  }

  _transmit(id, entry, { resend = false, reset = false } = {}) {
    this.socket.send({ type: "message.send", conversation: id, client_id: entry.client_id, text: entry.text, ref: `m:${id}:${entry.client_id}` });
    this.acks.sent(entry, { resend, reset });
  }

  _flushOutbox(id) {
    const state = this.conversation(id);
    state.synced = true;
    // Once per (re)connect, everything; the ack waits start again from the first.
    for (const entry of state.outbox.values()) if (!entry.failed) this._transmit(id, entry, { reset: true });
  }

  _apply(id, message, live) {
    const state = this.conversation(id);
    if (message.seq <= state.lastSeq) return; // already seen: never shown twice
    if (message.seq > state.lastSeq + 1) {
      state.buffer.set(message.seq, message); // a gap: hold it, and fetch what is missing
      if (live) this.sync(id);
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
    if (message.client_id && state.outbox.has(message.client_id) && message.sender_role === this.role) {
      state.outbox.delete(message.client_id);
      this.acks.answered(message.client_id);
      this._saveOutbox(state.id, state.outbox);
    }
    this.onMessage(state.id, message, { live });
  }

  /**
   * A conversation's state with the first page of its transcript. A long transcript does not fit in
   * one frame: `has_more` says so, and the rest comes by `conversation.sync`, page after page, before
   * the outbox is sent (as after a reconnect).
   */
  _state(frame) {
    const id = frame.conversation.id;
    const state = this.conversation(id);
    for (const message of frame.messages || []) this._apply(id, message, false);
    if (frame.has_more || state.lastSeq < (frame.conversation.last_seq || 0)) {
      this.sync(id);
      return;
    }
    if (!state.synced) this._flushOutbox(id);
  }

  _synced(frame) {
    const state = this.conversation(frame.conversation);
    for (const message of frame.messages || []) this._apply(frame.conversation, message, false);
    state.syncing = false;
    if (frame.has_more || state.lastSeq < frame.last_seq) {
      this.sync(frame.conversation);
      return;
    }
    if (state.buffer.size) {
      this.sync(frame.conversation);
      return;
    }
    if (!state.synced) this._flushOutbox(frame.conversation);
  }

  _acked(frame) {
    const state = this.conversation(frame.conversation);
    state.outbox.delete(frame.client_id);
    this.acks.answered(frame.client_id);
    this._saveOutbox(state.id, state.outbox);
    this.onAck(frame.conversation, frame.client_id, frame);
    if (frame.seq > state.lastSeq + 1) this.sync(state.id); // our own message.created was lost
  }

  _sendFailed(frame) {
    const [, id, clientId] = String(frame.ref).split(":");
    const state = this.conversation(Number(id));
    const entry = state.outbox.get(clientId);
    if (!entry) return;
    this.acks.answered(clientId);
    if (["internal_error", "rate_limited", "busy"].includes(frame.code)) {
      const wait = frame.retry_after ? frame.retry_after * 1000 : frame.code === "rate_limited" ? 5000 : 2000;
      entry.dueAt = undefined; // answered: no ack wait until the planned retry sends it again
      setTimeout(() => state.outbox.has(clientId) && this._transmit(state.id, entry), wait);
      this.onError(frame, { conversation: state.id, client_id: clientId, retrying: true });
      return;
    }
    // Refused for good (too long, chat ended…): keep it visible as not sent, never retry.
    entry.failed = frame.code;
    state.outbox.delete(clientId);
    this._saveOutbox(state.id, state.outbox);
    this.onError(frame, { conversation: state.id, client_id: clientId, retrying: false });
  }

  _storageKey(id) {
    return `hearth.outbox.${this.userKey}.${id}`;
  }

  _saveOutbox(id, outbox) {
    try {
      const key = this._storageKey(id);
      if (outbox.size) sessionStorage.setItem(key, JSON.stringify(Array.from(outbox.values(), stored)));
      else sessionStorage.removeItem(key);
    } catch (error) {
      /* storage unavailable: the in-memory outbox still works */
    }
  }

  _restoreOutbox(id) {
    try {
      const saved = JSON.parse(sessionStorage.getItem(this._storageKey(id)) || "[]");
      const state = this.conversations.get(id);
      for (const entry of saved) {
        state.outbox.set(entry.client_id, entry);
        this.onPending(id, entry);
      }
    } catch (error) {
      /* ignore a damaged entry */
    }
  }
}

/**
 * RoomClient: the same guarantees as ChatClient for one group room on /ws/v1/rooms/<id>/.
 *
 * The first `room.hello` starts the log at its oldest message (older ones are paged in on request);
 * every later hello (a reconnect) is applied like a sync page, then `room.sync` from the highest seq
 * fills any gap, repeated while `has_more`, and only then is the outbox re-sent with the original
 * client_ids. Own messages are recognised by client_id (kept in sessionStorage until acknowledged).
 * `room.message.updated` (removed, released, hidden) replaces a message in place and never moves lastSeq.
 */
export class RoomClient {
  constructor(socket, roomId, { onHello = () => {}, onMessage = () => {}, onUpdate = () => {}, onPending = () => {}, onAck = () => {}, onError = () => {}, ackTimer = {} } = {}) {
    this.socket = socket;
    this.acks = new AckTimer(socket, ackTimer);
    socket.onAnswered(() => this._resendOverdue());
    this.roomId = roomId;
    this.onHello = onHello;
    this.onMessage = onMessage;
    this.onUpdate = onUpdate;
    this.onPending = onPending;
    this.onAck = onAck;
    this.onError = onError;
    this.alias = null;
    this.started = false;
    this.lastSeq = 0;
    this.buffer = new Map();
    this.outbox = new Map();
    this.syncing = false;
    this.synced = false;
    this.lastPeriodicSync = Date.now();
    this.timer = everySecond(() => this._tick());
    if (typeof document !== "undefined") document.addEventListener("visibilitychange", () => pageVisible() && this._periodicSync());
  }

  /** Stop the periodic sync and ack timeouts. */
  close() {
    clearInterval(this.timer);
  }

  _tick(now = Date.now()) {
    if (!this.socket.isOpen || !pageVisible() || !this.synced) return;
    this._resendOverdue(now);
    if (now - this.lastPeriodicSync >= SYNC_EVERY_MS) this._periodicSync(now);
  }

  /** As ChatClient: re-send only what the server proved it handled without our getting the answer. */
  _resendOverdue(now = Date.now()) {
    if (!this.socket.isOpen || !pageVisible() || !this.synced) return;
    for (const entry of this.acks.overdue(this.outbox.values(), now)) this._transmit(entry, { resend: true });
  }

  _periodicSync(now = Date.now()) {
    if (!this.socket.isOpen || !this.synced) return;
    this.lastPeriodicSync = now;
    if (this.syncing && now - (this.syncSentAt || 0) >= SYNC_EVERY_MS) this.syncing = false;
    this.sync();
  }

  /** Feed every frame from the room socket here. */
  handle(frame) {
    switch (frame.type) {
      case "room.hello":
        this._hello(frame);
        return true;
      case "room.message.created":
        this._apply(frame.message, true);
        return true;
      case "room.messages":
        this._synced(frame);
        return true;
      case "room.message.ack":
        this._acked(frame);
        return true;
      case "room.message.updated":
      case "room.message.held":
        this.onUpdate(frame.message, { held: frame.type === "room.message.held" });
        return true;
      case "error":
        if (frame.ref && String(frame.ref).startsWith("rm:")) this._sendFailed(frame);
        else if (frame.ref === "rs") this.syncing = false;
        return false;
      default:
        return false;
    }
  }

  /** Queue a message; sent now if the room is synced, re-sent after every reconnect until acknowledged. */
  send(text) {
    const entry = { client_id: uuid(), text, queued_at: new Date().toISOString(), failed: null };
    this.outbox.set(entry.client_id, entry);
    this._save();
    this.onPending(entry);
    if (this.synced) this._transmit(entry);
    return entry;
  }

  isMine(message) {
    return Boolean(message && message.kind !== "system" && this.alias && message.sender_alias === this.alias);
  }

  sync() {
    if (this.syncing && this.socket.isOpen) return;
    this.syncing = this.socket.send({ type: "room.sync", after_seq: this.lastSeq, ref: "rs" });
    this.syncSentAt = Date.now();
  }

  _hello(frame) {
    this.alias = frame.you ? frame.you.alias : this.alias;
    const messages = frame.messages || [];
    if (!this.started) {
      this.started = true;
      this.lastSeq = messages.length ? messages[0].seq - 1 : frame.last_seq || 0;
      this._restore();
    }
    this.synced = false;
    this.syncing = false; // a sync sent on the old socket will never be answered
    this.acks.reset();
    this.onHello(frame);
    for (const message of messages) this._apply(message, false);
    this.sync();
  }

  _transmit(entry, { resend = false, reset = false } = {}) {
    this.socket.send({ type: "room.message.send", client_id: entry.client_id, text: entry.text, ref: `rm:${entry.client_id}` });
    this.acks.sent(entry, { resend, reset });
  }

  _flush() {
    this.synced = true;
    for (const entry of this.outbox.values()) if (!entry.failed) this._transmit(entry, { reset: true });
  }

  _apply(message, live) {
    if (message.seq <= this.lastSeq) return;
    if (message.seq > this.lastSeq + 1) {
      this.buffer.set(message.seq, message);
      if (live) this.sync();
      return;
    }
    this._accept(message, live);
    while (this.buffer.has(this.lastSeq + 1)) {
      const next = this.buffer.get(this.lastSeq + 1);
      this.buffer.delete(next.seq);
      this._accept(next, live);
    }
    for (const seq of this.buffer.keys()) if (seq <= this.lastSeq) this.buffer.delete(seq);
  }

  _accept(message, live) {
    this.lastSeq = message.seq;
    if (message.client_id && this.outbox.has(message.client_id) && this.isMine(message)) {
      this.outbox.delete(message.client_id);
      this.acks.answered(message.client_id);
      this._save();
    }
    this.onMessage(message, { live });
  }

  _synced(frame) {
    for (const message of frame.messages || []) this._apply(message, false);
    this.syncing = false;
    if (frame.has_more || this.lastSeq < frame.last_seq || this.buffer.size) {
      this.sync();
      return;
    }
    if (!this.synced) this._flush();
  }

  _acked(frame) {
    this.outbox.delete(frame.client_id);
    this.acks.answered(frame.client_id);
    this._save();
    this.onAck(frame.client_id, frame);
    if (frame.seq > this.lastSeq + 1) this.sync(); // our own message.created was lost (or someone else's)
  }

  _sendFailed(frame) {
    const clientId = String(frame.ref).slice(3);
    const entry = this.outbox.get(clientId);
    if (!entry) return;
    this.acks.answered(clientId);
    if (["internal_error", "rate_limited", "slow_mode", "busy"].includes(frame.code)) {
      const wait = frame.retry_after ? frame.retry_after * 1000 : 2000;
      entry.dueAt = undefined; // answered: no ack wait until the planned retry sends it again
      setTimeout(() => this.outbox.has(clientId) && this.synced && this._transmit(entry), wait);
      this.onError(frame, { client_id: clientId, retrying: true });
      return;
    }
    // Refused for good (room closed, muted, too long…): shown as not sent, never retried.
    entry.failed = frame.code;
    this.outbox.delete(clientId);
    this._save();
    this.onError(frame, { client_id: clientId, retrying: false });
  }

  _key() {
    return `hearth.room-outbox.${this.alias || "anon"}.${this.roomId}`;
  }

  _save() {
    try {
      if (this.outbox.size) sessionStorage.setItem(this._key(), JSON.stringify(Array.from(this.outbox.values(), stored)));
      else sessionStorage.removeItem(this._key());
    } catch (error) {
      /* storage unavailable: the in-memory outbox still works */
    }
  }

  _restore() {
    try {
      for (const entry of JSON.parse(sessionStorage.getItem(this._key()) || "[]")) {
        this.outbox.set(entry.client_id, entry);
        this.onPending(entry);
      }
    } catch (error) {
      /* ignore a damaged entry */
    }
  }
}
