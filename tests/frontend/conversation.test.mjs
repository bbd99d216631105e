// node --test tests/frontend/: the one conversation client that chats and rooms share (conversation.js).
//
// A fake socket records what the client sends and says whether the server has proved a send handled;
// the tests play the server with plain frames (docs/protocol.md). Every scenario is run for a chat and
// for a room, because the point of one client is that both behave the same.

import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";

import { ChatClient, RoomClient, retryWait } from "../../frontend/static/frontend/js/conversation.js";
import { ACK_TIMEOUT_MS, HearthSocket } from "../../frontend/static/frontend/js/socket.js";

/** The part of HearthSocket the client uses. `proved` says whether a probe answered after a send. */
class FakeSocket {
  constructor() {
    this.sent = [];
    this.isOpen = true;
    this.proved = false;
    this.position = { generation: 1, mark: 0 };
    this.answered = [];
  }
  send(frame) {
    if (!this.isOpen) return false;
    this.sent.push(frame);
    this.position = { generation: 1, mark: this.sent.length };
    return true;
  }
  onAnswered(listener) {
    this.answered.push(listener);
  }
  handledSince() {
    return this.proved;
  }
  probe() {}
  take(type) {
    const frames = this.sent.filter((frame) => frame.type === type);
    this.sent = this.sent.filter((frame) => frame.type !== type);
    return frames;
  }
}

class MemoryStorage {
  constructor() {
    this.items = new Map();
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
  removeItem(key) {
    this.items.delete(key);
  }
}

beforeEach(() => {
  globalThis.sessionStorage = new MemoryStorage();
});

const CONVERSATION = 12;
const ROOM = 4;

/** A chat (one conversation) or a room, driven through the same few verbs so each test runs on both. */
const KINDS = {
  chat: {
    sendType: "message.send",
    syncType: "conversation.sync",
    make(socket, handlers = {}) {
      const shown = [];
      const client = new ChatClient(socket, { ...handlers, onMessage: (id, message) => shown.push(message.seq) });
      return { client, shown, send: (text) => client.send(CONVERSATION, text), pending: () => client.pending(CONVERSATION) };
    },
    message: (seq, extra = {}) => ({ conversation: CONVERSATION, seq, kind: "text", sender_role: "listener", sender_alias: "Sam", text: `m${seq}`, client_id: null, ...extra }),
    own: (seq, clientId) => KINDS.chat.message(seq, { sender_role: "seeker", sender_alias: "Me", client_id: clientId }),
    hello: () => ({ type: "hello", user: { id: 7, role: "seeker" }, conversations: [{ id: CONVERSATION, status: "active" }] }),
    page: (messages, lastSeq, hasMore = false) => ({ type: "conversation.messages", conversation: CONVERSATION, status: "active", messages, last_seq: lastSeq, has_more: hasMore, ref: `s:${CONVERSATION}` }),
    created: (message) => ({ type: "message.created", conversation: CONVERSATION, message }),
    ack: (clientId, seq) => ({ type: "message.ack", conversation: CONVERSATION, client_id: clientId, seq, ref: `m:${CONVERSATION}:${clientId}` }),
    refusal: (clientId, fields) => ({ type: "error", message: "Not now.", ref: `m:${CONVERSATION}:${clientId}`, ...fields }),
  },
  room: {
    sendType: "room.message.send",
    syncType: "room.sync",
    make(socket, handlers = {}) {
      const shown = [];
      const client = new RoomClient(socket, ROOM, { ...handlers, onMessage: (message) => shown.push(message.seq) });
      return { client, shown, send: (text) => client.send(text), pending: () => client.pending() };
    },
    message: (seq, extra = {}) => ({ room: ROOM, seq, kind: "text", sender_alias: "Sam", text: `r${seq}`, client_id: null, status: "visible", ...extra }),
    own: (seq, clientId) => KINDS.room.message(seq, { sender_alias: "Me", client_id: clientId }),
    hello: (messages = [], lastSeq = 0) => ({ type: "room.hello", you: { alias: "Me" }, messages, last_seq: lastSeq, has_more_before: false }),
    page: (messages, lastSeq, hasMore = false) => ({ type: "room.messages", room: ROOM, messages, last_seq: lastSeq, has_more: hasMore, ref: "rs" }),
    created: (message) => ({ type: "room.message.created", message }),
    ack: (clientId, seq) => ({ type: "room.message.ack", client_id: clientId, seq, ref: `rm:${clientId}` }),
    refusal: (clientId, fields) => ({ type: "error", message: "Not now.", ref: `rm:${clientId}`, ...fields }),
  },
};

/** Connect and answer the first sync with `messages` (1..n), so the stream is synced and live. */
function connected(kind, messages = []) {
  const socket = new FakeSocket();
  const page = KINDS[kind].make(socket);
  page.socket = socket;
  page.client.handle(KINDS[kind].hello());
  socket.take(KINDS[kind].syncType);
  page.client.handle(KINDS[kind].page(messages, messages.length));
  return page;
}

for (const kind of Object.keys(KINDS)) {
  const K = KINDS[kind];

  test(`${kind}: after a reconnect the client asks only for what came after the last seq it showed`, () => {
    const page = connected(kind, [K.message(1), K.message(2), K.message(3)]);
    try {
      page.client.handle(K.created(K.message(4)));
      page.socket.isOpen = false; // the connection drops; the server goes on without us
      page.socket.isOpen = true;
      page.client.handle(K.hello());
      const [sync] = page.socket.take(K.syncType);
      assert.equal(sync.after_seq, 4);
      // The server answers with what was missed, overlapping what we had: each shown once, in order.
      page.client.handle(K.page([K.message(4), K.message(5), K.message(6)], 6));
      assert.deepEqual(page.shown, [1, 2, 3, 4, 5, 6]);
      assert.equal(page.socket.take(K.syncType).length, 0, "nothing more to ask for");
    } finally {
      page.client.close();
    }
  });

  test(`${kind}: an unacknowledged message is sent again after the reconnect's sync, with its first client_id, once`, () => {
    const page = connected(kind, [K.message(1)]);
    try {
      const acked = page.send("this one gets its ack");
      const lost = page.send("this one's ack is lost");
      const [first, second] = page.socket.take(K.sendType);
      assert.deepEqual([first.client_id, second.client_id], [acked.client_id, lost.client_id]);
      page.client.handle(K.ack(acked.client_id, 2));
      page.client.handle(K.created(K.own(2, acked.client_id)));

      page.client.handle(K.hello());
      assert.equal(page.socket.take(K.sendType).length, 0, "nothing is re-sent before the gap is known to be filled");
      const [sync] = page.socket.take(K.syncType);
      assert.equal(sync.after_seq, 2);
      page.client.handle(K.page([], 2));
      const resent = page.socket.take(K.sendType);
      assert.deepEqual(
        resent.map((frame) => [frame.client_id, frame.text]),
        [[lost.client_id, "this one's ack is lost"]],
      );
      page.client.handle(K.ack(lost.client_id, 3));
      assert.deepEqual(page.pending(), []);
    } finally {
      page.client.close();
    }
  });

  test(`${kind}: a reload sends what the page had not got through, with the same client_id`, () => {
    const before = connected(kind);
    const entry = before.send("typed just before the reload");
    before.client.close();
    const after = connected(kind); // a new page, the same tab's sessionStorage
    try {
      const [resent] = after.socket.take(K.sendType);
      assert.equal(resent.client_id, entry.client_id);
      assert.equal(resent.text, "typed just before the reload");
    } finally {
      after.client.close();
    }
  });

  test(`${kind}: on an open socket an overdue message is re-sent only once the server proves it handled the send`, () => {
    const page = connected(kind);
    try {
      const entry = page.send("hello?");
      page.socket.take(K.sendType);
      const later = Date.now() + 2 * ACK_TIMEOUT_MS;
      page.client._tick(later);
      assert.equal(page.socket.take(K.sendType).length, 0, "maybe still queued on a busy server");
      page.socket.proved = true; // a probe sent after it came back
      page.client._tick(later);
      const [resent] = page.socket.take(K.sendType);
      assert.equal(resent.client_id, entry.client_id);
    } finally {
      page.client.close();
    }
  });

  test(`${kind}: a refusal that is final shows as not sent and is never sent again`, () => {
    const errors = [];
    const socket = new FakeSocket();
    const page = K.make(socket, { onError: (frame, info) => errors.push([frame.code, info.retrying]) });
    try {
      page.client.handle(K.hello());
      page.client.handle(K.page([], 0));
      const entry = page.send("x".repeat(10));
      socket.take(K.sendType);
      page.client.handle(K.refusal(entry.client_id, { code: "message_too_long" }));
      assert.deepEqual(errors, [["message_too_long", false]]);
      page.client.handle(K.hello());
      page.client.handle(K.page([], 0));
      assert.equal(socket.take(K.sendType).length, 0);
      assert.deepEqual(page.pending(), []);
    } finally {
      page.client.close();
    }
  });

  test(`${kind}: a malformed frame is logged and ignored, and the stream goes on as before`, (t) => {
    const logged = t.mock.method(console, "log", () => {});
    const page = connected(kind, [K.message(1)]);
    try {
      const entry = page.send("still mine");
      page.socket.take(K.sendType);
      const broken = [
        K.created(null),
        K.created({ ...K.message(2), seq: "2" }),
        K.created({ ...K.message(2), seq: -1 }),
        K.page("not a list", 5),
        K.page([K.message(2)], "three"),
        { ...K.ack(entry.client_id, 2), client_id: 42 },
        kind === "chat" ? { ...K.created(K.message(2)), conversation: "twelve" } : K.created({ ...K.message(2), seq: 2.5 }),
      ];
      for (const frame of broken) assert.equal(page.client.handle(frame), false, JSON.stringify(frame));
      assert.equal(logged.mock.callCount(), broken.length, "each one logged");
      assert.equal(page.client.handle(null), false);
      assert.deepEqual(page.shown, [1], "nothing shown from a broken frame");
      assert.deepEqual(
        page.pending().map((pending) => pending.client_id),
        [entry.client_id],
        "the outbox is untouched",
      );
      assert.equal(page.socket.take(K.syncType).length, 0, "a broken frame asks for nothing");
      page.client.handle(K.created(K.message(2)));
      page.client.handle(K.ack(entry.client_id, 3));
      assert.deepEqual(page.shown, [1, 2]);
      assert.deepEqual(page.pending(), []);

      // A page with one broken message among good ones: the good ones are shown, the broken one logged.
      logged.mock.resetCalls();
      page.client.handle(K.created(K.message(5))); // a gap: 3 and 4 are asked for
      const [sync] = page.socket.take(K.syncType);
      assert.equal(sync.after_seq, 2, "asks from the last seq shown");
      assert.equal(page.client.handle(K.page([K.own(3, entry.client_id), { text: "no seq" }, K.message(4)], 5)), true);
      assert.deepEqual(page.shown, [1, 2, 3, 4, 5]);
      assert.equal(logged.mock.callCount(), 1);
    } finally {
      page.client.close();
    }
  });
}

test("a refusal that says try again is retried after the same wait on a chat and in a room", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const refusals = [
    { code: "rate_limited", retry_after: 4 },
    { code: "rate_limited" },
    { code: "busy", retry_after: 1 },
    { code: "internal_error" },
    { code: "slow_mode", retry_after: 30 },
  ];
  const waits = {};
  for (const kind of Object.keys(KINDS)) {
    const K = KINDS[kind];
    waits[kind] = [];
    const page = connected(kind);
    try {
      for (const fields of refusals) {
        const entry = page.send("again");
        page.socket.take(K.sendType);
        page.client.handle(K.refusal(entry.client_id, fields));
        let waited = 0;
        while (!page.socket.take(K.sendType).length && waited < 120_000) {
          t.mock.timers.tick(100);
          waited += 100;
        }
        waits[kind].push(waited);
        page.client.handle(K.ack(entry.client_id, 1));
      }
    } finally {
      page.client.close();
    }
  }
  assert.deepEqual(waits.room, waits.chat);
  assert.deepEqual(waits.chat, [4000, 5000, 1000, 2000, 30_000]);
  assert.deepEqual(waits.chat, refusals.map((fields) => retryWait(fields)));
});

test("chat and room sockets back off the same way after the same closes", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const sockets = [];
  globalThis.window = { addEventListener() {} };
  globalThis.location = { protocol: "https:", host: "hearth.test" };
  const realNavigator = Object.getOwnPropertyDescriptor(globalThis, "navigator");
  Object.defineProperty(globalThis, "navigator", { value: { onLine: true }, configurable: true, writable: true });
  globalThis.WebSocket = class {
    static OPEN = 1;
    constructor(url) {
      this.url = url;
      this.readyState = 1;
      this.listeners = {};
      sockets.push(this);
    }
    addEventListener(type, listener) {
      (this.listeners[type] ||= []).push(listener);
    }
    close() {}
    emit(type, event) {
      for (const listener of this.listeners[type] || []) listener(event);
    }
  };
  const closes = [1006, 1006, 1011, 4429, 1006, 1006, 1006, 1006, 1006];
  const delaysOf = (path, helloType) => {
    const delays = [];
    const socket = new HearthSocket(path, { helloType, random: () => 0.5, onStatus: (status, detail) => status === "reconnecting" && detail.delay !== undefined && delays.push(detail.delay) });
    socket.start();
    for (const code of closes) {
      sockets.at(-1).emit("close", { code });
      t.mock.timers.tick(delays.at(-1)); // the reconnect
    }
    socket.stop();
    return delays;
  };
  try {
    const chat = delaysOf("/ws/v1/chat/", "hello");
    const room = delaysOf(`/ws/v1/rooms/${ROOM}/`, "room.hello");
    assert.deepEqual(room, chat);
    assert.deepEqual(chat, [375, 750, 1500, 3750, 6000, 11250, 11250, 11250, 11250]);
  } finally {
    delete globalThis.window;
    delete globalThis.location;
    delete globalThis.WebSocket;
    if (realNavigator) Object.defineProperty(globalThis, "navigator", realNavigator);
    else delete globalThis.navigator;
  }
});

afterEach(() => {
  delete globalThis.sessionStorage;
});
