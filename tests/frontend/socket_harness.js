// Drives the web app's socket.js against a scripted server, on a clock the test sets.
//
// Loaded by tests/frontend/test_socket_js.py into a blank page. `WebSocket` is replaced by FakeSocket
// (the test reads what the page sent and hands it frames) and `Date.now` by a clock that only moves
// when a scenario says so; the clients' once-a-second timers are stopped and `_tick()` is called by hand,
// so every scenario runs synchronously and gives the same result every time.

import { ChatClient, RoomClient } from "/static/frontend/js/conversation.js";
import { ACK_TIMEOUT_MS, AckTimer, HearthSocket, ackTimeout } from "/static/frontend/js/socket.js";

let clock = 1_000_000;
Date.now = () => clock;

class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;

  constructor(url) {
    this.url = url;
    this.readyState = FakeSocket.OPEN;
    this.sent = [];
    this.listeners = {};
  }

  addEventListener(type, listener) {
    (this.listeners[type] ||= []).push(listener);
  }

  send(data) {
    this.sent.push({ at: clock, frame: JSON.parse(data) });
  }

  close() {
    this.readyState = FakeSocket.CLOSED;
  }

  emit(type, event) {
    for (const listener of this.listeners[type] || []) listener(event);
  }

  deliver(frame) {
    this.emit("message", { data: JSON.stringify(frame) });
  }
}
window.WebSocket = FakeSocket;

/**
 * A scripted server for one page socket. `serve()` answers every frame sent since the last call, in
 * order, as Hearth would, except what the scenario says to lose: `loseSends` (client_ids whose
 * message.send never arrives), `loseNext` (the same, once) and `loseAcks` (handled, answer lost).
 * `busy` answers nothing (frames wait their turn).
 */
class Script {
  constructor(socket, { room = false } = {}) {
    this.socket = socket;
    this.room = room;
    this.read = 0;
    this.seqs = new Map();
    this.loseSends = new Set();
    this.loseAcks = new Set();
    this.loseNext = new Set(); // client_ids whose next message.send is lost, once
    this.busy = false;
  }

  get ws() {
    return this.socket.ws;
  }

  open(helloFrame) {
    this.read = 0;
    this.ws.emit("open", {});
    this.ws.deliver(helloFrame);
    this.serve();
  }

  serve() {
    while (!this.busy && this.read < this.ws.sent.length) {
      const { frame } = this.ws.sent[this.read++];
      this.answer(frame);
    }
  }

  answer(frame) {
    switch (frame.type) {
      case "ping":
        this.ws.deliver({ type: "pong", ref: frame.ref });
        break;
      case "conversation.sync":
        this.ws.deliver({ type: "conversation.messages", conversation: frame.conversation, messages: [], last_seq: 0, has_more: false, ref: frame.ref });
        break;
      case "room.sync":
        this.ws.deliver({ type: "room.messages", messages: [], last_seq: 0, has_more: false, ref: frame.ref });
        break;
      case "message.send":
      case "room.message.send": {
        if (this.loseSends.has(frame.client_id)) return;
        if (this.loseNext.delete(frame.client_id)) return;
        if (!this.seqs.has(frame.client_id)) this.seqs.set(frame.client_id, this.seqs.size + 1);
        if (this.loseAcks.has(frame.client_id)) return;
        const seq = this.seqs.get(frame.client_id);
        const type = this.room ? "room.message.ack" : "message.ack";
        this.ws.deliver({ type, conversation: frame.conversation, client_id: frame.client_id, seq: 100 + seq, ref: frame.ref });
        break;
      }
      default:
        break;
    }
  }
}

const CHAT_HELLO = { type: "hello", user: { id: 7, role: "seeker" }, conversations: [{ id: 5, status: "active" }] };
const ROOM_HELLO = { type: "room.hello", you: { alias: "Quiet1" }, messages: [], last_seq: 0 };

function chatPage(options = {}) {
  sessionStorage.clear();
  const socket = new HearthSocket("/ws/v1/chat/", {});
  const client = new ChatClient(socket, { ...options, onMessage: () => {}, onAck: () => {} });
  client.close(); // the test calls _tick() itself
  socket.onFrame = (frame) => client.handle(frame);
  socket.start();
  const script = new Script(socket);
  script.open(CHAT_HELLO);
  return { socket, client, script };
}

/** Move the clock in 1 s steps to `until`, ticking the client and letting the server answer after each tick. */
function runUntil(page, until) {
  while (clock < until) {
    clock += 1000;
    page.client._tick();
    page.script.serve();
  }
}

const sendsOf = (ws, clientId) => ws.sent.filter(({ frame }) => frame.client_id === clientId && frame.type.endsWith("message.send"));
const probesIn = (ws) => ws.sent.filter(({ frame }) => frame.type === "ping");

window.scenarios = {
  /** The ack waits: 10 s doubling to 60 s, ±20 %. */
  waits() {
    const middle = [0, 1, 2, 3, 4, 8].map((resends) => ackTimeout(resends, () => 0.5));
    const low = [0, 1, 2, 3, 4].map((resends) => ackTimeout(resends, () => 0));
    const high = [0, 1, 2, 3, 4].map((resends) => ackTimeout(resends, () => 1));
    return { middle, low, high, first: ACK_TIMEOUT_MS };
  },

  /** The server holds every frame (busy): however long the wait, the message is sent once; probes only. */
  busyServerGetsNoResend() {
    const page = chatPage({ ackTimer: { random: () => 0.5 } });
    const start = clock;
    page.script.busy = true;
    const entry = page.client.send(5, "are you there?");
    runUntil(page, start + 120_000);
    const whileBusy = { sends: sendsOf(page.socket.ws, entry.client_id).length, probes: probesIn(page.socket.ws).map(({ at }) => (at - start) / 1000) };
    const stored = JSON.parse(sessionStorage.getItem("hearth.outbox.7.5"));
    page.script.busy = false;
    page.script.serve(); // the server reaches the send at last, then the probes
    return {
      whileBusy,
      after: { sends: sendsOf(page.socket.ws, entry.client_id).length, pending: page.client.pending(5).length },
      storedKeys: Object.keys(stored[0]).sort(),
    };
  },

  /** A lost send on a live socket: re-sent once a probe proves it was handled, at 10, 30, 70, 130, 190 s. */
  lostSendBacksOff() {
    const page = chatPage({ ackTimer: { random: () => 0.5 } });
    const start = clock;
    const entry = page.client.send(5, "hello");
    page.script.loseSends.add(entry.client_id);
    page.script.serve();
    runUntil(page, start + 200_000);
    const times = sendsOf(page.socket.ws, entry.client_id).map(({ at }) => (at - start) / 1000);
    page.script.loseSends.clear();
    runUntil(page, clock + 60_000);
    return { times, resends: entry.resends, pending: page.client.pending(5).length, storedOnce: page.script.seqs.size };
  },

  /** A reconnect re-sends once after the sync and starts the waits again from 10 s; old proofs do not count. */
  reconnectResetsTheWait() {
    const page = chatPage({ ackTimer: { random: () => 0.5 } });
    const start = clock;
    const entry = page.client.send(5, "hello");
    page.script.loseAcks.add(entry.client_id);
    page.script.serve();
    runUntil(page, start + 30_000); // re-sent at 10 s and 30 s
    const before = sendsOf(page.socket.ws, entry.client_id).length;
    const oldPosition = entry.position;
    page.socket.ws.readyState = FakeSocket.CLOSED;
    page.socket.ws.emit("close", { code: 1006 });
    page.socket._connect(); // the backoff timer, without waiting for it
    const provedOnNewSocket = page.socket.handledSince(oldPosition);
    const reconnectedAt = clock;
    page.script.open(CHAT_HELLO);
    const afterHello = sendsOf(page.socket.ws, entry.client_id).map(({ at }) => (at - reconnectedAt) / 1000);
    const inFlightAfterHello = page.client.acks.inFlight.size;
    runUntil(page, reconnectedAt + 30_000);
    return {
      before,
      provedOnNewSocket,
      onNewSocket: sendsOf(page.socket.ws, entry.client_id).map(({ at }) => (at - reconnectedAt) / 1000),
      afterHello,
      inFlightAfterHello,
    };
  },

  /** Ten sends handled but their acks lost: at most four re-sent at once; an answer frees a slot. */
  resendsAreCapped() {
    const page = chatPage({ ackTimer: { random: () => 0.5 } });
    const start = clock;
    const entries = [];
    for (let i = 0; i < 10; i += 1) {
      const entry = page.client.send(5, `m${i}`);
      page.script.loseAcks.add(entry.client_id);
      entries.push(entry);
    }
    page.script.serve();
    runUntil(page, start + 10_000);
    const resent = () => entries.filter((entry) => sendsOf(page.socket.ws, entry.client_id).length > 1);
    const first = resent().map((entry) => entry.text);
    const firstCount = page.socket.ws.sent.filter(({ frame }) => frame.type === "message.send").length;
    // The server answers the first re-sent one: its slot goes to one more.
    page.script.loseAcks.delete(resent()[0].client_id);
    page.socket.ws.deliver({ type: "message.ack", conversation: 5, client_id: resent()[0].client_id, seq: 101, ref: "m" });
    runUntil(page, start + 11_000);
    const second = resent().map((entry) => entry.text);
    const inFlight = page.client.acks.inFlight.size;
    // 20 s after their re-send, the four in flight are re-sent again in their own slots: no new one joins.
    runUntil(page, start + 30_000);
    const third = resent().map((entry) => entry.text);
    const perEntry = entries.map((entry) => sendsOf(page.socket.ws, entry.client_id).length);
    page.script.loseAcks.clear();
    runUntil(page, start + 200_000);
    return { first, firstCount, second, inFlight, third, perEntry, pending: page.client.pending(5).length };
  },

  /** A pong to a probe sent before the message proves nothing about it. */
  olderProbeProvesNothing() {
    const page = chatPage({ ackTimer: { random: () => 0.5 } });
    page.script.busy = true;
    page.socket.probe(null);
    const entry = page.client.send(5, "after the probe");
    const probe = probesIn(page.socket.ws)[0].frame;
    page.socket.ws.deliver({ type: "pong", ref: probe.ref });
    const provedByOlder = page.socket.handledSince(entry.position);
    clock += ACK_TIMEOUT_MS;
    page.client._tick();
    const sendsAfterTimeout = sendsOf(page.socket.ws, entry.client_id).length;
    const newProbe = probesIn(page.socket.ws).length;
    const last = probesIn(page.socket.ws).at(-1).frame;
    const position = entry.position;
    page.socket.ws.deliver({ type: "pong", ref: last.ref });
    return {
      provedByOlder,
      sendsAfterTimeout,
      newProbe,
      provedByNewer: page.socket.handledSince(position),
      sendsAfterNewerPong: sendsOf(page.socket.ws, entry.client_id).length,
    };
  },

  /** The room client follows the same rule: no re-send while busy; one after a probe proves the loss. */
  roomClient() {
    sessionStorage.clear();
    const socket = new HearthSocket("/ws/v1/rooms/3/", { helloType: "room.hello" });
    const client = new RoomClient(socket, 3, { ackTimer: { random: () => 0.5 } });
    client.close();
    socket.onFrame = (frame) => client.handle(frame);
    socket.start();
    const script = new Script(socket, { room: true });
    script.open(ROOM_HELLO);
    const page = { socket, client, script };
    const start = clock;
    const entry = client.send("hi room");
    script.busy = true;
    runUntil(page, start + 60_000);
    const whileBusy = sendsOf(socket.ws, entry.client_id).length;
    script.busy = false;
    script.loseNext.add(entry.client_id);
    script.serve(); // the send is lost; the probes after it are answered, so it is re-sent and acked
    runUntil(page, clock + 1000);
    return { whileBusy, after: sendsOf(socket.ws, entry.client_id).length, pending: client.pending().length };
  },

  /** AckTimer on its own: an answered entry frees its slot. */
  slotFreedByAnswer() {
    const socket = { position: { generation: 1, mark: 1 }, handledSince: () => true, probe: () => {} };
    const timer = new AckTimer(socket, { maxInFlight: 1, random: () => 0.5 });
    const a = { client_id: "a" };
    const b = { client_id: "b" };
    timer.sent(a, { now: 0 });
    timer.sent(b, { now: 0 });
    const first = timer.overdue([a, b], ACK_TIMEOUT_MS).map((entry) => entry.client_id);
    timer.answered("a");
    const second = timer.overdue([b], ACK_TIMEOUT_MS).map((entry) => entry.client_id);
    return { first, second };
  },

  /** A `busy` answer (a lock conflict: nothing stored) is sent again after `retry_after`, never marked failed. */
  busyAnswerIsRetried() {
    const page = chatPage({ ackTimer: { random: () => 0.5 } });
    const planned = [];
    const realSetTimeout = window.setTimeout;
    window.setTimeout = (fn, wait) => planned.push({ fn, wait });
    try {
      const entry = page.client.send(5, "hello");
      const [{ frame }] = sendsOf(page.socket.ws, entry.client_id);
      page.script.read = page.socket.ws.sent.length; // this send is answered by hand
      page.socket.ws.deliver({ type: "error", code: "busy", message: "Try again.", retry_after: 1, ref: frame.ref });
      const afterBusy = { failed: entry.failed ?? null, pending: page.client.pending(5).length, waits: planned.map(({ wait }) => wait) };
      planned.filter(({ wait }) => wait === 1000).forEach(({ fn }) => fn());
      page.script.serve();
      return { afterBusy, sends: sendsOf(page.socket.ws, entry.client_id).length, pending: page.client.pending(5).length };
    } finally {
      window.setTimeout = realSetTimeout;
    }
  },

  /** Screening held the message: shown as not sent with the server's reason, never sent again. */
  heldMessageIsNotSentAgain() {
    const page = chatPage({ ackTimer: { random: () => 0.5 } });
    const errors = [];
    page.client.onError = (frame, info) => errors.push({ code: frame.code, message: frame.message, retrying: info.retrying });
    const start = clock;
    const entry = page.client.send(5, "add me on snap");
    const [{ frame }] = sendsOf(page.socket.ws, entry.client_id);
    page.script.read = page.socket.ws.sent.length; // answered by hand
    page.socket.ws.deliver({ type: "message.held", conversation: 5, client_id: entry.client_id, duplicate: false, notice: "Not delivered.", ref: frame.ref });
    runUntil(page, start + 120_000);
    return { errors, failed: entry.failed, pending: page.client.pending(5).length, sends: sendsOf(page.socket.ws, entry.client_id).length };
  },
};

window.harnessReady = true;
