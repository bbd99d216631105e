// One group room: live members, the pinned guideline (accepted once before the first message),
// the last 50 messages then older ones on request, sending with the chat's reconnect/resume
// guarantees (RoomClient in conversation.js), held-message notice with crisis resources, removed and
// hidden messages, reports with an optional reason; moderators also see held messages and
// release/remove them, the room's reported messages with every reason, mute, remove a member for
// the day and set slow mode.
//
// Who is here: room.hello has the full list and its presence_version; room.presence deltas
// (joined/left, from_version..version) keep it current, and a missed delta is repaired with
// room.members (docs/protocol.md).
//
// The room's standing, its members and the member's invitation are `reduceRoom` (room_state.js),
// the messages and held list `reduceRoomLog` (roomlog_state.js); `renderRoom` and `renderLog` draw
// them; `start()` wires the socket.

import { get, whoAmI } from "./api.js";
import { $, announce, drawKeyed, el, formatTime, helplineList, setText, showOnly } from "./dom.js";
import { RoomClient } from "./conversation.js";
import { HearthSocket } from "./socket.js";
import { confirmButton, connectionBanner } from "./common.js";
import { alternativesBlock, formatOpening } from "./roomcommon.js";
import { serverLimit } from "./limits.js";
import { composerState, headCountText, heldReasonText, initialRoom, membersShown, mutedAt, reduceRoom } from "./room_state.js";
import { DELIVERY_LABEL, delivery, heldMessages, initialRoomLog, invisible, reduceRoomLog, shownRows } from "./roomlog_state.js";

const roomId = Number($("#step-loading").dataset.room);
const show = (id, options) => showOnly(".step", id, options);
const MAX_CHARS = serverLimit("message_max_chars");
const MUTE_SECONDS = 600;
const REASON_MAX = serverLimit("room_report_reason_max_chars");
const REPORTS_PAGE = 50;
const REPORT_STATUS = {
  visible: "Still visible",
  held: "Held by the safety screening",
  hidden: "Hidden pending review (reports)",
  removed: "Removed by a moderator",
};

const state = {
  socket: null,
  client: null,
  room: initialRoom(), // the room's standing, who is here, the invitation (room_state.js)
  log: initialRoomLog(), // the messages and the held list (roomlog_state.js)
  drawn: new Map(), // row key -> {li, row, marker} as last drawn: the page's cache, never its state
  heldItems: new Map(), // seq -> {node, item} as last drawn in the held panel (drawKeyed)
  connected: false,
  gone: false,
  memberRows: new Map(), // alias -> {node, item} as last drawn in #presence (drawKeyed)
  standingDrawn: null, // the {room, open, mutedUntil} the slow-mode choice was last set from
  reported: new Set(), // seqs this person reported (the button stays "Reported" when a row is redrawn)
  reportForm: null, // {form, button} of the open report form
  reportsTimer: null,
};

// --- the log: every event is reduced into state.log (roomlog_state.js) and drawn from it ----
function dispatchLog(event) {
  const before = state.log;
  state.log = reduceRoomLog(before, event);
  if (state.log !== before) {
    renderLog();
    renderHeld(before);
  }
  return before;
}

/** Draw the log from state.log: rows made once, redrawn when their row or marker changed, in order. */
function renderLog() {
  const log = $("#room-log");
  const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  let addedMine = false;
  let cursor = log.firstChild;
  const shown = new Set();
  for (const row of shownRows(state.log)) {
    const marker = delivery(row, state.log);
    let drawn = state.drawn.get(row.key);
    if (!drawn && row.message && row.message.client_id && state.drawn.has(row.message.client_id)) {
      // Our pending row got its seq: the same element, now under the seq's key.
      drawn = state.drawn.get(row.message.client_id);
      state.drawn.delete(row.message.client_id);
      state.drawn.set(row.key, drawn);
    }
    if (!drawn) {
      drawn = { li: el("li", { class: "msg" }), row: null, marker: null };
      state.drawn.set(row.key, drawn);
      addedMine = addedMine || row.mine;
    }
    if (drawn.row !== row || drawn.marker !== marker) drawRow(drawn, row, marker);
    shown.add(row.key);
    if (drawn.li === cursor) cursor = cursor.nextSibling;
    else log.insertBefore(drawn.li, cursor);
  }
  for (const [key, drawn] of state.drawn) {
    if (shown.has(key)) continue;
    drawn.li.remove();
    state.drawn.delete(key);
  }
  if (nearBottom || addedMine) log.scrollTop = log.scrollHeight;
}

function drawRow(drawn, row, marker) {
  const { li } = drawn;
  if (row.seq) li.dataset.seq = String(row.seq);
  if (row.message) fillRow(li, row.message, row.mine);
  else {
    li.className = "msg msg-mine";
    li.dataset.clientId = row.key;
    li.replaceChildren(
      el("p", { class: "msg-sender", text: "You" }),
      el("p", { class: "msg-text", text: row.text }),
      el("p", { class: "msg-meta" }, el("time", { datetime: row.time, text: formatTime(row.time) }), el("span", { class: "msg-state" })),
    );
  }
  if (marker) {
    li.dataset.state = marker;
    const span = li.querySelector(".msg-state");
    if (span) span.textContent = DELIVERY_LABEL[marker];
  }
  drawn.row = row;
  drawn.marker = marker;
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
  const actions = rowActions(message, mine);
  if (actions) li.append(actions);
}

function rowActions(message, mine) {
  if (message.kind === "system" || message.status === "removed") return null;
  const box = el("p", { class: "msg-actions" });
  if (!mine && message.status === "visible") {
    const report = el("button", {
      type: "button", class: "link-button", text: "Report", "aria-label": `Report message from ${message.sender_alias}`,
      "aria-expanded": "false", "aria-controls": `report-form-${message.seq}`,
    });
    if (state.reported.has(message.seq)) markReported(report);
    else report.addEventListener("click", () => (state.reportForm && state.reportForm.button === report ? closeReportForm({ focus: true }) : openReportForm(message, report)));
    box.append(report);
  }
  if (state.room.moderator && message.sender_role !== "moderator") {
    const remove = el("button", { type: "button", class: "link-button", text: "Remove", "aria-label": `Remove message from ${message.sender_alias || "a member"}` });
    confirmButton(remove, "Yes, remove it", () => moderate({ type: "room.message.remove", seq: message.seq }, "Message removed."));
    box.append(remove);
  }
  return box.childElementCount ? box : null;
}

function showMessage(message, { live }) {
  const mine = state.client.isMine(message);
  const before = dispatchLog({ type: "message", message, mine });
  const known = before.rows.get(`seq:${message.seq}`);
  if (known) {
    announceUpdate(known, message);
    return;
  }
  if (live && !mine && !invisible(message)) {
    if (message.kind === "system") announce(message.text);
    else if (message.status === "visible") announce(`${message.sender_alias} says: ${message.text}`);
  }
}

function updateMessage(message) {
  const before = dispatchLog({ type: "updated", message, mine: state.client.isMine(message) });
  const known = before.rows.get(`seq:${message.seq}`);
  if (known) announceUpdate(known, message);
}

function announceUpdate(known, message) {
  if (message.status === "removed" && known.message && !invisible(known.message)) announce("A moderator removed a message.");
}

function addPending(entry) {
  dispatchLog({ type: "pending", entry });
}

function acked(clientId, ack) {
  dispatchLog({ type: "ack", clientId, seq: ack.seq, status: ack.status });
  if (ack.notice) setText($("#room-error"), ack.notice);
}

function sendFailed(frame, { client_id: clientId, retrying }) {
  dispatchLog({ type: "failed", clientId, retrying });
  if (frame.code === "guideline_not_acknowledged") renderStanding();
  setText($("#room-error"), frame.message || "That message could not be sent.");
}

// --- moderators' held panel --------------------------------------------------------------
/** Draw the held list from state.log; a message new to it is announced. */
function renderHeld(before) {
  const held = heldMessages(state.log);
  drawKeyed($("#held-list"), held, (message) => message.seq, heldItem, state.heldItems);
  for (const message of held) {
    if (!before.held.has(message.seq)) announce(`A message from ${message.sender_alias} is waiting for review.`, { urgent: message.status === "held" });
  }
  $("#held-panel").hidden = !state.log.moderator || state.log.held.size === 0;
  setText($("#held-count"), state.log.held.size ? `(${state.log.held.size})` : "");
}

function heldItem(message) {
  const item = el(
    "li",
    { class: "held-item", "data-seq": String(message.seq) },
    el("p", { class: "msg-sender", text: `${message.sender_alias} · ${message.status === "held" ? "held by screening" : "hidden by reports"} · ${formatTime(message.created_at)}` }),
    heldReasonText(message) ? el("p", { class: "held-reason", text: heldReasonText(message) }) : null,
    el("p", { class: "msg-text", text: message.text }),
  );
  const release = el("button", { type: "button", class: "button", text: "Release to the room" });
  release.addEventListener("click", () => moderate({ type: "room.message.release", seq: message.seq }, "Message released to the room."));
  const remove = el("button", { type: "button", class: "button", text: "Remove" });
  confirmButton(remove, "Yes, remove it", () => moderate({ type: "room.message.remove", seq: message.seq }, "Message removed."));
  // A held message's writer may be in crisis: invite them to a one-to-one chat (their sockets in this room alone).
  const offer =
    message.status === "held" && message.sender_alias
      ? el("button", { type: "button", class: "button", text: "Offer a one-to-one chat" })
      : null;
  if (offer) offer.addEventListener("click", () => moderate({ type: "room.one_to_one.offer", seq: message.seq }, `One-to-one chat offered to ${message.sender_alias}.`));
  item.append(el("div", { class: "offer-actions" }, release, offer, remove));
  return item;
}

// --- room state, members, guideline ------------------------------------------------------
/** Reduce one event into state.room and draw it, then do what the reducer asked for. */
function dispatchRoom(event) {
  state.room = reduceRoom(state.room, event);
  renderRoom();
  playRoomEffects();
}

function playRoomEffects() {
  const effects = state.room.effects;
  if (!effects.length) return;
  state.room = reduceRoom(state.room, { type: "effects.done" });
  for (const effect of effects) {
    if (effect.kind === "members.request") requestMembers();
    else if (effect.kind === "invitation.new") invitationArrived(effect);
  }
}

function renderRoom() {
  renderMembers();
  renderStanding();
  renderInvitation();
}

/** The status line, the closed notice, the guideline gate and the composer, from state.room. */
function renderStanding() {
  const { room, open, mutedUntil } = state.room;
  if (!room) return;
  const parts = [];
  if (open) parts.push("Open now");
  else parts.push(room.next_opening ? `Closed · opens ${formatOpening(room.next_opening)}` : "Closed");
  if (room.slow_mode_seconds) parts.push(`slow mode: one message every ${room.slow_mode_seconds} s`);
  if (mutedAt(state.room, Date.now())) parts.push(`you're muted until ${formatTime(mutedUntil)}`);
  putText($("#room-state"), parts.join(" · "));
  $("#room-closed").hidden = open;
  if (!open) putText($("#closed-detail"), room.next_opening ? `It opens again ${formatOpening(room.next_opening)}, when a moderator is here. You can read the conversation meanwhile.` : "It opens when a moderator is here. You can read the conversation meanwhile.");
  // The moderator's slow-mode choice follows the room only when the room changed, never while they pick one.
  const drawn = state.standingDrawn;
  if (!drawn || drawn.room !== room || drawn.open !== open || drawn.mutedUntil !== mutedUntil) {
    $("#slow-seconds").value = String(room.slow_mode_seconds || 0);
    if ($("#slow-seconds").value === "") $("#slow-seconds").value = "0";
    state.standingDrawn = { room, open, mutedUntil };
  }
  const needed = !state.room.acknowledged && !state.room.moderator;
  $("#guideline-needed").hidden = !needed;
  $("#guideline-accept").hidden = !needed;
  $("#guideline").classList.toggle("pinned-needed", needed);
  renderComposer();
}

function renderComposer() {
  const { blocked, placeholder } = composerState(state.room, { now: Date.now(), gone: state.gone });
  $("#room-input").disabled = blocked;
  $("#room-send").disabled = blocked;
  $("#room-input").placeholder = placeholder;
}

/** Set a node's text only when it differs, so a live region is not read out again for the same words. */
function putText(node, text) {
  if (node && node.textContent !== text) node.textContent = text;
}

// --- who is here ----------------------------------------------------------------------------
function memberItem(member) {
  const you = state.room.you.alias;
  const li = el("li", { class: "presence-item", "data-alias": member.alias }, el("span", { text: member.alias }), member.moderator ? el("small", { class: "badge-mod", text: "moderator" }) : null, member.alias === you ? el("small", { text: " (you)" }) : null);
  if (state.room.moderator && !member.moderator && member.alias !== you) {
    const mute = el("button", { type: "button", class: "link-button", text: "Mute 10 min", "aria-label": `Mute 10 min: ${member.alias}` });
    mute.addEventListener("click", () => moderate({ type: "room.member.mute", alias: member.alias, seconds: MUTE_SECONDS }, `${member.alias} is muted for 10 minutes.`));
    const remove = el("button", { type: "button", class: "link-button", text: "Remove for today", "aria-label": `Remove for today: ${member.alias}` });
    confirmButton(remove, `Yes, remove ${member.alias}`, () => moderate({ type: "room.member.remove", alias: member.alias }, `${member.alias} was removed for today.`));
    const lines = el("button", { type: "button", class: "link-button", text: "Share crisis lines", "aria-label": `Share crisis lines to ${member.alias}` });
    lines.addEventListener("click", () => moderate({ type: "room.resources.send", alias: member.alias }, `Crisis lines sent to ${member.alias}.`));
    li.append(el("span", { class: "presence-actions" }, mute, remove, lines));
  }
  return li;
}

/** Draw #presence from state.room.members: a row is made again only when its member changed. */
function renderMembers() {
  drawKeyed($("#presence"), membersShown(state.room), (member) => member.alias, memberItem, state.memberRows);
  const count = headCountText(state.room.members.values());
  putText($("#member-count"), count.short);
  $("#member-count").setAttribute("title", count.label);
}

async function requestMembers() {
  let reply;
  try {
    reply = await state.socket.request({ type: "room.members" });
  } catch (failure) {
    dispatchRoom({ type: "members.failed" });
    return;
  }
  dispatchRoom({ type: "members.loaded", members: reply.members, version: reply.version });
}

$("#guideline-accept").addEventListener("click", async () => {
  try {
    await state.socket.request({ type: "room.acknowledge_guideline" });
    dispatchRoom({ type: "guideline.acknowledged" });
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

// --- reporting a message (with an optional reason) --------------------------------------------
function markReported(button) {
  button.disabled = true;
  button.textContent = "Reported";
  button.removeAttribute("aria-label");
  button.removeAttribute("aria-expanded");
  button.removeAttribute("aria-controls");
}

function closeReportForm({ focus = false } = {}) {
  const open = state.reportForm;
  if (!open) return;
  state.reportForm = null;
  open.form.remove();
  if (open.button.isConnected && !open.button.disabled) {
    open.button.setAttribute("aria-expanded", "false");
    if (focus) open.button.focus();
  }
}

/** A small form under the message: an optional reason, then "Send report" (Escape or Cancel closes it). */
function openReportForm(message, button) {
  closeReportForm();
  const row = button.closest("li");
  if (!row) return;
  const id = `report-reason-${message.seq}`;
  const input = el("input", { type: "text", id, name: "reason", maxlength: REASON_MAX && String(REASON_MAX), autocomplete: "off", "aria-describedby": `${id}-hint` });
  const error = el("p", { class: "form-error", role: "alert" });
  const send = el("button", { type: "submit", class: "button", text: "Send report" });
  const cancel = el("button", { type: "button", class: "button button-quiet", text: "Cancel" });
  const form = el(
    "form",
    { class: "report-form", id: `report-form-${message.seq}`, "aria-label": `Report message from ${message.sender_alias}` },
    el("label", { for: id, text: "Why are you reporting it? (optional)" }),
    input,
    el("p", { class: "hint", id: `${id}-hint`, text: `${REASON_MAX ? `Up to ${REASON_MAX} characters. ` : ""}The room's moderators read it without your name; the safety team can see who reported.` }),
    el("p", { class: "msg-actions" }, send, cancel),
    error,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    reportMessage(message.seq, input.value.trim(), { button, send, error });
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      closeReportForm({ focus: true });
    }
  });
  cancel.addEventListener("click", () => closeReportForm({ focus: true }));
  row.append(form);
  button.setAttribute("aria-expanded", "true");
  state.reportForm = { form, button };
  input.focus();
}

async function reportMessage(seq, reason, { button, send, error }) {
  if (REASON_MAX && reason.length > REASON_MAX) {
    setText(error, `A reason can be up to ${REASON_MAX} characters.`);
    return;
  }
  send.disabled = true;
  setText(error, "");
  try {
    await state.socket.request(reason ? { type: "room.message.report", seq, reason } : { type: "room.message.report", seq });
    state.reported.add(seq);
    closeReportForm();
    markReported(button);
    $("#room-log").focus({ preventScroll: true });
    announce("Thank you. The moderators will look at it.");
  } catch (failure) {
    send.disabled = false;
    setText(error, failure.message);
  }
}

// --- moderators: the room's reported messages, with every reason ---------------------------
function when(iso) {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) : "";
}

function reportedItem(message) {
  const count = message.report_count === 1 ? "1 report" : `${message.report_count} reports`;
  const author = `${message.sender_alias || "unknown"}${message.sender_role === "moderator" ? " (moderator)" : ""}`;
  return el(
    "li",
    { class: "held-item room-report", "data-seq": String(message.seq) },
    el("p", { class: "msg-sender", text: `${author} · message #${message.seq} · ${when(message.created_at)}` }),
    message.removed ? el("p", { class: "hint", text: "Removed; what the removal record kept:" }) : null,
    el("p", { class: "msg-text room-report-message", text: message.text || "(no text)" }),
    el("p", { class: "hint", text: `${REPORT_STATUS[message.status] || message.status} · ${count}, last ${when(message.last_reported_at)}` }),
    el(
      "ol",
      { class: "audit", "aria-label": `Reasons given (${count})` },
      message.reports.map((report) =>
        el(
          "li",
          { class: "room-report-reason" },
          report.reason ? el("span", { class: "report-text", text: report.reason }) : el("em", { text: "No reason given" }),
          el("span", { class: "hint", text: ` · ${when(report.created_at)}` }),
        ),
      ),
    ),
  );
}

async function loadReports() {
  if (!state.room.moderator) return;
  setText($("#reports-error"), "");
  try {
    const body = await get(`/api/v1/rooms/${roomId}/reports?limit=${REPORTS_PAGE}`);
    $("#reports-list").replaceChildren(...body.messages.map(reportedItem));
    $("#reports-panel").hidden = body.messages.length === 0;
    $("#reports-more").hidden = !body.has_more;
    setText($("#reports-count"), body.messages.length ? `(${body.messages.length}${body.has_more ? "+" : ""})` : "");
  } catch (failure) {
    $("#reports-panel").hidden = false;
    setText($("#reports-error"), failure.message);
  }
}

/** Reports arrive in bursts (three members report one message): one reload a second at most. */
function reportsChanged() {
  if (!state.room.moderator || state.reportsTimer) return;
  state.reportsTimer = setTimeout(() => {
    state.reportsTimer = null;
    loadReports();
  }, 1000);
}

$("#reports-refresh").addEventListener("click", loadReports);

$("#room-resources-send").addEventListener("click", () => moderate({ type: "room.resources.send" }, "Crisis lines sent to everyone here."));

$("#slow-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const seconds = Number($("#slow-seconds").value);
  moderate({ type: "room.slow_mode", seconds }, seconds ? `Slow mode on: one message every ${seconds} seconds.` : "Slow mode off.");
});

function submit() {
  const input = $("#room-input");
  const text = input.value.trim();
  if (!text || input.disabled) return;
  if (MAX_CHARS && text.length > MAX_CHARS) {
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
  if (state.log.oldestSeq === null || state.log.oldestSeq <= 1) return;
  button.disabled = true;
  try {
    const reply = await state.socket.request({ type: "room.history", before_seq: state.log.oldestSeq, limit: 50 });
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

function showResources(frame, spoken = "Your message is waiting for a moderator. If you might be in danger, please contact one of the crisis lines shown on screen now.") {
  setText($("#resources-message"), frame.message);
  $("#resources-list").replaceChildren(helplineList(frame.helplines));
  const topic = frame.one_to_one && frame.one_to_one.topic;
  $("#resources-talk").setAttribute("href", topic ? `/talk/?topic=${encodeURIComponent(topic)}` : "/talk/");
  $("#safety-resources").hidden = false;
  announce(spoken, { urgent: true });
  $("#safety-resources").scrollIntoView({ block: "nearest" });
}

// --- a moderator's invitation to a one-to-one chat ------------------------------------------------
/** The invitation as state.room holds it (a moderator never has one). */
function renderInvitation() {
  const invitation = state.room.invitation;
  $("#one-to-one-invite").hidden = !invitation;
  if (invitation) putText($("#invite-message"), invitation.message);
}

/** A new invitation: a fresh form, said aloud, and focused when it arrived live (not after a reload). */
function invitationArrived({ live }) {
  setText($("#invite-error"), "");
  $("#invite-accept").disabled = false;
  announce("A moderator offered you a one-to-one chat with a listener. You can accept or ignore it.", { urgent: live });
  if (live) $("#one-to-one-invite").focus();
}

$("#invite-accept").addEventListener("click", async () => {
  const button = $("#invite-accept");
  button.disabled = true;
  setText($("#invite-error"), "");
  try {
    await state.socket.request({ type: "room.one_to_one.accept", invitation: state.room.invitation ? state.room.invitation.id : null });
    location.assign("/talk/"); // the waiting chat is the Talk page's, as after asking there
  } catch (failure) {
    if (failure.code === "already_waiting") {
      location.assign("/talk/"); // already in line: the Talk page shows that chat
      return;
    }
    setText($("#invite-error"), failure.message || "That didn't work. You can still ask for a listener on the Talk page.");
    button.disabled = false;
  }
});

$("#invite-dismiss").addEventListener("click", () => {
  dispatchRoom({ type: "invitation.dismissed" });
  $("#room-input").focus();
});

function gone(title, message, alternatives) {
  state.gone = true;
  if (state.socket) state.socket.stop();
  setText($("#gone-title"), title);
  setText($("#gone-message"), message);
  $("#gone-alternatives").replaceChildren(alternatives ? alternativesBlock(alternatives) : el("span"));
  show("step-gone");
}

// --- the socket ----------------------------------------------------------------------------
/** Called by the client before it applies the hello's messages, so rows know who is a moderator.
 * The hello is drawn once its messages are in (onFrame). */
function helloState(frame) {
  state.room = reduceRoom(state.room, frame);
  dispatchLog({ type: "moderator", moderator: state.room.moderator });
}

function onFrame(frame) {
  state.client.handle(frame);
  switch (frame.type) {
    case "room.hello": {
      const first = $("#step-room").hidden;
      setText($("#room-title"), frame.room.name);
      document.title = `${frame.room.name} · Hearth`;
      setText($("#guideline-text"), frame.room.guideline);
      $("#mod-tools").hidden = !state.room.moderator;
      $("#closed-alternatives").replaceChildren(frame.alternatives ? alternativesBlock(frame.alternatives) : el("span"));
      if (state.room.moderator) dispatchLog({ type: "held.listed", messages: frame.held || [] });
      if (state.room.moderator) loadReports();
      if (first) $("#load-older").hidden = !frame.has_more_before;
      renderRoom();
      if (first) show("step-room");
      playRoomEffects();
      break;
    }
    case "room.presence":
      dispatchRoom(frame);
      break;
    case "room.message.reported":
      reportsChanged();
      announce(`A message was reported (${frame.report_count === 1 ? "1 report" : `${frame.report_count} reports`}).`);
      break;
    case "room.message.updated":
      if (state.room.moderator) reportsChanged();
      break;
    case "room.state":
      dispatchRoom(frame);
      announce(frame.open ? "A moderator is here: the room is open." : "The room has closed.");
      break;
    case "room.slow_mode":
      dispatchRoom(frame);
      announce(frame.seconds ? `Slow mode is on: one message every ${frame.seconds} seconds.` : "Slow mode is off.");
      break;
    case "room.muted":
      dispatchRoom(frame);
      if (frame.message) setText($("#room-error"), frame.message);
      announce(frame.message || "You can write again.", { urgent: Boolean(frame.message) });
      break;
    case "room.removed":
      gone("You've been removed from this room for today", frame.message, frame.alternatives);
      break;
    case "safety.resources":
      showResources(frame);
      break;
    case "room.resources":
      if (!state.room.moderator) showResources(frame, `${frame.message} The lines are shown on screen now.`);
      break;
    case "room.one_to_one.invited":
      dispatchRoom(frame);
      break;
    case "error":
      if (frame.code === "room_full") gone("This room is full right now", frame.message, frame.alternatives);
      else if (frame.code === "removed_from_room") gone("You've been removed from this room for today", frame.message, null);
      else if ((frame.code === "muted" && frame.until) || frame.code === "room_closed") dispatchRoom(frame);
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
      dispatchLog({ type: "connection", open });
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
