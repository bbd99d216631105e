// The safety team's live review queue: alerts arrive on /ws/v1/staff/ without a reload,
// ordered by severity then age; claim, read the transcript, act with a required note, see the audit trail.

import { get, post, whoAmI } from "./api.js";
import { $, announce, el, formatDuration, formatTime, setText, showOnly } from "./dom.js";
import { HearthSocket } from "./socket.js";
import { connectionBanner } from "./common.js";

const show = (id) => showOnly(".step", id);
const state = { me: null, items: new Map(), selected: null, socket: null };
const baseTitle = document.title;

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  setText($("#login-error"), "");
  try {
    await get("/api/v1/session/csrf");
    const me = await post("/api/v1/session/login", { username: $("#username").value.trim(), password: $("#password").value });
    $("#password").value = "";
    enter(me);
  } catch (failure) {
    setText($("#login-error"), failure.message);
  }
});

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
  state.socket = new HearthSocket("/ws/v1/staff/", { onFrame, onStatus: (status, detail) => connectionBanner($("#connection"), status, detail) });
  state.socket.start();
}

// --- the queue -------------------------------------------------------------------
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
          `${item.source} · ${item.topic || "any topic"} · waiting ${formatDuration(ageSeconds(item))} · `,
          item.claimed_by ? `claimed by ${item.claimed_by}` : "unclaimed",
        ),
      );
    }),
  );
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
  await Promise.all([loadTranscript(id), loadAudit(id)]);
}

function renderDetailHeader(item) {
  if (!item) return;
  setText($("#detail-title"), `${item.level_label[0].toUpperCase()}${item.level_label.slice(1)} · ${item.reason || "Flagged chat"}`);
  setText($("#detail-meta"), `Raised ${formatTime(item.created_at)} by ${item.source}${item.categories && item.categories.length ? ` · ${item.categories.join(", ")}` : ""}`);
  setText($("#detail-reason"), item.excerpt || "No excerpt.");
  const mine = item.claimed_by && state.me && item.claimed_by === state.me.alias;
  $("#claim").hidden = Boolean(mine) || item.status === "resolved";
  $("#claim").disabled = Boolean(item.claimed_by && !mine);
  $("#claim").textContent = item.claimed_by && !mine ? `Claimed by ${item.claimed_by}` : "Claim";
  $("#action-form").hidden = !mine || item.status === "resolved";
}

async function loadTranscript(id) {
  try {
    const body = await get(`/api/v1/staff/flags/${id}/transcript`);
    $("#transcript").replaceChildren(
      ...body.messages.map((message) =>
        el(
          "li",
          {
            class: `msg ${message.kind === "system" ? "msg-system" : message.sender_role === "seeker" ? "msg-theirs" : "msg-mine"}${message.flagged ? " msg-flagged" : ""}`,
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
  $("#escalation-fields").hidden = $("#action-kind").value !== "escalation";
});

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
  switch (frame.type) {
    case "hello": {
      state.items.clear();
      for (const alert of frame.alerts || []) upsert(alert);
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
