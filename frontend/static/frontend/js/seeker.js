// The seeker's page: age → topic → waiting (already able to write) → chat → rating.

import { get, post, whoAmI } from "./api.js";
import { ChatView } from "./chatview.js";
import { $, announce, el, formatDuration, helplineList, readJson, setText, showOnly } from "./dom.js";
import { ChatClient } from "./conversation.js";
import { HearthSocket } from "./socket.js";
import { confirmButton, connectionBanner, endpoints, seekerSigninForm } from "./common.js";
import { ageError, initialCrisis, reduceCrisis, resourcesLead } from "./crisis.js";
import { TabAttention, bindNotificationButton } from "./attention.js";
import { frameProblem } from "./frames.js";
import { ResourcesPanel } from "./helplines.js";
import { serverLimit } from "./limits.js";
import { initialPrivacy, reducePrivacy } from "./privacy_state.js";
import { initialSeeker, reduceSeeker, waitingNotice } from "./seeker_state.js";
import { warningBanner } from "./warning_banner.js";

// `phase` is where the seeker is (seeker_state.js): the screen is drawn from it by renderPhase().
const state = { socket: null, client: null, view: null, phase: initialSeeker(), user: null, hasPassword: false, connected: false, crisis: initialCrisis() };
let privacy = initialPrivacy(readJson("privacy-state", null));
const AGE_LIMITS = readJson("age-limits", { min: 0, max: 120 });
const resources = new ResourcesPanel({ onChange: () => renderCrisis() });
const show = (id, options) => showOnly(".step", id, options);
const warnings = warningBanner();

// --- the privacy notice ------------------------------------------------------------------
/**
 * Record that the notice shown was accepted (going on from a screen that shows it). False only when
 * the notice changed since the page loaded: the page reloads to show the new one. Any other failure
 * lets the person go on: a counter never stands between someone and a chat.
 */
async function acceptPrivacy() {
  if (!privacy.due) return true;
  try {
    await get("/api/v1/session/csrf");
    const body = await post("/api/v1/privacy", { version: privacy.version });
    privacy = reducePrivacy(privacy, { type: "accepted", version: body.version });
  } catch (failure) {
    if (failure.code === "privacy_notice_outdated") {
      privacy = reducePrivacy(privacy, { type: "outdated", version: failure.body.version });
      location.reload();
      return false;
    }
    privacy = reducePrivacy(privacy, { type: "accepted", version: privacy.version });
  }
  return true;
}

// --- the steps: reduce, then draw ---------------------------------------------------------
/** Reduce a frame or a page event into `state.phase` and draw the screen if it changed. */
function dispatchPhase(event) {
  const before = state.phase;
  state.phase = reduceSeeker(before, event);
  if (state.phase !== before) renderPhase(before);
}

function renderPhase(before) {
  const phase = state.phase;
  // The view exists before the client hands it the conversation's messages.
  if (phase.conversation !== null) ensureView(phase.conversation);
  switch (phase.step) {
    case "age":
      show("step-age");
      $("#age").focus();
      break;
    case "refused":
      show("step-refused");
      break;
    case "topic":
      if (before.step !== "topic") showTopic();
      break;
    case "waiting":
      renderWaiting(before);
      break;
    case "chat":
      renderChat(before);
      break;
    case "ended":
      if (before.step !== "ended") renderEnded();
      break;
    default:
      break;
  }
}

const askAge = () => dispatchPhase({ type: "age.asked" });
const askTopic = () => dispatchPhase({ type: "topic.asked" });

$("#age-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("#age");
  const error = $("#age-error");
  const raw = input.value.trim();
  const age = Number(raw);
  const problem = ageError(raw, AGE_LIMITS);
  if (problem) {
    setText(error, problem);
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  setText(error, "");
  if (!(await acceptPrivacy())) return;
  try {
    await get("/api/v1/session/csrf");
    state.user = await post("/api/v1/session/anonymous", { age, remember: $("#remember").checked });
    state.hasPassword = false;
    startSocket();
  } catch (failure) {
    if (failure.code === "under_minimum_age") {
      refuse(failure.body);
      return;
    }
    const fields = failure.body && failure.body.fields;
    setText(error, fields && fields.age ? `Please enter an age between ${AGE_LIMITS.min} and ${AGE_LIMITS.max}.` : failure.message);
  }
});

// A returning seeker signs in with alias + passphrase instead of starting anonymously.
seekerSigninForm("talk-signin", (me) => {
  if (me.role !== "seeker") {
    setText($("#talk-signin-error"), "This sign-in is for people who come to talk. Listeners and staff: please use the Listeners or Safety team page.");
    return;
  }
  state.user = me;
  state.hasPassword = Boolean(me.has_password);
  $("#returning").open = false;
  startSocket();
});

function refuse(body) {
  setText($("#refused-message"), body.message);
  $("#refused-helplines").replaceChildren(helplineList(body.helplines));
  dispatchPhase({ type: "refused" });
}

// --- topic -------------------------------------------------------------------------
let topicsLoaded = false;

async function showTopic() {
  show("step-topic");
  $("#privacy-topic").hidden = !privacy.due; // a returning seeker sees a changed notice here
  loadFavourites();
  if (topicsLoaded) return;
  const choices = $("#topic-choices");
  try {
    const topics = await get("/api/v1/topics");
    for (const topic of topics) {
      choices.append(
        el(
          "label",
          { class: "choice" },
          el("input", { type: "radio", name: "topic", value: topic.slug }),
          " ",
          el("span", { text: topic.name }),
        ),
      );
    }
    topicsLoaded = true;
    preselectTopic();
  } catch (error) {
    /* "Anything" still works */
  }
}

/** A room's "talk one-to-one" link passes its topic: start with it chosen. */
function preselectTopic() {
  const wanted = new URLSearchParams(location.search).get("topic");
  const radio = wanted && Array.from(document.querySelectorAll("#topic-choices input[name=topic]")).find((input) => input.value === wanted);
  if (radio) radio.checked = true;
}

/** Listeners this seeker saved as favourites, offered as "ask for" (GET /api/v1/favourites). */
async function loadFavourites() {
  const select = $("#favourite-listener");
  try {
    const body = await get("/api/v1/favourites");
    const favourites = (body && body.favourites) || [];
    select.replaceChildren(el("option", { value: "", text: "Anyone available" }), ...favourites.map((listener) => el("option", { value: listener.alias, text: listener.alias })));
    $("#favourite-choice").hidden = favourites.length === 0;
  } catch (error) {
    $("#favourite-choice").hidden = true; // anyone available still works
  }
}

$("#note").addEventListener("input", () => {
  const limit = serverLimit("request_note_max_chars");
  const left = limit === null ? "" : `${limit - $("#note").value.length} characters left. `;
  setText($("#note-count"), `${left}Please don't include your name or contact details.`);
});

$("#topic-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const topic = new FormData(form).get("topic") || "any";
  const note = $("#note").value.trim();
  setText($("#topic-error"), "");
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  if (!(await acceptPrivacy())) return;
  $("#privacy-topic").hidden = true;
  try {
    const listener = $("#favourite-listener").value || null;
    const reply = await state.socket.request({ type: "request.create", topic: topic === "any" ? null : topic, listener, note });
    // The reply is the committed answer; `conversation.waiting` travels over the channel layer
    // (at most once), so it may come late or not at all: the seeker must not be left on this form.
    const conversationId = reply.request.conversation;
    if (state.phase.conversation !== conversationId) {
      dispatchPhase({ type: "request.made", conversation: conversationId });
      state.client.sync(conversationId);
    }
    updateQueue(reply.request);
  } catch (failure) {
    if (failure.code === "already_waiting") return; // hello/sync will show the open request
    setText($("#topic-error"), failure.message || "We couldn't start the request. Please try again.");
  } finally {
    button.disabled = false;
  }
});

// --- waiting and chat ------------------------------------------------------------------
/** The chat's view for `conversationId`, made when the conversation changes. */
function ensureView(conversationId) {
  if (state.view && state.view.id === conversationId) return state.view;
  state.view = new ChatView({
    conversationId,
    myRole: "seeker",
    client: state.client,
    socket: state.socket,
    peerLabel: "Your listener",
    messageActions,
    isActive: () => state.phase.step === "waiting" || state.phase.step === "chat",
  });
  $("#chat-container").replaceChildren(state.view.root);
  // A new chat starts without the last one's crisis panel; hello or safety.resources bring it back.
  const risk = state.crisis.seeker;
  if (risk && risk.conversation !== null && risk.conversation !== conversationId) state.crisis = { ...state.crisis, seeker: null };
  renderCrisis();
  return state.view;
}

const onChatScreen = (phase) => phase.step === "waiting" || phase.step === "chat";

function renderWaiting(before) {
  const first = !onChatScreen(before);
  show("step-chat", { focus: first });
  setText($("#chat-title"), "Finding you a listener…");
  setText($("#chat-subtitle"), waitingNotice(state.phase));
  $("#waiting-box").hidden = false;
  $("#cancel-request").hidden = false;
  $("#end-chat").hidden = true;
  $("#chat-menu").hidden = true;
  state.view.setPeerPresent(false);
  if (first) state.view.focus();
}

function renderChat(before) {
  const phase = state.phase;
  const joined = before.step !== "chat" || before.conversation !== phase.conversation;
  show("step-chat", { focus: false });
  const alias = phase.peer ? phase.peer.alias : "A listener";
  setText($("#chat-title"), `You're talking with ${alias}`);
  setText($("#chat-subtitle"), "A trained volunteer listener. Take your time.");
  $("#waiting-box").hidden = true;
  $("#cancel-request").hidden = true;
  $("#end-chat").hidden = false;
  $("#chat-menu").hidden = false;
  state.view.setPeerPresent(true);
  if (phase.readSeq) state.view.setPeerRead(phase.readSeq);
  if (joined) {
    announce(`${alias} has joined the chat.`);
    document.title = `Chat with ${alias} · Hearth`;
  }
  state.view.focus();
}

function updateQueue(request) {
  if (!request) return;
  const position = request.position;
  setText(
    $("#queue-position"),
    request.listener
      ? `Waiting for ${request.listener}.`
      : position === 1 ? "You're next in line." : position ? `You're number ${position} in line.` : "You're in line.",
  );
  showWiden(Boolean(request.listener && request.widen_suggested), request.listener);
  setText($("#queue-wait"), waitText(request));
  showNobody(request);
}

// What the wait looks like, from the server's honest estimate: a number only when there is
// enough recent data, a range when there is a little, nothing when nobody could take them.
function waitText(request) {
  if (request.eligible_on_shift === 0) return "";
  const wait = request.estimated_wait_seconds;
  if (wait !== null && wait !== undefined) return `Estimated wait: ${formatDuration(wait)}.`;
  const range = request.estimated_wait_range_seconds;
  if (range && range.length === 2) return `Estimated wait: hard to say yet, somewhere from ${formatDuration(range[0])} to ${formatDuration(range[1])}.`;
  return "We'll connect you as soon as a listener is free.";
}

let nobodyShown = false;

function showNobody(request) {
  const nobody = request.eligible_on_shift === 0;
  $("#nobody-box").hidden = !nobody;
  if (!nobody) {
    if (nobodyShown) announce("A listener who can talk with you has come on. You're still in line.");
    nobodyShown = false;
    return;
  }
  const alternatives = request.alternatives || {};
  const room = alternatives.room;
  $("#nobody-room").hidden = !room;
  if (room) {
    const link = $("#nobody-room-link");
    link.setAttribute("href", `/rooms/${encodeURIComponent(room.id)}/`);
    setText(link, room.name);
  }
  $("#nobody-helplines").replaceChildren(helplineList(alternatives.helplines));
  if (!nobodyShown) announce("Nobody on shift right now can take this chat. You can keep waiting; we'll tell you when someone can.");
  nobodyShown = true;
}

function renderEnded() {
  const { endedText: reasonText, peer } = state.phase;
  if (state.view) state.view.setEnded(reasonText);
  setText($("#ended-reason"), reasonText || "This chat has ended.");
  renderCrisis();
  setText($("#favourite-alias"), peer ? peer.alias : "this listener");
  $("#rating-form").hidden = !peer;
  $("#rating-done").hidden = true;
  $("#keep-account").hidden = state.hasPassword;
  show("step-ended");
  document.title = "Hearth";
}

confirmButton($("#end-chat"), "Yes, end the chat", async () => {
  if (state.phase.conversation === null) return;
  try {
    await state.socket.request({ type: "conversation.end", conversation: state.phase.conversation });
  } catch (failure) {
    if (failure.code !== "timeout") state.view.errorLine.textContent = failure.message;
  }
});

$("#cancel-request").addEventListener("click", async () => {
  try {
    await state.socket.request({ type: "request.cancel" });
  } catch (failure) {
    if (failure.code === "no_open_request") return;
    state.view.errorLine.textContent = failure.message;
  }
});

function showWiden(visible, alias) {
  $("#widen-box").hidden = !visible;
  if (visible) setText($("#widen-text"), `${alias || "Your favourite listener"} hasn't come on yet. You're still waiting for them, or you can talk to anyone available.`);
}

$("#widen").addEventListener("click", () => {
  // request.widen has no direct reply: request.updated arrives on all our sockets; errors echo the ref.
  if (!state.socket.send({ type: "request.widen", ref: "widen" })) {
    setText($("#widen-text"), "Not connected. Please try again in a moment.");
    return;
  }
  $("#widen").disabled = true;
});

$("#talk-again").addEventListener("click", () => askTopic());

// --- rating, report, block ------------------------------------------------------------
$("#rating-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const score = new FormData(event.currentTarget).get("score");
  if (!score) {
    setText($("#rating-error"), "Please choose a number from 1 to 5.");
    return;
  }
  setText($("#rating-error"), "");
  try {
    const { conversation, peer } = state.phase;
    await endpoints.rate(conversation, { score: Number(score), comment: $("#rating-comment").value.trim() });
    if ($("#favourite").checked && peer) await endpoints.favourite(peer.alias);
    $("#rating-form").hidden = true;
    $("#rating-done").hidden = false;
    $("#rating-done").focus();
  } catch (failure) {
    setText($("#rating-error"), failure.message);
  }
});

let reportTarget = {}; // what the open report dialog is about: {conversation, seq?}

function openReport(about, target) {
  const dialog = $("#report-dialog");
  setText($("#report-about"), about);
  setText($("#report-error"), "");
  reportTarget = target;
  dialog.showModal();
}

$("#report-form").addEventListener("submit", async (event) => {
  const dialog = $("#report-dialog");
  if (event.submitter && event.submitter.value === "cancel") return;
  event.preventDefault();
  try {
    await endpoints.report({ ...reportTarget, reason: $("#report-reason").value, detail: $("#report-detail").value.trim() });
    dialog.close();
    announce("Thank you. The safety team will look at your report.");
    if (state.view) state.view.errorLine.textContent = "Report sent. The safety team will look at it.";
  } catch (failure) {
    setText($("#report-error"), failure.message);
  }
});

$("#report-user").addEventListener("click", () => {
  $("#chat-menu").open = false;
  const { conversation, peer } = state.phase;
  openReport(`Report ${peer ? peer.alias : "this listener"} to the safety team.`, { conversation });
});

confirmButton($("#block-user"), "Yes, block and end the chat", async () => {
  try {
    await endpoints.block(state.phase.conversation);
  } catch (failure) {
    if (state.view) state.view.errorLine.textContent = failure.message;
  }
});

function messageActions(message) {
  if (message.kind === "system" || message.sender_role !== "listener") return null;
  return el("button", {
    type: "button",
    class: "link-button msg-report",
    text: "Report",
    "aria-label": "Report this message",
    onclick: () => openReport("Report this message to the safety team.", { conversation: state.phase.conversation, seq: message.seq }),
  });
}

// A listener taking the chat while this tab is in the background: tab title and notification.
const attention = new TabAttention();
bindNotificationButton($("#notify-ask"), $("#notify-status"));

// --- the socket --------------------------------------------------------------------
function startSocket() {
  state.socket = new HearthSocket("/ws/v1/chat/", {
    onFrame,
    onStatus: (status, detail) => {
      const open = status === "open";
      connectionBanner($("#connection"), status, detail);
      if (state.view && open !== state.connected) state.view.connectionChanged(open);
      state.connected = open;
      if (status === "closed" && detail.reason === "signed_out") askAge();
    },
  });
  state.client = new ChatClient(state.socket, {
    onMessage: (id, message, { live }) => {
      if (id === state.phase.conversation && state.view) state.view.addMessage(message, { live });
    },
    onPending: (id, entry) => {
      if (id === state.phase.conversation && state.view) state.view.addPending(entry);
    },
    onAck: (id, clientId, ack) => {
      if (id === state.phase.conversation && state.view) state.view.acked(clientId, ack);
    },
    onError: (frame, { conversation, client_id: clientId, retrying }) => {
      if (conversation === state.phase.conversation && state.view) state.view.failed(clientId, frame, retrying);
    },
  });
  state.socket.start();
}

const UNEXPECTED = "Something unexpected arrived. Your chat is still connected; if anything looks wrong, reload the page.";

/** Every frame goes through here: one that cannot be handled is logged and said, the socket stays. */
function onFrame(frame) {
  const problem = frameProblem(frame);
  if (problem) {
    console.log("Hearth: skipped a frame:", problem, frame);
    if (state.view) state.view.errorLine.textContent = UNEXPECTED;
    return;
  }
  try {
    handleFrame(frame);
  } catch (failure) {
    console.log("Hearth: could not handle a frame", frame && frame.type, failure);
    if (state.view) state.view.errorLine.textContent = UNEXPECTED;
  }
}

function handleFrame(frame) {
  if (!frame || typeof frame !== "object") return;
  warnings.handle(frame);
  const before = state.crisis;
  state.crisis = reduceCrisis(state.crisis, frame, "seeker");
  if (state.crisis !== before) renderCrisis({ live: frame.type === "safety.resources" });
  if (frame.type === "hello") state.user = frame.user;
  // The step first: it makes the view the client then hands the conversation's messages to.
  const stepBefore = state.phase;
  dispatchPhase(frame);
  state.client.handle(frame);
  switch (frame.type) {
    case "hello": {
      const open = (frame.conversations || [])[0];
      if (open && open.status !== "active" && frame.request) updateQueue(frame.request);
      for (const entry of open ? state.client.pending(open.id) : []) state.view.addPending(entry);
      break;
    }
    case "request.created":
    case "request.updated":
    case "queue.position":
      if (!state.view) break;
      updateQueue(frame.request);
      if (frame.type === "request.updated" && !frame.request.listener && $("#widen").disabled) {
        $("#widen").disabled = false;
        announce("You'll talk to the first listener available.");
      }
      break;
    case "request.widen_suggested":
      updateQueue(frame.request);
      showWiden(true, frame.request && frame.request.listener);
      announce(`${(frame.request && frame.request.listener) || "Your favourite listener"} hasn't come on yet. You can widen to anyone.`);
      break;
    case "conversation.started":
      attention.listenerArrived();
      break;
    case "conversation.requeued":
      if (state.phase !== stepBefore) {
        if (frame.request) updateQueue(frame.request);
        announce(frame.reason_text || "Your listener had to leave. We're finding you someone else.");
      }
      break;
    case "conversation.ended":
      if (frame.reason === "cancelled" && frame.conversation === stepBefore.conversation) state.client.forget(frame.conversation);
      break;
    case "request.cancelled":
      announce("You've left the line.");
      break;
    case "typing":
      if (frame.conversation === state.phase.conversation && frame.role !== "seeker" && state.view) state.view.showTyping(frame.active, "Your listener");
      break;
    case "conversation.read":
      if (frame.conversation === state.phase.conversation && frame.role !== "seeker" && state.view) state.view.setPeerRead(frame.seq);
      break;
    case "conversation.inactivity_warning":
      if (state.view) state.view.errorLine.textContent = `It's been quiet for a while. This chat will close in ${formatDuration(frame.ends_in_seconds)} unless someone writes.`;
      break;
    case "session.closed":
      connectionBanner($("#connection"), "closed", { reason: "revoked", text: "Your session has ended." });
      break;
    case "error":
      if (frame.ref === "widen") {
        $("#widen").disabled = false;
        setText($("#widen-text"), frame.message);
      }
      break;
    default:
      break;
  }
}

/** Draw the crisis panel (chat) and the end screen's lines from `state.crisis`; `live` when it just arrived. */
function renderCrisis({ live = false } = {}) {
  const risk = state.crisis.seeker;
  const box = $("#safety-resources");
  const ageGroup = state.user && state.user.age_group;
  box.hidden = !risk;
  $("#ended-resources").hidden = !risk;
  if (!risk) return;
  $("#resources-list").replaceChildren(resources.list(risk, ageGroup));
  $("#ended-resources-list").replaceChildren(resources.list(risk, ageGroup));
  setText($("#resources-lead"), resourcesLead(risk));
  if (live) {
    resources.expand(true);
    announce(
      risk.urgent
        ? "If you are in danger right now, please call emergency services. The numbers are on screen. Your listener is still here."
        : "If you might be in danger, please contact one of the crisis lines shown on screen now. Your listener is still here.",
      { urgent: true },
    );
    box.scrollIntoView({ block: "nearest" });
  }
}

async function init() {
  try {
    const me = await whoAmI();
    if (me && me.role === "seeker") {
      state.user = me;
      state.hasPassword = Boolean(me.has_password);
      startSocket();
    } else askAge();
  } catch (error) {
    askAge();
  }
}

init();
