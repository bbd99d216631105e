// One conversation on screen: bubbles with time, delivered/read markers, typing, composer.
// Used by the seeker page and by each listener tab. Text is always set with textContent.

import { deliveryLabel } from "./crisis.js";
import { announce, el, formatTime } from "./dom.js";
import { serverLimit } from "./limits.js";

const TYPING_SEND_EVERY_MS = 3000;
const TYPING_IDLE_MS = 4000;
const TYPING_SHOW_MS = 6000;
const MAX_CHARS = serverLimit("message_max_chars");

/** Is `message` for a reader in `role`? Lines with `for_role` speak to one side only. */
export function shownTo(message, role) {
  return !(message && message.kind === "system" && message.for_role && message.for_role !== role);
}

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
    this.bubbles = new Map(); // client_id or "seq:N" -> li
    this.peerReadSeq = 0;
    this.readSent = 0;
    this.lastPeerSeq = 0;
    this.ended = false;
    this.peerPresent = true; // the seeker's page says false while waiting: nobody can read yet
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

  /** Our own message, queued (not yet acknowledged). */
  addPending(entry) {
    if (this.bubbles.has(entry.client_id)) return;
    const li = this._bubble({ mine: true, text: entry.text, time: entry.queued_at, sender: "You" });
    li.dataset.clientId = entry.client_id;
    this._setState(li, entry.failed ? "failed" : this.socket.isOpen ? "sending" : "queued");
    this.bubbles.set(entry.client_id, li);
    this._append(li);
  }

  addMessage(message, { live }) {
    // A system line meant for the other side ("Your listener lost their connection…" is the seeker's).
    if (!shownTo(message, this.myRole)) return;
    const mine = message.sender_role === this.myRole && message.kind !== "system";
    const key = mine && message.client_id ? message.client_id : `seq:${message.seq}`;
    let li = this.bubbles.get(key);
    if (li) {
      // Our pending bubble became a stored message: same bubble, now with its seq.
      li.dataset.seq = String(message.seq);
      li.querySelector("time").textContent = formatTime(message.created_at);
      li.querySelector("time").setAttribute("datetime", message.created_at);
      if (message.masked) li.querySelector(".msg-text").textContent = message.text;
      this._setState(li, message.seq <= this.peerReadSeq ? "read" : "delivered");
      return;
    }
    if (message.kind === "system") {
      li = el("li", { class: "msg msg-system", "data-seq": String(message.seq) }, el("p", { class: "msg-text", text: message.text }));
    } else {
      li = this._bubble({
        mine,
        text: message.text,
        time: message.created_at,
        sender: mine ? "You" : message.sender_alias || this.peerLabel,
        staff: message.sender_role === "staff",
      });
      li.dataset.seq = String(message.seq);
      if (mine) this._setState(li, message.seq <= this.peerReadSeq ? "read" : "delivered");
      else if (this.messageActions) {
        const actions = this.messageActions(message);
        if (actions) li.append(actions);
      }
    }
    this.bubbles.set(key, li);
    this._append(li);
    if (!mine) {
      this.lastPeerSeq = Math.max(this.lastPeerSeq, message.seq);
      this.showTyping(false);
      if (live) announce(message.kind === "system" ? message.text : `${message.sender_alias || this.peerLabel} says: ${message.text}`);
      this.markRead();
    }
  }

  acked(clientId, ack) {
    const li = this.bubbles.get(clientId);
    if (!li) return;
    li.dataset.seq = String(ack.seq);
    if (li.dataset.state !== "read") this._setState(li, "delivered");
    if (ack.notice) this.errorLine.textContent = ack.notice;
  }

  failed(clientId, frame, retrying) {
    const li = this.bubbles.get(clientId);
    if (li && !retrying) this._setState(li, "failed");
    this.errorLine.textContent = frame.message || "That message could not be sent.";
  }

  /** Reconnecting: bubbles still waiting for an ack say so. */
  connectionChanged(open) {
    for (const li of this.bubbles.values()) {
      if (li.dataset.state === "sending" && !open) this._setState(li, "queued");
      else if (li.dataset.state === "queued" && open) this._setState(li, "sending");
    }
  }

  /** Is there someone to read our messages (a listener joined)? Relabels what was sent meanwhile. */
  setPeerPresent(present) {
    if (this.peerPresent === present) return;
    this.peerPresent = present;
    for (const li of this.bubbles.values()) if (li.dataset.state) this._setState(li, li.dataset.state);
  }

  setPeerRead(seq) {
    if (seq <= this.peerReadSeq) return;
    this.peerReadSeq = seq;
    for (const li of this.bubbles.values()) {
      if (li.classList.contains("msg-mine") && Number(li.dataset.seq || 0) && Number(li.dataset.seq) <= seq) this._setState(li, "read");
    }
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

  _bubble({ mine, text, time, sender, staff = false }) {
    const classes = ["msg", mine ? "msg-mine" : "msg-theirs"];
    if (staff) classes.push("msg-staff");
    return el(
      "li",
      { class: classes.join(" ") },
      el("p", { class: "msg-sender", text: sender }),
      el("p", { class: "msg-text", text }),
      el(
        "p",
        { class: "msg-meta" },
        el("time", { datetime: time || "", text: formatTime(time) }),
        mine ? el("span", { class: "msg-state" }) : null,
      ),
    );
  }

  _setState(li, state) {
    li.dataset.state = state;
    const label = deliveryLabel(state, this.peerPresent);
    const span = li.querySelector(".msg-state");
    if (span) span.textContent = label;
  }

  _append(li) {
    const nearBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
    // Keep seq order even if a stored message lands after a newer pending one.
    const seq = Number(li.dataset.seq || 0);
    let before = null;
    if (seq) {
      for (const other of this.log.children) {
        const otherSeq = Number(other.dataset.seq || 0);
        if ((otherSeq && otherSeq > seq) || (!otherSeq && other.classList.contains("msg-mine"))) {
          before = other;
          break;
        }
      }
    }
    this.log.insertBefore(li, before);
    if (nearBottom || li.classList.contains("msg-mine")) this.log.scrollTop = this.log.scrollHeight;
  }
}
