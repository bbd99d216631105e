// One conversation on screen: bubbles with time, delivered/read markers, typing, composer.
// Used by the seeker page, each listener tab and the staff desk. What the log shows is a state
// (chatlog_state.js) that every event is reduced into and that `render()` draws: nothing about a
// message is read back from the page. Text is always set with textContent.

import { delivery, initialChatLog, messageKey, reduceChatLog, shownRows } from "./chatlog_state.js";
import { deliveryLabel } from "./crisis.js";
import { announce, el, formatTime } from "./dom.js";
import { serverLimit } from "./limits.js";

export { shownTo } from "./chatlog_state.js";

const TYPING_SEND_EVERY_MS = 3000;
const TYPING_IDLE_MS = 4000;
const TYPING_SHOW_MS = 6000;
const MAX_CHARS = serverLimit("message_max_chars");

export class ChatView {
  constructor({ conversationId, myRole, client, socket, peerLabel = "Them", messageActions = null, isActive = () => true, signals = true }) {
    this.signals = signals; // typing and read markers; the staff socket has neither
    this.id = conversationId;
    this.myRole = myRole;
    this.client = client;
    this.socket = socket;
    this.peerLabel = peerLabel;
    this.messageActions = messageActions;
    this.isActive = isActive;
    // The seeker's page says peerPresent false while waiting: nobody can read yet.
    this.state = initialChatLog({ myRole, peerPresent: true, connected: Boolean(socket && socket.isOpen) });
    this.drawn = new Map(); // row key -> {li, row, delivery} as last drawn: the page's cache, never its state
    this.readSent = 0;
    this.ended = false;
    this.typingSentAt = 0;
    this.typingIdle = null;
    this.typingHide = null;

    this.log = el("ol", { class: "chat-log", "aria-label": "Messages", tabindex: "0" });
    this.typingLine = el("p", { class: "typing-line", "aria-hidden": "true" });
    this.errorLine = el("p", { class: "form-error", role: "status" });
    const inputId = `composer-${conversationId}`;
    this.input = el("textarea", {
      id: inputId,
      name: "text",
      rows: "2",
      maxlength: MAX_CHARS && String(MAX_CHARS),
      autocomplete: "off",
      placeholder: "Write a message…",
      class: "composer-input",
    });
    this.sendButton = el("button", { type: "submit", class: "button button-primary" }, "Send");
    this.form = el(
      "form",
      { class: "composer", "aria-label": "Send a message" },
      el("label", { for: inputId, class: "visually-hidden", text: "Your message" }),
      this.input,
      this.sendButton,
    );
    this.root = el("div", { class: "chat", "data-conversation": String(conversationId) }, this.log, this.typingLine, this.errorLine, this.form);

    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => this._typing());
    document.addEventListener("visibilitychange", () => this.markRead());
  }

  submit() {
    const text = this.input.value.trim();
    if (!text || this.ended) return;
    if (MAX_CHARS && text.length > MAX_CHARS) {
      this.errorLine.textContent = `Messages can be up to ${MAX_CHARS} characters.`;
      return;
    }
    this.errorLine.textContent = "";
    this.client.send(this.id, text);
    this.input.value = "";
    this._sendTyping(false);
    this.input.focus();
  }

  /** Reduce one event into the log's state and draw what changed. */
  dispatch(event) {
    const before = this.state;
    this.state = reduceChatLog(before, event);
    if (this.state !== before) this.render();
    return before;
  }

  /** Our own message, queued (not yet acknowledged). */
  addPending(entry) {
    this.dispatch({ type: "pending", entry });
  }

  addMessage(message, { live }) {
    const before = this.dispatch({ type: "message", message });
    const key = messageKey(message, this.myRole);
    const row = this.state.rows.get(key);
    if (!row || before.rows.has(key) || row.mine) return;
    // A new line from the other side (or the system): they stopped typing, and we have read it.
    this.showTyping(false);
    if (live) announce(row.system ? message.text : `${message.sender_alias || this.peerLabel} says: ${message.text}`);
    this.markRead();
  }

  acked(clientId, ack) {
    this.dispatch({ type: "ack", clientId, seq: ack.seq });
    if (ack.notice) this.errorLine.textContent = ack.notice;
  }

  failed(clientId, frame, retrying) {
    this.dispatch({ type: "failed", clientId, retrying });
    this.errorLine.textContent = frame.message || "That message could not be sent.";
  }

  /** Reconnecting: bubbles still waiting for an ack say so. */
  connectionChanged(open) {
    this.dispatch({ type: "connection", open });
  }

  /** Is there someone to read our messages (a listener joined)? Relabels what was sent meanwhile. */
  setPeerPresent(present) {
    this.dispatch({ type: "peer.present", present });
  }

  setPeerRead(seq) {
    this.dispatch({ type: "peer.read", seq });
  }

  /** Draw the log from the state: new rows made, changed rows updated, all in the state's order. */
  render() {
    const nearBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
    let addedMine = false;
    let added = false;
    let cursor = this.log.firstChild;
    for (const row of shownRows(this.state)) {
      const marker = delivery(row, this.state);
      let drawn = this.drawn.get(row.key);
      if (!drawn) {
        drawn = { li: this._row(row), row: null, marker: null, present: null };
        this.drawn.set(row.key, drawn);
        added = true;
        addedMine = addedMine || row.mine;
      }
      if (drawn.row !== row || drawn.marker !== marker || drawn.present !== this.state.peerPresent) this._update(drawn, row, marker);
      if (drawn.li === cursor) cursor = cursor.nextSibling;
      else this.log.insertBefore(drawn.li, cursor);
    }
    if (added && (nearBottom || addedMine)) this.log.scrollTop = this.log.scrollHeight;
  }

  get lastPeerSeq() {
    return this.state.lastPeerSeq;
  }

  markRead() {
    if (!this.signals) return;
    if (document.visibilityState !== "visible" || !this.isActive() || this.lastPeerSeq <= this.readSent) return;
    if (this.socket.send({ type: "conversation.read", conversation: this.id, seq: this.lastPeerSeq })) this.readSent = this.lastPeerSeq;
  }

  showTyping(active, who = this.peerLabel) {
    clearTimeout(this.typingHide);
    this.typingLine.textContent = active ? `${who} is typing…` : "";
    if (active) this.typingHide = setTimeout(() => (this.typingLine.textContent = ""), TYPING_SHOW_MS);
  }

  setEnded(text) {
    this.ended = true;
    this.input.disabled = true;
    this.sendButton.disabled = true;
    this.showTyping(false);
    this.errorLine.textContent = text || "This chat has ended.";
  }

  focus() {
    if (!this.ended) this.input.focus();
  }

  _typing() {
    const now = Date.now();
    if (now - this.typingSentAt > TYPING_SEND_EVERY_MS) this._sendTyping(true);
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this._sendTyping(false), TYPING_IDLE_MS);
  }

  _sendTyping(active) {
    if (this.ended || !this.signals) return;
    this.typingSentAt = active ? Date.now() : 0;
    if (!active) clearTimeout(this.typingIdle);
    this.socket.send({ type: "typing", conversation: this.id, active });
  }

  _row(row) {
    if (row.system) return el("li", { class: "msg msg-system" }, el("p", { class: "msg-text" }));
    const classes = ["msg", row.mine ? "msg-mine" : "msg-theirs"];
    if (row.staff) classes.push("msg-staff");
    const li = el(
      "li",
      { class: classes.join(" ") },
      el("p", { class: "msg-sender", text: row.sender || this.peerLabel }),
      el("p", { class: "msg-text" }),
      el("p", { class: "msg-meta" }, el("time"), row.mine ? el("span", { class: "msg-state" }) : null),
    );
    if (row.mine) li.dataset.clientId = row.key;
    else if (this.messageActions && row.message) {
      const actions = this.messageActions(row.message);
      if (actions) li.append(actions);
    }
    return li;
  }

  _update(drawn, row, marker) {
    const { li } = drawn;
    if (row.seq) li.dataset.seq = String(row.seq);
    li.querySelector(".msg-text").textContent = row.text;
    const time = li.querySelector("time");
    if (time) {
      time.textContent = formatTime(row.time);
      time.setAttribute("datetime", row.time || "");
    }
    if (marker) {
      li.dataset.state = marker;
      li.querySelector(".msg-state").textContent = deliveryLabel(marker, this.state.peerPresent);
    }
    drawn.row = row;
    drawn.marker = marker;
    drawn.present = this.state.peerPresent;
  }
}
