// The safety team's live review queue: alerts arrive on /ws/v1/staff/ without a reload,
// ordered by severity then age; claim, read the transcript, act with a required note, see the audit trail.
// Below the queue: reported room messages with each member's reason (staff_room_reports.js).

import { get, post, whoAmI } from "./api.js";
import { $, announce, el, formatDuration, formatTime, setText, showOnly } from "./dom.js";
import { ChatClient, HearthSocket } from "./socket.js";
import { ChatView } from "./chatview.js";
import { confirmButton, connectionBanner, loginForm } from "./common.js";
import { roomReports } from "./staff_room_reports.js";

const show = (id) => showOnly(".step", id);
const state = { me: null, items: new Map(), selected: null, socket: null, client: null, views: new Map(), joined: new Set() };
const baseTitle = document.title;
// An alert e-mail links to /staff/?flag=<id>: open that item once the queue has it.
let linkedFlag = Number.parseInt(new URLSearchParams(location.search).get("flag") || "", 10) || null;

loginForm(enter);

$("#logout").addEventListener("click", async () => {
  if (state.socket) state.socket.stop();
  try {
    await post("/api/v1/session/logout");
  } finally {
    location.reload();
  }
});

function enter(me) {
  if (!me.is_safety_staff) {
    show("step-login");
    setText($("#login-error"), "This page is for the safety team.");
    return;
  }
  state.me = me;
  show("step-queue");
  state.socket = new HearthSocket("/ws/v1/staff/", {
    onFrame,
    onStatus: (status, detail) => {
      connectionBanner($("#connection"), status, detail);
      for (const view of state.views.values()) view.connectionChanged(status === "open");
    },
  });
  state.client = new ChatClient(state.socket, {
    onMessage: (id, message, { live }) => viewFor(id).addMessage(message, { live }),
    onPending: (id, entry) => viewFor(id).addPending(entry),
    onAck: (id, clientId, ack) => viewFor(id).acked(clientId, ack),
    onError: (frame, { conversation, client_id: clientId, retrying }) => viewFor(conversation).failed(clientId, frame, retrying),
  });
  state.socket.start();
  roomReports();
}

// --- the queue -------------------------------------------------------------------
/** Every open alert of level elevated or imminent (what `hello` lists), from the REST review queue. */
async function loadAllAlerts() {
  try {
    const body = await get("/api/v1/staff/queue");
    for (const item of body.items || []) if (item.level >= 2 && !state.items.has(item.id)) upsert(item);
  } catch (failure) {
    announce("Some alerts could not be loaded. Reload the page to try again.", { urgent: true });
  }
}

function upsert(alert, { fresh = false } = {}) {
  if (alert.status === "resolved") {
    state.items.delete(alert.id);
  } else {
    state.items.set(alert.id, { ...(state.items.get(alert.id) || {}), ...alert });
  }
  render();
  if (fresh) {
    announce(`New ${alert.level_label} alert: ${alert.reason || alert.excerpt || "a chat needs review"}`, { urgent: true });
  }
  if (state.selected === alert.id) renderDetailHeader(state.items.get(alert.id) || alert);
}

function ordered() {
  return Array.from(state.items.values()).sort((a, b) => b.level - a.level || a.created_at.localeCompare(b.created_at) || a.id - b.id);
}

function render() {
  const items = ordered();
  setText($("#queue-count"), items.length ? `(${items.length})` : "");
  $("#queue-empty").hidden = items.length > 0;
  const unclaimed = items.filter((item) => item.status === "open").length;
  document.title = unclaimed ? `(${unclaimed}) Review queue · Hearth` : baseTitle;
  $("#queue").replaceChildren(
    ...items.map((item) => {
      const button = el(
        "button",
        { type: "button", class: "link-button", "aria-describedby": `item-${item.id}-meta` },
        item.reason || "Flagged chat",
      );
      button.addEventListener("click", () => select(item.id));
      return el(
        "li",
        { class: "queue-item", "data-severity": item.level_label, "data-alert": String(item.id), "aria-current": state.selected === item.id ? "true" : null },
        el("p", {}, el("span", { class: `severity severity-${item.level_label}`, text: item.level_label }), " ", button),
        item.excerpt ? el("p", { class: "offer-note", text: `“${item.excerpt}”` }) : null,
        el(
          "p",
          { class: "hint", id: `item-${item.id}-meta` },
          `${item.source} · ${where(item)} · waiting ${formatDuration(ageSeconds(item))} · `,
          item.claimed_by ? `claimed by ${item.claimed_by}` : "unclaimed",
        ),
      );
    }),
  );
}

/** Where the flagged words were written: a group room (by name, with the message's number) or a one-to-one chat's topic. */
function where(item) {
  return item.room ? `room “${item.room.name}”, message ${item.room.seq}` : item.topic || "any topic";
}

function ageSeconds(item) {
  return Math.max(0, Math.round((Date.now() - new Date(item.created_at).getTime()) / 1000));
}

setInterval(() => state.items.size && render(), 30000);

// --- one item ----------------------------------------------------------------------
async function select(id) {
  state.selected = id;
  render();
  const item = state.items.get(id);
  $("#detail-body").hidden = false;
  renderDetailHeader(item);
  $("#detail").focus();
  await Promise.all([loadTranscript(id), loadAudit(id), loadReports(id)]);
}

/** What people reported about this item: reason, their words (as text), which message. */
async function loadReports(id) {
  let reports = [];
  try {
    reports = (await get(`/api/v1/staff/flags/${id}`)).reports || [];
  } catch (failure) {
    reports = [];
  }
  $("#reports-section").hidden = reports.length === 0;
  $("#reports").replaceChildren(
    ...reports.map((report) =>
      el(
        "li",
        {},
        el("strong", { text: report.reason_label }),
        el("span", { text: report.message_seq ? ` · message #${report.message_seq}` : " · about the person" }),
        el("span", { class: "hint", text: ` · ${formatTime(report.created_at)}` }),
        report.text ? el("p", { class: "report-text", text: report.text }) : null,
      ),
    ),
  );
}

function renderDetailHeader(item) {
  if (!item) return;
  setText($("#detail-title"), `${item.level_label[0].toUpperCase()}${item.level_label.slice(1)} · ${item.reason || "Flagged chat"}`);
  setText($("#detail-meta"), `Raised ${formatTime(item.created_at)} by ${item.source} · ${where(item)}${item.categories && item.categories.length ? ` · ${item.categories.join(", ")}` : ""}`);
  setText($("#detail-reason"), item.excerpt || "No excerpt.");
  const mine = item.claimed_by && state.me && item.claimed_by === state.me.alias;
  $("#claim").hidden = Boolean(mine) || item.status === "resolved";
  $("#claim").disabled = Boolean(item.claimed_by && !mine);
  $("#claim").textContent = item.claimed_by && !mine ? `Claimed by ${item.claimed_by}` : "Claim";
  $("#action-form").hidden = !mine || item.status === "resolved";
  renderLive(item);
}

// --- joining a flagged chat -----------------------------------------------------------
/** One view per conversation this staff socket has joined, kept even while another item is shown. */
function viewFor(id) {
  if (!state.views.has(id)) {
    state.views.set(
      id,
      new ChatView({ conversationId: id, myRole: "staff", client: state.client, socket: state.socket, peerLabel: "Participant", signals: false }),
    );
  }
  return state.views.get(id);
}

function renderLive(item) {
  const conversation = item && item.conversation;
  $("#live-chat").hidden = !conversation;
  if (!conversation) return;
  const joined = state.joined.has(conversation);
  $("#join-chat").hidden = joined;
  $("#handoff").hidden = !joined;
  $("#staff-chat").replaceChildren(joined ? viewFor(conversation).root : el("span"));
}

$("#join-chat").addEventListener("click", async () => {
  const item = state.items.get(state.selected);
  if (!item || !item.conversation) return;
  setText($("#live-error"), "");
  try {
    await state.socket.request({ type: "conversation.join", conversation: item.conversation });
    state.joined.add(item.conversation);
    renderLive(item);
    viewFor(item.conversation).focus();
    announce("You've joined the chat. Both people have been told.");
    await loadAudit(item.id);
  } catch (failure) {
    setText($("#live-error"), failure.message);
  }
});

confirmButton($("#handoff"), "Yes, take over now", async () => {
  const item = state.items.get(state.selected);
  if (!item || !item.conversation) return;
  try {
    await state.socket.request({ type: "conversation.handoff", conversation: item.conversation });
    $("#handoff").hidden = true;
    announce("You've taken over. The listener has left the chat.");
  } catch (failure) {
    setText($("#live-error"), failure.message);
  }
});

async function loadTranscript(id) {
  try {
    const body = await get(`/api/v1/staff/flags/${id}/transcript`);
    $("#transcript").replaceChildren(
      ...body.messages.map((message) =>
        el(
          "li",
          {
            // A room flag's "transcript" is the room around it: members read like seekers, moderators like listeners.
            class: `msg ${message.kind === "system" ? "msg-system" : ["seeker", "member"].includes(message.sender_role) ? "msg-theirs" : "msg-mine"}${message.flagged ? " msg-flagged" : ""}`,
            "data-seq": String(message.seq),
          },
          message.kind === "system" ? null : el("p", { class: "msg-sender", text: `${message.sender_alias} (${message.sender_role})` }),
          el("p", { class: "msg-text", text: message.text }),
          el("p", { class: "msg-meta" }, el("time", { datetime: message.created_at, text: formatTime(message.created_at) }), message.flagged ? el("strong", { text: "Flagged" }) : null),
        ),
      ),
    );
  } catch (failure) {
    $("#transcript").replaceChildren(el("li", { class: "hint", text: failure.status === 404 ? "No transcript for this item." : failure.message }));
  }
}

async function loadAudit(id) {
  try {
    const body = await get(`/api/v1/staff/flags/${id}/audit`);
    $("#audit").replaceChildren(
      ...body.records.map((record) =>
        el("li", {}, el("time", { datetime: record.created_at, text: formatTime(record.created_at) }), ` · ${record.actor || "system"} · ${record.action}`, record.note ? ` · “${record.note}”` : ""),
      ),
    );
    renderLiftable(body.records);
  } catch (failure) {
    $("#audit").replaceChildren(el("li", { text: failure.message }));
  }
}

$("#claim").addEventListener("click", async () => {
  setText($("#detail-error"), "");
  try {
    const item = await post(`/api/v1/staff/flags/${state.selected}/claim`);
    upsert(item);
    await loadAudit(state.selected);
    $("#action-note").focus();
  } catch (failure) {
    setText($("#detail-error"), failure.body && failure.body.claimed_by ? `${failure.message} (${failure.body.claimed_by})` : failure.message);
  }
});

$("#action-note").addEventListener("input", () => setText($("#action-error"), ""));

$("#action-kind").addEventListener("change", () => {
  const kind = $("#action-kind").value;
  $("#escalation-fields").hidden = kind !== "escalation";
  $("#mute-fields").hidden = !kind.startsWith("mute-");
  $("#sanction-fields").hidden = kind !== "suspend" && kind !== "ban";
});

/** Sanctions recorded on this item and not lifted yet, from the audit trail (data.sanction is the id). */
function renderLiftable(records) {
  const lifted = new Set(records.filter((record) => record.action.startsWith("sanction.lift_")).map((record) => record.data && record.data.sanction));
  const open = records.filter((record) => /^sanction\.(?!lift_)/.test(record.action) && record.data && record.data.sanction && !lifted.has(record.data.sanction));
  $("#lift-form").hidden = open.length === 0;
  $("#lift-sanction").replaceChildren(
    ...open.map((record) =>
      el("option", { value: String(record.data.sanction), text: `${record.action.slice("sanction.".length)} · ${formatTime(record.created_at)} · by ${record.actor || "system"}` }),
    ),
  );
}

$("#lift-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const note = $("#lift-note").value.trim();
  if (!note) {
    setText($("#lift-error"), "A note is required: say why the sanction ends now.");
    $("#lift-note").focus();
    return;
  }
  setText($("#lift-error"), "");
  try {
    await post(`/api/v1/staff/sanctions/${$("#lift-sanction").value}/lift`, { note });
    $("#lift-note").value = "";
    announce("Sanction lifted.");
    await loadAudit(state.selected);
  } catch (failure) {
    setText($("#lift-error"), failure.message);
  }
});

function isoFromLocal(value) {
  return value ? new Date(value).toISOString() : null;
}

$("#action-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const id = state.selected;
  const note = $("#action-note").value.trim();
  const kind = $("#action-kind").value;
  if (!note) {
    setText($("#action-error"), "A note is required: say what you saw and why you chose this action.");
    $("#action-note").focus();
    return;
  }
  setText($("#action-error"), "");
  try {
    if (kind === "escalation") {
      const contacted = $("#action-contacted").value.trim();
      if (!contacted) {
        setText($("#action-error"), "Say who you contacted.");
        $("#action-contacted").focus();
        return;
      }
      await post(`/api/v1/staff/flags/${id}/escalations`, { contacted, reference: $("#action-reference").value.trim(), note });
      announce("Escalation recorded.");
    } else if (kind.startsWith("mute-")) {
      const minutes = Number($("#action-minutes").value);
      if (!Number.isInteger(minutes) || minutes < 1) {
        setText($("#action-error"), "Give the number of minutes as a whole number.");
        $("#action-minutes").focus();
        return;
      }
      await post(`/api/v1/staff/flags/${id}/mute`, { target: kind.slice(5), minutes, note });
      announce(`The ${kind.slice(5)} is muted for ${minutes} minutes.`);
    } else if (kind === "suspend" || kind === "ban") {
      const until = isoFromLocal($("#action-until").value);
      const reviewAt = isoFromLocal($("#action-review").value);
      if (!until && !reviewAt) {
        setText($("#action-error"), "Give an end date or a review date.");
        $("#action-until").focus();
        return;
      }
      await post(`/api/v1/staff/flags/${id}/${kind}`, { note, until, review_at: reviewAt });
      announce(kind === "suspend" ? "The listener is suspended." : "The seeker is banned.");
    } else {
      if (kind.startsWith("warn-")) await post(`/api/v1/staff/flags/${id}/warn`, { target: kind.slice(5), note });
      const item = await post(`/api/v1/staff/flags/${id}/resolve`, { note });
      upsert(item);
      announce("Item resolved.");
      $("#action-form").hidden = true;
    }
    $("#action-note").value = "";
    await loadAudit(id);
  } catch (failure) {
    setText($("#action-error"), failure.message);
  }
});

// --- socket ----------------------------------------------------------------------
async function onFrame(frame) {
  if (frame.type === "hello") for (const id of frame.conversations || []) state.joined.add(id);
  if (frame.type === "conversation.joined") viewFor(frame.conversation.id);
  state.client.handle(frame);
  switch (frame.type) {
    case "conversation.ended":
      if (state.views.has(frame.conversation)) state.views.get(frame.conversation).setEnded(frame.reason_text);
      break;
    case "hello": {
      state.items.clear();
      for (const alert of frame.alerts || []) upsert(alert);
      // More open alerts than one frame holds: the rest come from the review queue.
      if (frame.alerts_has_more) await loadAllAlerts();
      if (linkedFlag !== null && state.items.has(linkedFlag)) {
        const id = linkedFlag;
        linkedFlag = null;
        select(id);
      }
      break;
    }
    case "alert.created":
      upsert(frame.alert, { fresh: !state.items.has(frame.alert.id) });
      break;
    case "alert.renotify":
      upsert(frame.alert, { fresh: true });
      break;
    case "alert.updated":
      upsert(frame.alert);
      break;
    default:
      break;
  }
}

whoAmI().then((me) => (me ? enter(me) : show("step-login")), () => show("step-login"));
