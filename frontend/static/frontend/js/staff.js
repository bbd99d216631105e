// The safety team's review desk: alerts arrive on /ws/v1/staff/ without a reload, ordered by severity
// then age, beside the open item (who wrote what, the person's history, the transcript with held
// messages, the action form, the audit trail in words). New elevated and imminent items sound a short
// tone and raise a desktop notification; unclaimed imminent items become overdue after the server's
// SAFETY_UNCLAIMED_OVERDUE_SECONDS (delivered with json_script).
//
// `reduce` (staff_state.js) owns the state; `render(state)` draws it; `start()` wires the page.
// Below the queue: reported room messages with each member's reason (staff_room_reports.js).

import { get, post, whoAmI } from "./api.js";
import { $, announce, el, formatDuration, formatTime, showOnly } from "./dom.js";
import { ChatClient } from "./conversation.js";
import { HearthSocket } from "./socket.js";
import { ChatView } from "./chatview.js";
import { confirmButton, connectionBanner, loginForm } from "./common.js";
import { roomReports } from "./staff_room_reports.js";
import {
  categoryWords,
  initialState,
  isOverdue,
  itemFacts,
  openItem,
  ordered,
  overdueCount,
  pageTitle,
  reduce,
  whoWrote,
} from "./staff_state.js";

const SOUND_KEY = "hearth.staff.sound";
const config = JSON.parse(document.getElementById("staff-config").textContent);
const baseTitle = document.title;
let state = initialState({ overdueSeconds: config.unclaimed_overdue_seconds, now: Date.now() });
// The page's connections and widgets (not state: nothing here is rendered from it).
const session = { me: null, socket: null, client: null, views: new Map(), joined: new Set(), handedOff: new Set(), audio: null };
// An alert e-mail links to /staff/?flag=<id>: open that item once the queue has it.
let linkedFlag = Number.parseInt(new URLSearchParams(location.search).get("flag") || "", 10) || null;

/** Set a node's text only when it differs: render runs every second, and rewriting the same words
 * into a live region (the overdue line) or a focused button makes screen readers repeat them. */
function put(node, text) {
  const value = text ?? "";
  if (node && node.textContent !== value) node.textContent = value;
}

function dispatch(frame) {
  state = reduce(state, frame);
  if (state.effects.length) {
    const effects = state.effects;
    state = reduce(state, { type: "effects.done" });
    for (const effect of effects) play(effect);
  }
  render(state);
}

// --- sound, notifications, announcements ----------------------------------------------
function soundOn() {
  try {
    return localStorage.getItem(SOUND_KEY) !== "off";
  } catch (error) {
    return true;
  }
}

/** Browsers only let a page make sound after a gesture: the first click or key unlocks it. */
function unlockAudio() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  try {
    session.audio = session.audio || new Context();
    if (session.audio.state === "suspended") session.audio.resume();
  } catch (error) {
    session.audio = null;
  }
}

/** A short two-note tone (three for an urgent one: imminent, repeated, overdue), generated: no media file. */
function tone(urgent) {
  if (!soundOn() || !session.audio) return;
  const audio = session.audio;
  const notes = urgent ? [880, 660, 880] : [660, 880];
  notes.forEach((frequency, index) => {
    const start = audio.currentTime + index * 0.22;
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(start);
    oscillator.stop(start + 0.2);
  });
}

function notify(title, body, id) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try {
    const notification = new Notification(title, { body, tag: `hearth-flag-${id}`, renotify: true, requireInteraction: true });
    notification.onclick = () => {
      window.focus();
      select(id);
      notification.close();
    };
  } catch (error) {
    /* some browsers only allow notifications from a service worker: the tone and the title still work */
  }
}

function play(effect) {
  if (effect.kind === "log") {
    console.log("Staff desk: a frame was not applied:", effect.why, effect.frame);
    return;
  }
  const item = effect.alert;
  const level = item.level_label || "new";
  const what = `${whoWrote(item)} ${item.reason || ""}`.trim();
  if (effect.kind === "new") {
    announce(`New ${level} alert: ${what}`, { urgent: true });
    tone(level === "imminent");
    notify(`New ${level} alert`, what, item.id);
  } else if (effect.kind === "renotify") {
    announce(`Still not acknowledged, sent to more of the team: ${what}`, { urgent: true });
    tone(true);
    notify(`Still waiting: ${level} alert`, what, item.id);
  } else if (effect.kind === "overdue") {
    const waited = formatDuration(effect.round * state.overdueSeconds);
    announce(`Overdue imminent item, unclaimed for ${waited}: ${what}`, { urgent: true });
    tone(true);
    notify(`Overdue: unclaimed for ${waited}`, what, item.id);
  }
}

function renderSoundControls() {
  const on = soundOn();
  const toggle = $("#sound-toggle");
  toggle.setAttribute("aria-pressed", String(on));
  put(toggle, on ? "Sound on" : "Sound off");
  const supported = "Notification" in window;
  $("#notify-enable").hidden = !supported || Notification.permission !== "default";
  put(
    $("#notify-status"),
    !supported
      ? "This browser can't show desktop notifications; keep this tab visible."
      : Notification.permission === "denied"
        ? "Desktop notifications are blocked for this site; allow them in the browser's site settings to be told when this tab is hidden."
        : "",
  );
}

// --- render ----------------------------------------------------------------------------
const cards = new Map(); // alert id -> its card, reused so focus stays on a card's button
const drawn = {}; // the last detail parts drawn, to redraw only what changed

function render(current) {
  const items = ordered(current);
  document.title = pageTitle(current, baseTitle);
  put($("#queue-count"), items.length ? `(${items.length})` : "");
  $("#queue-empty").hidden = items.length > 0;
  const urgent = overdueCount(current);
  put($("#overdue-summary"), urgent ? `${urgent} imminent ${urgent === 1 ? "item has" : "items have"} waited too long for a reviewer.` : "");
  $("#frame-problem").hidden = !current.problem;
  put($("#frame-problem-text"), current.problem || "");
  renderQueue(current, items);
  renderDetail(current);
}

function renderQueue(current, items) {
  for (const id of cards.keys()) if (!current.items[id]) cards.delete(id);
  const list = $("#queue");
  items.forEach((item, index) => {
    const card = cards.get(item.id) || makeCard(item.id);
    cards.set(item.id, card);
    fillCard(current, card, item);
    if (list.children[index] !== card.li) list.insertBefore(card.li, list.children[index] || null);
  });
  while (list.children.length > items.length) list.lastElementChild.remove();
}

function makeCard(id) {
  const button = el("button", { type: "button", class: "link-button", "aria-describedby": `item-${id}-meta` });
  button.addEventListener("click", () => select(id));
  const parts = {
    severity: el("span", { class: "severity" }),
    renotified: el("span", { class: "renotified-badge" }),
    button,
    overdue: el("p", { class: "overdue-badge" }),
    who: el("p", { class: "who" }),
    excerpt: el("p", { class: "offer-note" }),
    meta: el("p", { class: "hint", id: `item-${id}-meta` }),
  };
  const li = el(
    "li",
    { class: "queue-item", "data-alert": String(id) },
    el("p", {}, parts.severity, " ", parts.button, parts.renotified),
    parts.overdue,
    parts.who,
    parts.excerpt,
    parts.meta,
  );
  return { li, parts };
}

function fillCard(current, { li, parts }, item) {
  const overdue = isOverdue(current, item);
  li.dataset.severity = item.level_label;
  li.dataset.overdue = String(overdue);
  if (current.selected === item.id) li.setAttribute("aria-current", "true");
  else li.removeAttribute("aria-current");
  parts.severity.className = `severity severity-${item.level_label}`;
  put(parts.severity, item.level_label);
  put(parts.button, item.reason || "Flagged chat");
  parts.renotified.hidden = !(item.notify_round > 0);
  put(parts.renotified, item.notify_round > 0 ? `re-notified ×${item.notify_round}` : "");
  parts.overdue.hidden = !overdue;
  put(parts.overdue, overdue ? `Overdue: unclaimed for ${formatDuration(ageSeconds(current, item))}, needs a reviewer now` : "");
  put(parts.who, whoWrote(item));
  parts.excerpt.hidden = !item.excerpt;
  put(parts.excerpt, item.excerpt ? `“${item.excerpt}”` : "");
  put(
    parts.meta,
    `${item.source} · ${where(item)} · waiting ${formatDuration(ageSeconds(current, item))} · ${item.claimed_by ? `claimed by ${item.claimed_by}` : "unclaimed"}`,
  );
}

/** Where the flagged words were written: a group room (by name, with the message's number) or a one-to-one chat's topic. */
function where(item) {
  return item.room ? `room “${item.room.name}”, message ${item.room.seq}` : item.topic || "any topic";
}

function ageSeconds(current, item) {
  return Math.max(0, Math.round((current.now - Date.parse(item.created_at)) / 1000));
}

function renderDetail(current) {
  const item = openItem(current);
  $("#detail-body").hidden = !item;
  if (!item) {
    put($("#detail-title"), "Choose an item to review");
    return;
  }
  put(
    $("#detail-title"),
    `${item.status === "resolved" ? "Resolved · " : ""}${item.level_label[0].toUpperCase()}${item.level_label.slice(1)} · ${item.reason || "Flagged chat"}`,
  );
  put($("#detail-who"), whoWrote(item) + (isOverdue(current, item) ? ` Overdue: unclaimed for ${formatDuration(ageSeconds(current, item))}.` : ""));
  put($("#detail-meta"), `Raised ${formatTime(item.created_at)} by ${item.source} · ${where(item)}`);
  const facts = itemFacts(item);
  if (drawn.facts !== facts.join("\n")) {
    drawn.facts = facts.join("\n");
    $("#detail-facts").replaceChildren(...facts.map((fact) => el("li", { text: fact })));
  }
  put($("#detail-reason"), item.excerpt || "No excerpt.");
  const mine = Boolean(item.claimed_by && session.me && item.claimed_by === session.me.alias);
  $("#claim").hidden = mine || item.status === "resolved";
  $("#claim").disabled = Boolean(item.claimed_by && !mine);
  put($("#claim"), item.claimed_by && !mine ? `Claimed by ${item.claimed_by}` : "Claim");
  $("#action-form").hidden = !mine || item.status === "resolved";
  renderLive(item);
  const { detail } = current;
  drawPart("reports", detail, renderReports);
  drawPart("history", detail, renderHistory);
  drawPart("transcript", detail, renderTranscript);
  drawPart("audit", detail, renderAudit);
}

/** Redraw one part of the open item only when its data (or its error) changed. */
function drawPart(part, detail, draw) {
  const key = [detail.id, detail[part], detail.errors[part]];
  const last = drawn[part];
  if (last && last[0] === key[0] && last[1] === key[1] && last[2] === key[2]) return;
  drawn[part] = key;
  draw(detail[part], detail.errors[part]);
}

function renderReports(reports, error) {
  const list = reports || [];
  $("#reports-section").hidden = list.length === 0 && !error;
  $("#reports").replaceChildren(
    ...(error ? [el("li", { class: "form-error", text: error })] : []),
    ...list.map((report) =>
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

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

function formatDate(iso) {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) : "";
}

function renderHistory(history, error) {
  if (error || !history) {
    put($("#history-summary"), error || "Loading…");
    $("#history").replaceChildren();
    $("#history-scroll").hidden = true;
    return;
  }
  const { cases, reports, sanctions, subject } = history;
  $("#history-scroll").hidden = cases.length + reports.length + sanctions.length === 0;
  const inForce = sanctions.filter((sanction) => !sanction.lifted_at && (!sanction.expires_at || Date.parse(sanction.expires_at) > Date.now()));
  put(
    $("#history-summary"),
    !subject
      ? "The person's account no longer exists; there is no history to show."
      : cases.length + reports.length + sanctions.length === 0
        ? `No earlier cases, reports or sanctions for ${subject.alias} (${subject.role}).`
        : `${subject.alias} (${subject.role}): ${plural(cases.length, "earlier case", "earlier cases")}, ${plural(reports.length, "report", "reports")} about them, ${plural(sanctions.length, "sanction", "sanctions")} (${inForce.length} in force).`,
  );
  $("#history").replaceChildren(
    ...sanctions.map((sanction) =>
      el(
        "li",
        {},
        el("span", { class: "history-kind", text: sanction.kind_label }),
        ` · ${formatDate(sanction.created_at)} · by ${sanction.created_by || "system"}`,
        sanction.lifted_at
          ? ` · lifted ${formatDate(sanction.lifted_at)}`
          : inForce.includes(sanction)
            ? ` · in force${sanction.expires_at ? ` until ${formatDate(sanction.expires_at)}` : ""}${sanction.review_at ? `, review ${formatDate(sanction.review_at)}` : ""}`
            : " · ended",
        sanction.note ? el("p", { class: "report-text", text: sanction.note }) : null,
      ),
    ),
    ...cases.map((flagCase) =>
      el(
        "li",
        {},
        el("span", { class: "history-kind", text: `Case · ${flagCase.level_label}` }),
        ` · ${formatDate(flagCase.created_at)} · as ${flagCase.subject_role || "unknown"} · ${flagCase.categories.map(categoryWords).join(", ") || "no category"} · `,
        flagCase.status === "resolved" ? (flagCase.resolution && flagCase.resolution.action_taken ? "resolved, action taken" : "resolved, no action") : flagCase.status,
        flagCase.resolution && flagCase.resolution.note ? el("p", { class: "report-text", text: flagCase.resolution.note }) : null,
      ),
    ),
    ...reports.map((report) =>
      el(
        "li",
        {},
        el("span", { class: "history-kind", text: `Report · ${report.reason_label}` }),
        ` · ${formatDate(report.created_at)}`,
        report.text ? el("p", { class: "report-text", text: report.text }) : null,
      ),
    ),
  );
}

function renderTranscript(body, error) {
  if (error || !body) {
    $("#transcript").replaceChildren(el("li", { class: "hint", text: error || "Loading…" }));
    $("#held-section").hidden = true;
    return;
  }
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
  const held = body.held || [];
  $("#held-section").hidden = held.length === 0;
  $("#held").replaceChildren(
    ...held.map((message) =>
      el(
        "li",
        { class: "held-message" },
        el("p", { class: "held-label", text: `Never delivered · held back from the ${message.sender_role === "seeker" ? "listener" : "seeker"}` }),
        el("p", { class: "msg-sender", text: `Written by the ${message.sender_role} · ${formatTime(message.created_at)}` }),
        el("p", { class: "msg-text", text: message.text }),
      ),
    ),
  );
}

function renderAudit(body, error) {
  if (error || !body) {
    $("#audit").replaceChildren(el("li", { text: error || "Loading…" }));
    $("#lift-form").hidden = true;
    return;
  }
  $("#audit").replaceChildren(
    ...body.records.map((record) =>
      el(
        "li",
        {},
        el("time", { datetime: record.created_at, text: formatTime(record.created_at) }),
        ` · ${record.actor || "Hearth"} ${record.action_label || record.action}`,
        record.note ? ` · “${record.note}”` : "",
      ),
    ),
  );
  renderLiftable(body.records);
}

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

// --- one item ----------------------------------------------------------------------------
const PARTS = {
  transcript: (id) => get(`/api/v1/staff/flags/${id}/transcript`),
  audit: (id) => get(`/api/v1/staff/flags/${id}/audit`),
  history: (id) => get(`/api/v1/staff/flags/${id}/history`),
  reports: async (id) => (await get(`/api/v1/staff/flags/${id}`)).reports || [],
};

async function load(id, part) {
  try {
    dispatch({ type: "detail.loaded", id, part, body: await PARTS[part](id) });
  } catch (failure) {
    const message = failure.status === 404 && part === "transcript" ? "No transcript for this item." : failure.message || "Could not be loaded.";
    dispatch({ type: "detail.failed", id, part, message });
  }
}

async function select(id) {
  if (!state.items[id]) return;
  dispatch({ type: "select", id });
  $("#detail").focus();
  await Promise.all(Object.keys(PARTS).map((part) => load(id, part)));
}

// --- joining a flagged chat -----------------------------------------------------------
/** One view per conversation this staff socket has joined, kept even while another item is shown. */
function viewFor(id) {
  if (!session.views.has(id)) {
    session.views.set(
      id,
      new ChatView({ conversationId: id, myRole: "staff", client: session.client, socket: session.socket, peerLabel: "Participant", signals: false }),
    );
  }
  return session.views.get(id);
}

let liveShown = null;
function renderLive(item) {
  const conversation = item && item.conversation;
  $("#live-chat").hidden = !conversation;
  if (!conversation) return;
  const joined = session.joined.has(conversation);
  $("#join-chat").hidden = joined;
  $("#handoff").hidden = !joined || session.handedOff.has(conversation);
  const key = `${conversation}:${joined}`;
  if (liveShown === key) return;
  liveShown = key;
  $("#staff-chat").replaceChildren(joined ? viewFor(conversation).root : el("span"));
}

// --- start ---------------------------------------------------------------------------------
function enter(me) {
  if (!me.is_safety_staff) {
    showOnly(".step", "step-login");
    put($("#login-error"), "This page is for the safety team.");
    return;
  }
  session.me = me;
  showOnly(".step", "step-queue");
  renderSoundControls();
  session.socket = new HearthSocket("/ws/v1/staff/", {
    onFrame,
    onMalformed: (data) => dispatch(data === null || typeof data !== "object" ? { type: undefined, data } : { ...data, type: undefined }),
    onStatus: (status, detail) => {
      connectionBanner($("#connection"), status, detail);
      for (const view of session.views.values()) view.connectionChanged(status === "open");
    },
  });
  session.client = new ChatClient(session.socket, {
    onMessage: (id, message, { live }) => viewFor(id).addMessage(message, { live }),
    onPending: (id, entry) => viewFor(id).addPending(entry),
    onAck: (id, clientId, ack) => viewFor(id).acked(clientId, ack),
    onError: (frame, { conversation, client_id: clientId, retrying }) => viewFor(conversation).failed(clientId, frame, retrying),
  });
  session.socket.start();
  roomReports();
}

/** Every open alert of level elevated or imminent (what `hello` lists), from the REST review queue. */
async function loadAllAlerts() {
  try {
    const body = await get("/api/v1/staff/queue");
    dispatch({ type: "queue.loaded", items: body.items || [] });
  } catch (failure) {
    announce("Some alerts could not be loaded. Reload the page to try again.", { urgent: true });
  }
}

async function onFrame(frame) {
  try {
    if (frame.type === "hello") for (const id of frame.conversations || []) session.joined.add(id);
    if (frame.type === "conversation.joined" && frame.conversation) viewFor(frame.conversation.id);
    session.client.handle(frame);
    if (frame.type === "conversation.ended" && session.views.has(frame.conversation)) session.views.get(frame.conversation).setEnded(frame.reason_text);
  } catch (error) {
    console.log("Staff desk: a chat frame could not be applied:", error, frame);
    dispatch({ type: undefined, frame });
    return;
  }
  dispatch(frame);
  if (frame.type === "hello") {
    if (frame.alerts_has_more) await loadAllAlerts();
    if (linkedFlag !== null && state.items[linkedFlag]) {
      const id = linkedFlag;
      linkedFlag = null;
      select(id);
    }
  }
}

async function afterAction(id, item) {
  if (item && typeof item === "object" && "id" in item) dispatch({ type: "alert.updated", alert: item });
  await load(id, "audit");
}

function isoFromLocal(value) {
  return value ? new Date(value).toISOString() : null;
}

async function recordAction(id) {
  const note = $("#action-note").value.trim();
  const kind = $("#action-kind").value;
  if (!note) {
    put($("#action-error"), "A note is required: say what you saw and why you chose this action.");
    $("#action-note").focus();
    return;
  }
  put($("#action-error"), "");
  try {
    let item = null;
    if (kind === "emergency-call") {
      const contacted = $("#action-contacted").value.trim();
      if (!contacted) {
        put($("#action-error"), "Say who you contacted.");
        $("#action-contacted").focus();
        return;
      }
      await post(`/api/v1/staff/flags/${id}/emergency-calls`, { contacted, reference: $("#action-reference").value.trim(), note });
      announce("Emergency call recorded.");
    } else if (kind.startsWith("mute-")) {
      const minutes = Number($("#action-minutes").value);
      if (!Number.isInteger(minutes) || minutes < 1) {
        put($("#action-error"), "Give the number of minutes as a whole number.");
        $("#action-minutes").focus();
        return;
      }
      await post(`/api/v1/staff/flags/${id}/mute`, { target: kind.slice(5), minutes, note });
      announce(`The ${kind.slice(5)} is muted for ${minutes} minutes.`);
    } else if (kind === "suspend" || kind === "ban") {
      const until = isoFromLocal($("#action-until").value);
      const reviewAt = isoFromLocal($("#action-review").value);
      if (!until && !reviewAt) {
        put($("#action-error"), "Give an end date or a review date.");
        $("#action-until").focus();
        return;
      }
      await post(`/api/v1/staff/flags/${id}/${kind}`, { note, until, review_at: reviewAt });
      announce(kind === "suspend" ? "The listener is suspended." : "The seeker is banned.");
    } else {
      if (kind.startsWith("warn-")) await post(`/api/v1/staff/flags/${id}/warn`, { target: kind.slice(5), note });
      item = await post(`/api/v1/staff/flags/${id}/resolve`, { note });
      announce("Item resolved.");
    }
    $("#action-note").value = "";
    await afterAction(id, item);
    // A resolved case hides the form whose button had focus: keep focus in the pane, not on the body.
    if ($("#action-form").hidden) $("#detail").focus();
    if (kind !== "resolve" && !kind.startsWith("warn-")) await load(id, "history");
  } catch (failure) {
    put($("#action-error"), failure.message);
  }
}

function start() {
  loginForm(enter);
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, unlockAudio, { capture: true });

  $("#logout").addEventListener("click", async () => {
    if (session.socket) session.socket.stop();
    try {
      await post("/api/v1/session/logout");
    } finally {
      location.reload();
    }
  });

  $("#sound-toggle").addEventListener("click", () => {
    try {
      localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on");
    } catch (error) {
      /* private mode without storage: the toggle then lasts as long as nothing */
    }
    renderSoundControls();
    if (soundOn()) tone(false);
  });

  $("#notify-enable").addEventListener("click", async () => {
    try {
      await Notification.requestPermission();
    } finally {
      renderSoundControls();
    }
  });

  $("#frame-problem-dismiss").addEventListener("click", () => dispatch({ type: "problem.dismiss" }));

  $("#join-chat").addEventListener("click", async () => {
    const item = openItem(state);
    if (!item || !item.conversation) return;
    put($("#live-error"), "");
    try {
      await session.socket.request({ type: "conversation.join", conversation: item.conversation });
      session.joined.add(item.conversation);
      render(state);
      viewFor(item.conversation).focus();
      announce("You've joined the chat. Both people have been told.");
      await load(item.id, "audit");
    } catch (failure) {
      put($("#live-error"), failure.message);
    }
  });

  confirmButton($("#handoff"), "Yes, take over now", async () => {
    const item = openItem(state);
    if (!item || !item.conversation) return;
    try {
      await session.socket.request({ type: "conversation.handoff", conversation: item.conversation });
      session.handedOff.add(item.conversation);
      render(state);
      announce("You've taken over. The listener has left the chat.");
    } catch (failure) {
      put($("#live-error"), failure.message);
    }
  });

  $("#claim").addEventListener("click", async () => {
    const id = state.selected;
    put($("#detail-error"), "");
    try {
      await afterAction(id, await post(`/api/v1/staff/flags/${id}/claim`));
      $("#action-note").focus();
    } catch (failure) {
      put($("#detail-error"), failure.body && failure.body.claimed_by ? `${failure.message} (${failure.body.claimed_by})` : failure.message);
    }
  });

  $("#action-note").addEventListener("input", () => put($("#action-error"), ""));
  $("#action-kind").addEventListener("change", () => {
    const kind = $("#action-kind").value;
    $("#emergency-call-fields").hidden = kind !== "emergency-call";
    $("#mute-fields").hidden = !kind.startsWith("mute-");
    $("#sanction-fields").hidden = kind !== "suspend" && kind !== "ban";
  });
  $("#action-form").addEventListener("submit", (event) => {
    event.preventDefault();
    recordAction(state.selected);
  });

  $("#lift-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const note = $("#lift-note").value.trim();
    if (!note) {
      put($("#lift-error"), "A note is required: say why the sanction ends now.");
      $("#lift-note").focus();
      return;
    }
    put($("#lift-error"), "");
    try {
      await post(`/api/v1/staff/sanctions/${$("#lift-sanction").value}/lift`, { note });
      $("#lift-note").value = "";
      announce("Sanction lifted.");
      await load(state.selected, "audit");
      await load(state.selected, "history");
    } catch (failure) {
      put($("#lift-error"), failure.message);
    }
  });

  // The clock drives waiting times and overdue items; once a second is plenty for minutes.
  setInterval(() => dispatch({ type: "tick", now: Date.now() }), 1000);
  whoAmI().then((me) => (me ? enter(me) : showOnly(".step", "step-login")), () => showOnly(".step", "step-login"));
}

start();
