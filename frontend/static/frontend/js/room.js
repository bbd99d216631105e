// One group room: live members, the pinned guideline (accepted once before the first message),
// the last 50 messages then older ones on request, sending with the chat's reconnect/resume
// guarantees (RoomClient in socket.js), held-message notice with crisis resources, removed and
// hidden messages, reports; moderators also see held messages and release/remove them, mute,
// remove a member for the day and set slow mode.

import { whoAmI } from "./api.js";
import { $, announce, el, formatTime, helplineList, setText, showOnly } from "./dom.js";
import { HearthSocket, RoomClient } from "./socket.js";
import { confirmButton, connectionBanner } from "./common.js";
import { alternativesBlock, formatOpening } from "./roomcommon.js";

const roomId = Number($("#step-loading").dataset.room);
const show = (id, options) => showOnly(".step", id, options);
const MAX_CHARS = 2000;
const MUTE_SECONDS = 600;
const STATE_LABEL = { queued: "Waiting for connection", sending: "Sending…", delivered: "Sent", held: "Held for a moderator", failed: "Not sent" };

const state = {
  socket: null,
  client: null,
  room: null,
  you: null,
  moderator: false,
  acknowledged: false,
  open: false,
  mutedUntil: null,
  rows: new Map(), // seq -> li (or null for a held placeholder we do not show)
  pending: new Map(), // client_id -> li, until the message has a seq
  held: new Map(), // seq -> li in the moderators' held panel
  oldestSeq: null,
  connected: false,
  gone: false,
};

// --- rendering -------------------------------------------------------------------------
function messageRow(message) {
  const mine = state.client.isMine(message);
  const li = el("li", { class: "msg", "data-seq": String(message.seq) });
  fillRow(li, message, mine);
  return li;
}

/** (Re)draw one message row from its current payload. */
function fillRow(li, message, mine) {
  li.replaceChildren();
  li.dataset.status = message.status;
  li.className = "msg";
  if (message.kind === "system") {
    li.classList.add("msg-system");
    li.append(el("p", { class: "msg-text", text: message.text }));
    return;
  }
  if (message.removed || message.status === "removed") {
    li.classList.add("msg-removed");
    li.append(el("p", { class: "msg-text", text: "Message removed by a moderator." }));
    return;
  }
  if (message.status === "hidden" && !message.text) {
    li.classList.add("msg-removed");
    li.append(el("p", { class: "msg-text", text: "Hidden while a moderator reviews it." }));
    return;
  }
  li.classList.add(mine ? "msg-mine" : "msg-theirs");
  if (message.sender_role === "moderator") li.classList.add("msg-staff");
  if (message.status === "held" || message.status === "hidden") li.classList.add("msg-held");
  const sender = mine ? "You" : `${message.sender_alias}${message.sender_role === "moderator" ? " (moderator)" : ""}`;
  li.append(
    el("p", { class: "msg-sender", text: sender }),
    el("p", { class: "msg-text", text: message.text }),
    el(
      "p",
      { class: "msg-meta" },
      el("time", { datetime: message.created_at || "", text: formatTime(message.created_at) }),
      mine ? el("span", { class: "msg-state" }) : null,
      !mine && message.status !== "visible" ? el("strong", { text: message.status === "held" ? "Held" : "Hidden by reports" }) : null,
    ),
  );
  if (mine) setRowState(li, message.status === "held" ? "held" : "delivered");
  const actions = rowActions(message, mine);
  if (actions) li.append(actions);
}

function rowActions(message, mine) {
  if (message.kind === "system" || message.status === "removed") return null;
  const box = el("p", { class: "msg-actions" });
  if (!mine && message.status === "visible") {
    const report = el("button", { type: "button", class: "link-button", text: "Report", "aria-label": `Report message from ${message.sender_alias}` });
    confirmButton(report, "Yes, report it", () => reportMessage(message.seq, report));
    box.append(report);
  }
  if (state.moderator && message.sender_role !== "moderator") {
    const remove = el("button", { type: "button", class: "link-button", text: "Remove", "aria-label": `Remove message from ${message.sender_alias || "a member"}` });
    confirmButton(remove, "Yes, remove it", () => moderate({ type: "room.message.remove", seq: message.seq }, "Message removed."));
    box.append(remove);
  }
  return box.childElementCount ? box : null;
}

function setRowState(li, name) {
  li.dataset.state = name;
  const span = li.querySelector(".msg-state");
  if (span) span.textContent = STATE_LABEL[name];
}

function insertRow(li) {
  const log = $("#room-log");
  const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  const seq = Number(li.dataset.seq || 0);
  let before = null;
  if (seq) {
    for (const other of log.children) {
      const otherSeq = Number(other.dataset.seq || 0);
      if ((otherSeq && otherSeq > seq) || !otherSeq) {
        before = other;
        break;
      }
    }
  }
  log.insertBefore(li, before);
  if (nearBottom || li.classList.contains("msg-mine")) log.scrollTop = log.scrollHeight;
}

/** A held placeholder (someone else's message waiting for review) is not shown at all. */
function invisible(message) {
  return message.status === "held" && !message.text && !message.removed;
}

function showMessage(message, { live }) {
  state.oldestSeq = state.oldestSeq === null ? message.seq : Math.min(state.oldestSeq, message.seq);
  const mine = state.client.isMine(message);
  const pending = message.client_id ? state.pending.get(message.client_id) : null;
  if (pending) {
    state.pending.delete(message.client_id);
    pending.dataset.seq = String(message.seq);
    fillRow(pending, message, true);
    state.rows.set(message.seq, pending);
    pending.remove();
    insertRow(pending);
    return;
  }
  if (state.rows.has(message.seq)) {
    updateMessage(message);
    return;
  }
  if (invisible(message)) {
    state.rows.set(message.seq, null);
    return;
  }
  const li = messageRow(message);
  state.rows.set(message.seq, li);
  insertRow(li);
  if (state.moderator && (message.status === "held" || message.status === "hidden")) addHeld(message);
  if (live && !mine) {
    if (message.kind === "system") announce(message.text);
    else if (message.status === "visible") announce(`${message.sender_alias} says: ${message.text}`);
  }
}

function updateMessage(message) {
  const li = state.rows.get(message.seq);
  if (li === undefined) return; // not reached yet: sync will bring its current state
  if (message.status !== "held" && message.status !== "hidden") removeHeld(message.seq);
  else if (state.moderator) addHeld(message);
  if (li === null) {
    if (invisible(message)) return;
    const row = messageRow(message);
    state.rows.set(message.seq, row);
    insertRow(row);
    return;
  }
  fillRow(li, message, state.client.isMine(message) || li.classList.contains("msg-mine"));
  if (message.status === "removed") announce("A moderator removed a message.");
}

function addPending(entry) {
  if (state.pending.has(entry.client_id)) return;
  const li = el(
    "li",
    { class: "msg msg-mine", "data-client-id": entry.client_id },
    el("p", { class: "msg-sender", text: "You" }),
    el("p", { class: "msg-text", text: entry.text }),
    el("p", { class: "msg-meta" }, el("time", { datetime: entry.queued_at, text: formatTime(entry.queued_at) }), el("span", { class: "msg-state" })),
  );
  setRowState(li, entry.failed ? "failed" : state.socket && state.socket.isOpen ? "sending" : "queued");
  state.pending.set(entry.client_id, li);
  insertRow(li);
}

function acked(clientId, ack) {
  const li = state.pending.get(clientId);
  if (li) {
    li.dataset.seq = String(ack.seq);
    setRowState(li, ack.status === "held" ? "held" : "delivered");
  }
  if (ack.notice) setText($("#room-error"), ack.notice);
}

function sendFailed(frame, { client_id: clientId, retrying }) {
  const li = state.pending.get(clientId);
  if (li && !retrying) setRowState(li, "failed");
  if (frame.code === "guideline_not_acknowledged") showGuideline();
  setText($("#room-error"), frame.message || "That message could not be sent.");
}

// --- moderators' held panel --------------------------------------------------------------
function addHeld(message) {
  if (!state.moderator || message.removed) return;
  const item = el(
    "li",
    { class: "held-item", "data-seq": String(message.seq) },
    el("p", { class: "msg-sender", text: `${message.sender_alias} · ${message.status === "held" ? "held by screening" : "hidden by reports"} · ${formatTime(message.created_at)}` }),
    el("p", { class: "msg-text", text: message.text }),
  );
  const release = el("button", { type: "button", class: "button", text: "Release to the room" });
  release.addEventListener("click", () => moderate({ type: "room.message.release", seq: message.seq }, "Message released to the room."));
  const remove = el("button", { type: "button", class: "button", text: "Remove" });
  confirmButton(remove, "Yes, remove it", () => moderate({ type: "room.message.remove", seq: message.seq }, "Message removed."));
  item.append(el("div", { class: "offer-actions" }, release, remove));
  const existing = state.held.get(message.seq);
  if (existing) existing.replaceWith(item);
  else {
    $("#held-list").append(item);
    announce(`A message from ${message.sender_alias} is waiting for review.`, { urgent: message.status === "held" });
  }
  state.held.set(message.seq, item);
  heldChanged();
}

function removeHeld(seq) {
  const item = state.held.get(seq);
  if (!item) return;
  item.remove();
  state.held.delete(seq);
  heldChanged();
}

function heldChanged() {
  $("#held-panel").hidden = !state.moderator || state.held.size === 0;
  setText($("#held-count"), state.held.size ? `(${state.held.size})` : "");
}

// --- room state, members, guideline ------------------------------------------------------
function renderState() {
  const room = state.room;
  if (!room) return;
  const parts = [];
  if (state.open) parts.push("Open now");
  else parts.push(room.next_opening ? `Closed · opens ${formatOpening(room.next_opening)}` : "Closed");
  if (room.slow_mode_seconds) parts.push(`slow mode: one message every ${room.slow_mode_seconds} s`);
  if (state.mutedUntil && new Date(state.mutedUntil) > new Date()) parts.push(`you're muted until ${formatTime(state.mutedUntil)}`);
  setText($("#room-state"), parts.join(" · "));
  $("#room-closed").hidden = state.open;
  if (!state.open) setText($("#closed-detail"), room.next_opening ? `It opens again ${formatOpening(room.next_opening)}, when a moderator is here. You can read the conversation meanwhile.` : "It opens when a moderator is here. You can read the conversation meanwhile.");
  $("#slow-seconds").value = String(room.slow_mode_seconds || 0);
  if ($("#slow-seconds").value === "") $("#slow-seconds").value = "0";
  updateComposer();
}

function updateComposer() {
  const muted = state.mutedUntil && new Date(state.mutedUntil) > new Date();
  const blocked = !state.open || (!state.acknowledged && !state.moderator) || muted || state.gone;
  $("#room-input").disabled = Boolean(blocked);
  $("#room-send").disabled = Boolean(blocked);
  let why = "Write to the room…";
  if (!state.open) why = "The room is closed";
  else if (!state.acknowledged && !state.moderator) why = "Agree to the guideline first";
  else if (muted) why = "A moderator has paused your messages";
  $("#room-input").placeholder = why;
}

function renderMembers(members, count) {
  setText($("#member-count"), `(${count})`);
  $("#presence").replaceChildren(
    ...members.map((member) => {
      const li = el("li", { class: "presence-item" }, el("span", { text: member.alias }), member.moderator ? el("small", { class: "badge-mod", text: "moderator" }) : null, member.alias === state.you.alias ? el("small", { text: " (you)" }) : null);
      if (state.moderator && !member.moderator && member.alias !== state.you.alias) {
        const mute = el("button", { type: "button", class: "link-button", text: "Mute 10 min", "aria-label": `Mute 10 min: ${member.alias}` });
        mute.addEventListener("click", () => moderate({ type: "room.member.mute", alias: member.alias, seconds: MUTE_SECONDS }, `${member.alias} is muted for 10 minutes.`));
        const remove = el("button", { type: "button", class: "link-button", text: "Remove for today", "aria-label": `Remove for today: ${member.alias}` });
        confirmButton(remove, `Yes, remove ${member.alias}`, () => moderate({ type: "room.member.remove", alias: member.alias }, `${member.alias} was removed for today.`));
        li.append(el("span", { class: "presence-actions" }, mute, remove));
      }
      return li;
    }),
  );
}

function showGuideline() {
  const needed = !state.acknowledged && !state.moderator;
  $("#guideline-needed").hidden = !needed;
  $("#guideline-accept").hidden = !needed;
  $("#guideline").classList.toggle("pinned-needed", needed);
  updateComposer();
}

$("#guideline-accept").addEventListener("click", async () => {
  try {
    await state.socket.request({ type: "room.acknowledge_guideline" });
    state.acknowledged = true;
    showGuideline();
    announce("Thank you. You can write to the room now.");
    $("#room-input").focus();
  } catch (failure) {
    setText($("#room-error"), failure.message);
  }
});

// --- actions -----------------------------------------------------------------------------
async function moderate(frame, done) {
  setText($("#mod-error"), "");
  try {
    await state.socket.request(frame);
    announce(done);
    setText($("#room-error"), done);
  } catch (failure) {
    setText($("#mod-error"), failure.message);
    setText($("#room-error"), failure.message);
  }
}

async function reportMessage(seq, button) {
  try {
    await state.socket.request({ type: "room.message.report", seq });
    button.disabled = true;
    button.textContent = "Reported";
    button.removeAttribute("aria-label");
    announce("Thank you. The moderators will look at it.");
  } catch (failure) {
    setText($("#room-error"), failure.message);
  }
}

$("#slow-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const seconds = Number($("#slow-seconds").value);
  moderate({ type: "room.slow_mode", seconds }, seconds ? `Slow mode on: one message every ${seconds} seconds.` : "Slow mode off.");
});

function submit() {
  const input = $("#room-input");
  const text = input.value.trim();
  if (!text || input.disabled) return;
  if (text.length > MAX_CHARS) {
    setText($("#room-error"), `Messages can be up to ${MAX_CHARS} characters.`);
    return;
  }
  setText($("#room-error"), "");
  state.client.send(text);
  input.value = "";
  input.focus();
}

$("#room-composer").addEventListener("submit", (event) => {
  event.preventDefault();
  submit();
});
$("#room-input").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submit();
  }
});

$("#load-older").addEventListener("click", async () => {
  const button = $("#load-older");
  if (state.oldestSeq === null || state.oldestSeq <= 1) return;
  button.disabled = true;
  try {
    const reply = await state.socket.request({ type: "room.history", before_seq: state.oldestSeq, limit: 50 });
    const log = $("#room-log");
    const anchor = log.scrollHeight - log.scrollTop;
    for (const message of reply.messages) showMessage(message, { live: false });
    log.scrollTop = log.scrollHeight - anchor; // keep what the reader was looking at in place
    button.hidden = !reply.has_more;
    announce(`${reply.messages.length} earlier messages shown.`);
  } catch (failure) {
    setText($("#room-error"), failure.message);
  } finally {
    button.disabled = false;
  }
});

function showResources(frame) {
  setText($("#resources-message"), frame.message);
  $("#resources-list").replaceChildren(helplineList(frame.helplines));
  const topic = frame.one_to_one && frame.one_to_one.topic;
  $("#resources-talk").setAttribute("href", topic ? `/talk/?topic=${encodeURIComponent(topic)}` : "/talk/");
  $("#safety-resources").hidden = false;
  announce("Your message is waiting for a moderator. If you might be in danger, please contact one of the crisis lines shown on screen now.", { urgent: true });
  $("#safety-resources").scrollIntoView({ block: "nearest" });
}

function gone(title, message, alternatives) {
  state.gone = true;
  if (state.socket) state.socket.stop();
  setText($("#gone-title"), title);
  setText($("#gone-message"), message);
  $("#gone-alternatives").replaceChildren(alternatives ? alternativesBlock(alternatives) : el("span"));
  show("step-gone");
}

// --- the socket ----------------------------------------------------------------------------
/** Called by the client before it applies the hello's messages, so rows know who is a moderator. */
function helloState(frame) {
  state.room = frame.room;
  state.you = frame.you;
  state.moderator = Boolean(frame.you.moderator);
  state.acknowledged = Boolean(frame.you.guideline_acknowledged);
  state.open = Boolean(frame.room.open);
  state.mutedUntil = frame.you.muted_until;
}

function onFrame(frame) {
  state.client.handle(frame);
  switch (frame.type) {
    case "room.hello": {
      const first = $("#step-room").hidden;
      setText($("#room-title"), frame.room.name);
      document.title = `${frame.room.name} · Hearth`;
      setText($("#guideline-text"), frame.room.guideline);
      $("#mod-tools").hidden = !state.moderator;
      renderMembers(frame.members || [], (frame.members || []).filter((member) => !member.moderator).length);
      $("#closed-alternatives").replaceChildren(frame.alternatives ? alternativesBlock(frame.alternatives) : el("span"));
      if (state.moderator) for (const message of frame.held || []) addHeld(message);
      if (first) $("#load-older").hidden = !frame.has_more_before;
      showGuideline();
      renderState();
      if (first) show("step-room");
      break;
    }
    case "room.presence":
      renderMembers(frame.members || [], frame.count);
      break;
    case "room.state":
      state.open = frame.open;
      state.room.next_opening = frame.next_opening;
      renderState();
      announce(frame.open ? "A moderator is here: the room is open." : "The room has closed.");
      break;
    case "room.slow_mode":
      state.room.slow_mode_seconds = frame.seconds;
      renderState();
      announce(frame.seconds ? `Slow mode is on: one message every ${frame.seconds} seconds.` : "Slow mode is off.");
      break;
    case "room.muted":
      state.mutedUntil = frame.until;
      renderState();
      if (frame.message) setText($("#room-error"), frame.message);
      announce(frame.message || "You can write again.", { urgent: Boolean(frame.message) });
      break;
    case "room.removed":
      gone("You've been removed from this room for today", frame.message, frame.alternatives);
      break;
    case "safety.resources":
      showResources(frame);
      break;
    case "error":
      if (frame.code === "room_full") gone("This room is full right now", frame.message, frame.alternatives);
      else if (frame.code === "removed_from_room") gone("You've been removed from this room for today", frame.message, null);
      else if (frame.code === "muted" && frame.until) {
        state.mutedUntil = frame.until;
        renderState();
      } else if (frame.code === "room_closed") {
        state.open = false;
        renderState();
      }
      break;
    case "session.closed":
      connectionBanner($("#connection"), "closed", { reason: "revoked" });
      break;
    default:
      break;
  }
}

function start() {
  state.socket = new HearthSocket(`/ws/v1/rooms/${roomId}/`, {
    helloType: "room.hello",
    onFrame,
    onStatus: (status, detail) => {
      if (state.gone) return;
      connectionBanner($("#connection"), status, detail);
      const open = status === "open";
      if (open !== state.connected) {
        for (const li of state.pending.values()) {
          if (li.dataset.state === "sending" && !open) setRowState(li, "queued");
          else if (li.dataset.state === "queued" && open) setRowState(li, "sending");
        }
      }
      state.connected = open;
      if (status === "closed" && detail.reason === "not_found") gone("This room isn't available", "It may have closed for good, or it is for a different age group.", null);
      if (status === "closed" && detail.reason === "signed_out") location.assign(`/rooms/?next=/rooms/${roomId}/`);
    },
  });
  state.client = new RoomClient(state.socket, roomId, {
    onHello: helloState,
    onMessage: showMessage,
    onUpdate: (message, { held }) => (held ? showMessage(message, { live: true }) : updateMessage(message)),
    onPending: addPending,
    onAck: acked,
    onError: sendFailed,
  });
  state.socket.start();
}

async function init() {
  let me = null;
  try {
    me = await whoAmI();
  } catch (error) {
    me = null;
  }
  if (!me) {
    location.assign(`/rooms/?next=/rooms/${roomId}/`);
    return;
  }
  start();
}

init();
