// The listener console: sign in, shifts, offers with a countdown and a cue, several chats in tabs,
// safety guidance, flag/escalate, shift summary and the wellbeing pause.
//
// `reduceConsole` (listener_console_state.js) owns the shift, the offers, the line, the chat tabs,
// the crisis state and the connection; `render()` draws them; `start()` wires the socket.

import { get, post, whoAmI } from "./api.js";
import { ChatView } from "./chatview.js";
import { $, $$, announce, el, formatDuration, setText, showOnly } from "./dom.js";
import { ChatClient } from "./conversation.js";
import { HearthSocket } from "./socket.js";
import { confirmButton, connectionBanner, endpoints, loginForm } from "./common.js";
import { guidanceTitle } from "./crisis.js";
import { frameProblem } from "./frames.js";
import { showPage, startPaging } from "./paging_prefs.js";
import { warningBanner } from "./warning_banner.js";
import { showStanding, topicsToTick } from "./listener_me.js";
import { initialConsole, lineText, offerText, pageTitle, reduceConsole, secondsLeft } from "./listener_console_state.js";

let state = initialConsole({ now: Date.now() });
// The page's connections, widgets and what was last drawn (not state: nothing is read back from it).
const session = { socket: null, client: null, audio: null, offers: new Map(), chats: new Map(), lineDrawn: null };
const show = (id, options) => showOnly(".step", id, options);
const baseTitle = document.title;
const warnings = warningBanner();

/** Reduce one event into the state (the clock first, for countdowns and the shift's length), draw it,
 * then do what the reducer asked for. */
function dispatch(event) {
  state = reduceConsole(reduceConsole(state, { type: "clock", now: Date.now() }), event);
  render();
  if (!state.effects.length) return;
  const effects = state.effects;
  state = reduceConsole(state, { type: "effects.done" });
  for (const effect of effects) play(effect);
}

function play(effect) {
  const chat = session.chats.get(effect.id);
  switch (effect.kind) {
    case "offer.new":
      beep();
      announce(offerText(effect.offer).announcement, { urgent: true });
      break;
    case "shift.ended":
      $("#shift-summary").focus();
      announce("Your shift has ended. Chats still open stay with you until they end.");
      break;
    case "chat.opened":
      announce(`New chat with ${effect.alias} in a new tab.`);
      break;
    case "chat.read":
      if (chat) chat.view.markRead();
      break;
    case "chat.focus":
      if (chat) chat.view.focus();
      break;
    case "chat.ended":
      if (chat) chat.view.setEnded(effect.text);
      announce(`Chat with ${effect.alias} ended. ${effect.text || ""}`);
      break;
    case "guidance":
      announce(`Safety guidance for your chat with ${effect.alias}: ${effect.guidance}`, { urgent: true });
      break;
    default:
      break;
  }
}

function render() {
  renderShift();
  renderOffers();
  renderLine();
  renderChats();
}

// --- sign in ---------------------------------------------------------------------
loginForm(enter);

$("#logout").addEventListener("click", async () => {
  if (session.socket) session.socket.stop();
  try {
    await post("/api/v1/session/logout");
  } finally {
    location.reload();
  }
});

function enter(me) {
  if (me.role !== "listener") {
    show("step-login");
    setText($("#login-error"), me.is_safety_staff ? "This is a safety-team account: use the Safety team page." : "This page is for listeners.");
    return;
  }
  setText($("#my-alias"), me.alias);
  show("step-console");
  loadTopics();
  startPaging();
  refreshStanding();
  startSocket();
}

/** The banner and feedback from the server. An applicant waiting for a decision sees no "Start a shift",
 * no incoming requests and no paging settings (none can reach them: the banner says what happens next);
 * they appear once a `listener.status` says the applicant was approved. */
async function refreshStanding(options) {
  const awaiting = await showStanding(options);
  if (awaiting === state.awaitingDecision) return; // redraw only on a change: before hello, the shift is not known yet
  dispatch({ type: "standing", awaiting });
}

async function loadTopics() {
  const box = $("#shift-topics");
  if (box.childElementCount) return;
  try {
    const topics = await get("/api/v1/topics");
    const ticked = await topicsToTick(topics);
    for (const topic of topics) {
      box.append(el("label", { class: "choice" }, el("input", { type: "checkbox", name: "topics", value: topic.slug, checked: ticked.has(topic.slug) }), " ", el("span", { text: topic.name })));
    }
  } catch (error) {
    setText($("#shift-error"), "Couldn't load topics. Please reload the page.");
  }
}

// --- shifts ----------------------------------------------------------------------
$("#shift-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  unlockAudio();
  const topics = $$("input[name=topics]:checked").map((input) => input.value);
  if (!topics.length) {
    setText($("#shift-error"), "Choose at least one topic.");
    return;
  }
  setText($("#shift-error"), "");
  try {
    const reply = await session.socket.request({ type: "shift.start", topics, capacity: Number($("#capacity").value) });
    dispatch({ type: "shift.started", shift: reply.shift });
  } catch (failure) {
    const trainingHint = failure.code === "not_trained" ? " Finish the training course first." : "";
    setText($("#shift-error"), `${failure.message}${trainingHint}`);
  }
});

confirmButton($("#shift-end"), "Yes, end my shift", async () => {
  try {
    await session.socket.request({ type: "shift.end" });
    dispatch({ type: "shift.ended", shift: state.shift });
  } catch (failure) {
    dispatch({ type: "shift.end.failed", message: failure.message });
  }
});

function renderShift() {
  const { shift, summary } = state;
  $("#offers-card").hidden = state.awaitingDecision;
  $("#paging-card").hidden = state.awaitingDecision;
  if (state.shiftKnown) {
    $("#shift-off").hidden = Boolean(shift) || state.awaitingDecision;
    $("#shift-on").hidden = !shift;
  }
  if (shift) {
    putText($("#shift-taken"), String(shift.chats_taken));
    putText($("#shift-capacity"), String(shift.capacity));
    const until = new Date(shift.max_end_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const topics = shift.topics.length > 4 ? `${shift.topics.length} topics` : shift.topics.join(", ");
    putText($("#shift-detail"), state.shiftNote || `Topics: ${topics}. Your shift ends by ${until} at the latest.`);
  }
  $("#shift-summary").hidden = !summary;
  if (summary) {
    putText($("#summary-taken"), String(summary.taken));
    putText($("#summary-escalated"), String(summary.escalated));
    putText($("#summary-duration"), `${summary.minutes} min`);
  }
}

/** Set a node's text only when it differs: render runs for every frame and each countdown second. */
function putText(node, text) {
  const value = text ?? "";
  if (node && node.textContent !== value) node.textContent = value;
}

// --- offers ----------------------------------------------------------------------
function unlockAudio() {
  try {
    session.audio = session.audio || new (window.AudioContext || window.webkitAudioContext)();
    if (session.audio.state === "suspended") session.audio.resume();
  } catch (error) {
    session.audio = null;
  }
}

function beep() {
  const ctx = session.audio;
  if (!ctx || ctx.state !== "running") return;
  const oscillator = ctx.createOscillator();
  const gain = ctx.createGain();
  oscillator.type = "sine";
  oscillator.frequency.value = 660;
  gain.gain.setValueAtTime(0.0001, ctx.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.2, ctx.currentTime + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.35);
  oscillator.connect(gain).connect(ctx.destination);
  oscillator.start();
  oscillator.stop(ctx.currentTime + 0.4);
}

/** One offer's card, with its own second timer for the countdown (the clock event that reduces it). */
function offerCard(entry) {
  const { offer } = entry;
  const words = offerText(offer);
  const countdown = el("span", { class: "countdown" });
  const accept = el("button", { type: "button", class: "button button-primary", text: "Accept" });
  const decline = el("button", { type: "button", class: "button", text: "Decline" });
  const never = el("button", { type: "button", class: "button button-quiet", text: "Not me for this one" });
  const item = el(
    "li",
    { class: "offer", "data-offer": String(offer.id) },
    el("p", {}, el("strong", { text: words.title })),
    el("p", { class: "hint", text: `${offer.age_group === "teen" ? "Teen" : "Adult"} · waited ${formatDuration(offer.waited_seconds)}${offer.urgent ? " · urgent" : ""}${offer.direct ? " · asked for you" : ""}` }),
    offer.note ? el("p", { class: "offer-note", text: `“${offer.note}”` }) : null,
    el("p", {}, "Expires in ", countdown),
    el("div", { class: "offer-actions" }, accept, decline, never),
  );
  const card = { entry, item, countdown, hadFocus: false, timer: setInterval(() => dispatch({ type: "clock", now: Date.now() }), 1000) };
  accept.addEventListener("click", async () => {
    accept.disabled = decline.disabled = never.disabled = true;
    try {
      await session.socket.request({ type: "offer.accept", offer: offer.id });
      dispatch({ type: "offer.answered", id: offer.id });
    } catch (failure) {
      dispatch({ type: "offer.answered", id: offer.id });
      announce(failure.code === "offer_gone" ? "That request is no longer available." : failure.message, { urgent: true });
    }
  });
  // Decline: offered to someone else, and back to you after a short cool-down if nobody can.
  // "Not me for this one": never offered to you again.
  const answer = async (forGood) => {
    card.hadFocus = item.contains(document.activeElement); // disabling the button below blurs it
    accept.disabled = decline.disabled = never.disabled = true;
    try {
      await session.socket.request({ type: "offer.decline", offer: offer.id, never: forGood });
    } catch (failure) {
      /* gone already */
    }
    dispatch({ type: "offer.answered", id: offer.id });
  };
  decline.addEventListener("click", () => answer(false));
  never.addEventListener("click", () => answer(true));
  return card;
}

/** Draw the offers from state.offers: cards that left go first (a focused one hands focus on), new ones follow. */
function renderOffers() {
  for (const [id, card] of session.offers) {
    if (state.offers.get(id) === card.entry) continue;
    clearInterval(card.timer);
    // Declining, "not me", expiry or withdrawal removes the focused button: a keyboard user would
    // otherwise be dropped at the top of the page. Go to the next offer, else the list's heading.
    const hadFocus = card.hadFocus || card.item.contains(document.activeElement);
    card.item.remove();
    session.offers.delete(id);
    if (hadFocus) ($("#offers button") || $("#offers-title")).focus();
  }
  for (const [id, entry] of state.offers) {
    let card = session.offers.get(id);
    if (!card) {
      card = offerCard(entry);
      session.offers.set(id, card);
      $("#offers").append(card.item);
    }
    putText(card.countdown, `${secondsLeft(entry, state.now)} s`);
  }
  $("#offers-empty").hidden = state.offers.size > 0;
  document.title = pageTitle(state, baseTitle);
}

// --- the line: how many wait that this listener could take (queue.sizes) -------------------
function renderLine() {
  const box = $("#line");
  box.hidden = !state.line;
  if (!state.line || session.lineDrawn === state.line) return;
  session.lineDrawn = state.line;
  const line = lineText(state.line);
  setText($("#line-summary"), line.summary);
  $("#line-topics").replaceChildren(...line.topics.map((text) => el("li", { text })));
  $("#take-next").hidden = !line.takeable;
}

$("#take-next").addEventListener("click", async () => {
  const button = $("#take-next");
  button.disabled = true;
  setText($("#take-next-error"), "");
  try {
    await session.socket.request({ type: "request.take_next" });
  } catch (failure) {
    setText($("#take-next-error"), failure.message || "Couldn't take a chat just now.");
  } finally {
    button.disabled = false;
  }
});

// --- chats in tabs ---------------------------------------------------------------------
/** One chat's tab and panel, made once when the chat first appears in state.chats. */
function chatWidgets({ id, conversation, peer }) {
  const badge = el("span", { class: "badge", hidden: true });
  const label = el("span", { text: peer.alias });
  const tab = el("button", {
    type: "button",
    role: "tab",
    class: "tab",
    id: `tab-${id}`,
    "aria-controls": `panel-${id}`,
    "aria-selected": "false",
    tabindex: "-1",
  }, label, badge);
  const guidance = el("section", { class: "guidance", hidden: true, tabindex: "0", "aria-label": "Safety guidance" });
  const endButton = el("button", { type: "button", class: "button", text: "End chat" });
  const escalateButton = el("button", { type: "button", class: "button", text: "Escalate to safety team" });
  const resourcesButton = el("button", { type: "button", class: "button", text: "Share crisis lines" });
  const closeButton = el("button", { type: "button", class: "button", text: "Close tab", hidden: true });
  const transferButton = el("button", { type: "button", class: "button", text: "Transfer" });
  const reportButton = el("button", { type: "button", class: "button button-quiet", text: "Report seeker" });
  const status = el("p", { class: "notice transfer-status", role: "status", hidden: true });
  const sharedLine = el("p", { class: "notice resources-shared", hidden: true });
  const view = new ChatView({
    conversationId: id,
    myRole: "listener",
    client: session.client,
    socket: session.socket,
    peerLabel: peer.alias,
    isActive: () => state.active === id,
  });
  const panel = el(
    "div",
    { role: "tabpanel", id: `panel-${id}`, "aria-labelledby": `tab-${id}`, hidden: true },
    el(
      "div",
      { class: "chat-head" },
      el(
        "div",
        {},
        el("h3", { text: `Chat with ${peer.alias}` }),
        el("p", { class: "subtitle", text: `${peer.age_group === "teen" ? "Teen" : "Adult"} seeker · ${conversation.topic || "any topic"}` }),
        typeof conversation.note === "string" && conversation.note ? el("p", { class: "opening-note" }, el("span", { class: "visually-hidden", text: "Their opening note: " }), `“${conversation.note}”`) : null,
      ),
      el("div", { class: "chat-actions" }, escalateButton, resourcesButton, transferButton, reportButton, endButton, closeButton),
    ),
    status,
    sharedLine,
    guidance,
    view.root,
  );
  const chat = { id, tab, label, panel, view, badge, guidance, endButton, escalateButton, resourcesButton, closeButton, transferButton, reportButton, status, sharedLine, peer, drawn: {} };
  transferButton.addEventListener("click", () => openDialog("transfer-dialog", id));
  reportButton.addEventListener("click", () => openDialog("report-dialog", id));
  tab.addEventListener("click", () => dispatch({ type: "chat.select", id }));
  tab.addEventListener("keydown", (event) => tabKeys(event, id));
  confirmButton(endButton, "Yes, end this chat", async () => {
    try {
      await session.socket.request({ type: "conversation.end", conversation: id });
    } catch (failure) {
      view.errorLine.textContent = failure.message;
    }
  });
  confirmButton(escalateButton, "Yes, alert the safety team", async () => {
    try {
      await session.socket.request({ type: "conversation.flag", conversation: id, note: "Escalated by the listener from the console." });
      escalateButton.disabled = true;
      escalateButton.textContent = "Safety team alerted";
      announce("The safety team has been alerted.");
    } catch (failure) {
      view.errorLine.textContent = failure.message;
    }
  });
  resourcesButton.addEventListener("click", () => sendResources(chat));
  closeButton.addEventListener("click", () => {
    dispatch({ type: "chat.close", id });
    session.client.forget(id);
  });
  return chat;
}

/** Draw the tabs from state.chats and state.active: widgets made once per chat, removed when closed. */
function renderChats() {
  for (const [id, chat] of session.chats) {
    if (state.chats.has(id)) continue;
    chat.tab.remove();
    chat.panel.remove();
    session.chats.delete(id);
  }
  for (const [id, entry] of state.chats) {
    let chat = session.chats.get(id);
    if (!chat) {
      chat = chatWidgets(entry);
      session.chats.set(id, chat);
      $("#tabs").append(chat.tab);
      $("#panels").append(chat.panel);
    }
    const selected = state.active === id;
    chat.tab.setAttribute("aria-selected", String(selected));
    chat.tab.tabIndex = selected ? 0 : -1;
    chat.panel.hidden = !selected;
    chat.badge.hidden = entry.badge === null;
    if (entry.badge !== null) putText(chat.badge, entry.badge);
    if (entry.ended && !chat.drawn.ended) {
      chat.drawn.ended = true;
      chat.endButton.hidden = true;
      chat.escalateButton.hidden = true;
      chat.resourcesButton.hidden = true;
      chat.transferButton.hidden = true;
      chat.status.hidden = true;
      chat.closeButton.hidden = false;
      chat.label.textContent = `${chat.peer.alias} (ended)`;
    }
    renderGuidance(chat);
    renderShared(chat);
  }
  $("#chats-empty").hidden = state.chats.size > 0;
}

function tabKeys(event, id) {
  const ids = Array.from(state.chats.keys());
  const index = ids.indexOf(id);
  let next = null;
  if (event.key === "ArrowRight") next = ids[(index + 1) % ids.length];
  else if (event.key === "ArrowLeft") next = ids[(index - 1 + ids.length) % ids.length];
  else if (event.key === "Home") next = ids[0];
  else if (event.key === "End") next = ids[ids.length - 1];
  if (next === null || next === undefined) return;
  event.preventDefault();
  dispatch({ type: "chat.select", id: next });
  session.chats.get(next).tab.focus();
}

/** One chat's guidance panel, from `state.crisis` (hello after a reload, or safety.guidance live). */
function renderGuidance(chat) {
  const risk = state.crisis.guidance[chat.id];
  if (chat.drawn.risk === risk) return;
  chat.drawn.risk = risk;
  if (!risk) {
    chat.guidance.hidden = true;
    chat.guidance.replaceChildren();
    return;
  }
  chat.guidance.dataset.level = risk.level_label;
  chat.guidance.replaceChildren(el("h3", { text: guidanceTitle(risk) }), el("p", { text: risk.guidance }));
  chat.guidance.hidden = false;
}

/** Whether the seeker has the crisis lines from their listener, from `state.crisis` (hello after a reload,
 * or the `resources.sent` reply): the line stays for as long as the chat does. */
function renderShared(chat) {
  const shared = Boolean(state.crisis.shared[chat.id]);
  chat.sharedLine.hidden = !shared;
  putText(chat.sharedLine, shared ? `Crisis lines sent to ${chat.peer.alias}. They stay on their screen; you can send them again.` : "");
}

/** One action: the seeker gets the crisis lines for their age group (emergency services first when urgent). */
async function sendResources(chat) {
  chat.resourcesButton.disabled = true;
  chat.view.errorLine.textContent = "";
  try {
    const reply = await session.socket.request({ type: "resources.send", conversation: chat.id });
    announce(`Crisis lines sent to ${chat.peer.alias}${reply.urgent ? ", emergency services first" : ""}.`);
  } catch (failure) {
    chat.view.errorLine.textContent = failure.message || "Couldn't send the crisis lines. Try again.";
  } finally {
    chat.resourcesButton.disabled = false;
  }
}

// --- transfer and report ------------------------------------------------------------------
let dialogConversation = null; // the chat the open transfer or report dialog is about

function openDialog(id, conversation) {
  const dialog = document.getElementById(id);
  dialogConversation = conversation;
  dialog.querySelector(".form-error").textContent = "";
  dialog.showModal();
}

$("#transfer-form").addEventListener("submit", async (event) => {
  const dialog = $("#transfer-dialog");
  if (event.submitter && event.submitter.value === "cancel") return;
  event.preventDefault();
  const id = dialogConversation;
  const to = $("#transfer-to").value.trim();
  try {
    await session.socket.request({ type: "conversation.transfer", conversation: id, ...(to ? { to } : {}) });
    dialog.close();
    $("#transfer-to").value = "";
    transferRequested(id, to);
  } catch (failure) {
    if (failure.code === "transfer_pending") {
      dialog.close();
      transferRequested(id, to);
      return;
    }
    setText($("#transfer-error"), failure.message);
  }
});

function transferRequested(id, to) {
  const chat = session.chats.get(id);
  if (!chat) return;
  chat.transferButton.disabled = true;
  chat.transferButton.textContent = "Transfer requested";
  chat.status.hidden = false;
  chat.status.textContent = `Waiting for ${to || "another listener"} to take over. Keep talking with ${chat.peer.alias} meanwhile.`;
  announce(chat.status.textContent);
}

$("#report-form").addEventListener("submit", async (event) => {
  const dialog = $("#report-dialog");
  if (event.submitter && event.submitter.value === "cancel") return;
  event.preventDefault();
  const id = dialogConversation;
  try {
    await endpoints.report({ conversation: id, reason: $("#report-reason").value, detail: $("#report-detail").value.trim() });
    dialog.close();
    $("#report-detail").value = "";
    const chat = session.chats.get(id);
    if (chat) {
      chat.reportButton.disabled = true;
      chat.reportButton.textContent = "Reported";
      chat.view.errorLine.textContent = "Report sent. The safety team will review this chat.";
    }
    announce("Report sent. The safety team will review this chat.");
  } catch (failure) {
    setText($("#report-error"), failure.message);
  }
});

// --- wellbeing -------------------------------------------------------------------
/** The server's word on what pauses offers (hello after a reload, or live): rebuilt, never remembered. */
function showPauses(pauses) {
  if (!pauses) return;
  if (pauses.paused_until) wellbeingPause({ paused_until: pauses.paused_until, prompt: pauses.prompt });
  else $("#wellbeing").hidden = true;
  showReviewHold(pauses.held_for_review);
}

function showReviewHold(held) {
  const panel = $("#review-hold");
  const wasHidden = panel.hidden;
  panel.hidden = !held;
  if (held && wasHidden) announce("New requests are paused while the safety team reviews one of your messages.", { urgent: true });
}

function wellbeingPause(frame) {
  setText($("#wellbeing-prompt"), frame.prompt);
  const until = new Date(frame.paused_until).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  setText($("#wellbeing-until"), `New requests are paused until ${until}. You can continue sooner if you feel ready.`);
  $("#wellbeing").hidden = false;
  $("#wellbeing").focus();
}

$("#wellbeing-continue").addEventListener("click", async () => {
  try {
    await session.socket.request({ type: "wellbeing.continue" });
  } catch (failure) {
    setText($("#wellbeing-until"), failure.message);
    return;
  }
  $("#wellbeing").hidden = true;
  announce("Welcome back. New requests can reach you again.");
});

// --- socket ------------------------------------------------------------------------
function startSocket() {
  session.socket = new HearthSocket("/ws/v1/chat/", {
    onFrame,
    onStatus: (status, detail) => {
      const open = status === "open";
      connectionBanner($("#connection"), status, detail);
      if (open !== state.connected) for (const chat of session.chats.values()) chat.view.connectionChanged(open);
      dispatch({ type: "connection", open });
      if (status === "closed" && detail.reason === "signed_out") show("step-login");
    },
  });
  const viewOf = (id) => session.chats.get(id) && session.chats.get(id).view;
  session.client = new ChatClient(session.socket, {
    onMessage: (id, message, { live }) => {
      const chat = session.chats.get(id);
      if (!chat) return;
      chat.view.addMessage(message, { live });
      dispatch({ type: "message.shown", id, live, senderRole: message.sender_role });
    },
    onPending: (id, entry) => viewOf(id) && viewOf(id).addPending(entry),
    onAck: (id, clientId, ack) => viewOf(id) && viewOf(id).acked(clientId, ack),
    onError: (frame, { conversation, client_id: clientId, retrying }) => viewOf(conversation) && viewOf(conversation).failed(clientId, frame, retrying),
  });
  session.socket.start();
}

const UNEXPECTED = "Something unexpected arrived. You're still connected; if anything looks wrong, reload the page.";

/** Every frame goes through here: one that cannot be handled is logged and said, the socket stays. */
function onFrame(frame) {
  const problem = frameProblem(frame);
  if (problem) {
    console.log("Hearth: skipped a frame:", problem, frame);
    setText($("#console-error"), UNEXPECTED);
    return;
  }
  try {
    handleFrame(frame);
  } catch (failure) {
    console.log("Hearth: could not handle a frame", frame && frame.type, failure);
    setText($("#console-error"), UNEXPECTED);
  }
}

function handleFrame(frame) {
  if (!frame || typeof frame !== "object") return;
  warnings.handle(frame);
  // A chat's tab exists before the client hands it the frame's messages.
  if (frame.type === "hello") for (const conversation of frame.conversations || []) if (conversation.status === "active") dispatch({ type: "chat.open", conversation });
  if (frame.type === "conversation.started") dispatch({ type: "chat.open", conversation: frame.conversation });
  session.client.handle(frame);
  if (frame.type === "hello") showPauses(frame.pauses);
  dispatch(frame);
  switch (frame.type) {
    case "shift.max_length_reached":
      announce(frame.message, { urgent: true });
      break;
    case "typing": {
      const chat = session.chats.get(frame.conversation);
      if (chat && frame.role !== "listener") chat.view.showTyping(frame.active);
      break;
    }
    case "conversation.read": {
      const chat = session.chats.get(frame.conversation);
      if (chat && frame.role !== "listener") chat.view.setPeerRead(frame.seq);
      break;
    }
    case "conversation.inactivity_warning": {
      const chat = session.chats.get(frame.conversation);
      if (chat) chat.view.errorLine.textContent = `Quiet for a while: this chat closes in ${formatDuration(frame.ends_in_seconds)} unless someone writes.`;
      break;
    }
    case "wellbeing.pause":
      wellbeingPause(frame);
      break;
    case "listener.review_hold":
      showReviewHold(frame.held);
      break;
    case "line.page":
      showPage(frame);
      break;
    case "listener.status":
      refreshStanding({ fresh: true });
      break;
    case "wellbeing.resumed":
      $("#wellbeing").hidden = true;
      break;
    case "session.closed":
      connectionBanner($("#connection"), "closed", { reason: "revoked" });
      break;
    default:
      break;
  }
}

async function init() {
  try {
    const me = await whoAmI();
    if (me) enter(me);
    else show("step-login");
  } catch (error) {
    show("step-login");
  }
}

init();
