// node --test tests/frontend/: the web app's clients page through long transcripts (socket.js).
//
// The server sends a transcript in pages that fit one websocket frame (docs/protocol.md, "Pages"):
// `has_more` says another page follows. These tests play that server with plain objects; no browser.

import assert from "node:assert/strict";
import { test } from "node:test";

import { ChatClient, RoomClient } from "../../frontend/static/frontend/js/conversation.js";

/** The part of HearthSocket the clients use: records what was sent. */
class FakeSocket {
  constructor() {
    this.sent = [];
    this.isOpen = true;
    this.position = { generation: 1, mark: 0 };
  }
  send(frame) {
    this.sent.push(frame);
    this.position = { generation: 1, mark: this.sent.length };
    return true;
  }
  onAnswered() {}
  handledSince() {
    return false;
  }
  probe() {}
  take(type) {
    const frames = this.sent.filter((frame) => frame.type === type);
    this.sent = this.sent.filter((frame) => frame.type !== type);
    return frames;
  }
}

const CONVERSATION = 12;
const TOTAL = 600;
const PAGE = 37;
const message = (seq) => ({ conversation: CONVERSATION, seq, kind: "text", sender_role: "seeker", sender_alias: "A", text: `m${seq}`, client_id: `c${seq}` });

/** The server's answer to `after_seq`, as chat.payloads.messages_page builds it. */
function page(afterSeq) {
  const messages = [];
  for (let seq = afterSeq + 1; seq <= Math.min(TOTAL, afterSeq + PAGE); seq += 1) messages.push(message(seq));
  const next = messages.length ? messages[messages.length - 1].seq : afterSeq;
  return { messages, has_more: next < TOTAL, next_after_seq: next, last_seq: TOTAL };
}

test("a listener's client pages through a transcript larger than one frame, then sends its outbox once", () => {
  const socket = new FakeSocket();
  const shown = [];
  const client = new ChatClient(socket, { onMessage: (id, m) => shown.push(m.seq) });
  try {
    client.handle({ type: "hello", user: { id: 1, role: "listener" }, conversations: [] });
    client.send(CONVERSATION, "typed before the transcript arrived"); // queued: not synced yet
    assert.equal(socket.take("message.send").length, 0);

    const first = page(0);
    client.handle({ type: "conversation.started", conversation: { id: CONVERSATION, last_seq: TOTAL }, messages: first.messages, has_more: true, next_after_seq: first.next_after_seq });
    let pages = 1;
    for (;;) {
      const syncs = socket.take("conversation.sync");
      if (!syncs.length) break;
      assert.equal(syncs.length, 1, "one sync in flight at a time");
      assert.equal(socket.take("message.send").length, 0, "the outbox waits for the whole transcript");
      const answer = page(syncs[0].after_seq);
      client.handle({ type: "conversation.messages", conversation: CONVERSATION, status: "active", ref: syncs[0].ref, ...answer });
      pages += 1;
    }
    assert.deepEqual(shown, Array.from({ length: TOTAL }, (_, i) => i + 1), "every message once, in seq order");
    assert.equal(pages, Math.ceil(TOTAL / PAGE), "no page asked twice, none skipped");
    assert.equal(socket.take("message.send").length, 1);
  } finally {
    client.close();
  }
});

test("a page that arrives out of order is held until the gap before it is filled", () => {
  const socket = new FakeSocket();
  const shown = [];
  const client = new ChatClient(socket, { onMessage: (id, m) => shown.push(m.seq) });
  try {
    client.handle({ type: "hello", user: { id: 1, role: "seeker" }, conversations: [{ id: CONVERSATION }] });
    socket.take("conversation.sync");
    client.handle({ type: "conversation.messages", conversation: CONVERSATION, status: "active", messages: [], has_more: false, next_after_seq: 0, last_seq: 0 });
    client.handle({ type: "message.created", conversation: CONVERSATION, message: message(3) }); // live, ahead of 1 and 2
    assert.deepEqual(shown, []);
    const [sync] = socket.take("conversation.sync");
    assert.equal(sync.after_seq, 0);
    client.handle({ type: "conversation.messages", conversation: CONVERSATION, status: "active", messages: [message(1), message(2), message(3)], has_more: false, next_after_seq: 3, last_seq: 3 });
    client.handle({ type: "message.created", conversation: CONVERSATION, message: message(2) }); // a late duplicate
    assert.deepEqual(shown, [1, 2, 3]);
  } finally {
    client.close();
  }
});

test("a room client pages room.sync until has_more is false", () => {
  globalThis.sessionStorage ??= { getItem: () => null, setItem() {}, removeItem() {} };
  const socket = new FakeSocket();
  const shown = [];
  const roomMessage = (seq) => ({ room: 5, seq, kind: "text", sender_alias: "B", text: `r${seq}`, client_id: null, status: "visible" });
  const client = new RoomClient(socket, 5, { onMessage: (m) => shown.push(m.seq) });
  try {
    client.handle({ type: "room.hello", you: { alias: "A" }, messages: [roomMessage(1)], last_seq: 250, has_more_before: false });
    for (let rounds = 0; rounds < 50; rounds += 1) {
      const syncs = socket.take("room.sync");
      if (!syncs.length) break;
      const after = syncs[0].after_seq;
      const messages = [];
      for (let seq = after + 1; seq <= Math.min(250, after + 40); seq += 1) messages.push(roomMessage(seq));
      const next = messages.length ? messages[messages.length - 1].seq : after;
      client.handle({ type: "room.messages", room: 5, ref: "rs", messages, last_seq: 250, has_more: next < 250, next_after_seq: next });
    }
    assert.deepEqual(shown, Array.from({ length: 250 }, (_, i) => i + 1));
    assert.equal(client.synced, true);
  } finally {
    client.close();
  }
});
