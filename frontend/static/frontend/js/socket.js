// A websocket that reconnects by itself, and the rule for re-sending on an open socket.
//
// HearthSocket: one socket, jittered exponential backoff (0.5 s doubling to 15 s), a liveness ping,
// close codes from docs/protocol.md (4401/4403/4404/4410 stop; 4429 waits >= 5 s), and
// request(frame) that resolves with the reply carrying the same `ref`. Chat and room sockets are the
// same class: only the frame that proves the server took us (`helloType`) differs.
//
// AckTimer: a message with no ack is re-sent on an open socket only when the socket proves the
// server has handled it: its ack wait has run out (10 s, doubling per re-send to 60 s, ±20 %) AND the
// server has answered a ping sent after it. The server handles a socket's frames one at a time, in
// order, so that pong means the send was handled and its answer lost; without the pong the send is
// still queued on a busy server (or the socket is dead, which the liveness check and the reconnect
// handle), and a re-send would only lengthen the queue. At most MAX_RESENDS_IN_FLIGHT such re-sends
// are unanswered at once per socket.
//
// The conversation client that uses both (resume by seq, outbox, periodic sync) is in conversation.js.

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
// The wait for an ack: ACK_TIMEOUT_MS after a send, doubling after each timeout re-send up to
// ACK_TIMEOUT_MAX_MS, each wait ±ACK_JITTER so sends re-sent together after a reconnect spread out.
export const ACK_TIMEOUT_MS = 10000;
export const ACK_TIMEOUT_MAX_MS = 60000;
export const ACK_JITTER = 0.2;
// Timeout re-sends unanswered at once, per socket: a burst of lost sends is re-sent a few at a time.
export const MAX_RESENDS_IN_FLIGHT = 4;
// A probe (ping) with no pong after this long is sent again, in case the ping itself was lost.
const PROBE_RETRY_MS = 10000;

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
  constructor(path, { onFrame = () => {}, onStatus = () => {}, onMalformed = () => {}, helloType = "hello", random = Math.random } = {}) {
    this.path = path;
    this.random = random; // the backoff's jitter
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
    const delay = backoffDelay(this.attempt, { minimum: this.minimumDelay, random: this.random });
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
