// The listener console: sign in, shifts, offers with a countdown and a cue, several chats in tabs,
// safety guidance, flag/escalate, shift summary and the wellbeing pause.

import { get, post, whoAmI } from "./api.js";
import { ChatView } from "./chatview.js";
import { $, $$, announce, el, formatDuration, setText, showOnly } from "./dom.js";
import { ChatClient } from "./conversation.js";
import { HearthSocket } from "./socket.js";
import { confirmButton, connectionBanner, endpoints, loginForm } from "./common.js";
import { endedText, guidanceTitle, initialCrisis, reduceCrisis } from "./crisis.js";
import { frameProblem } from "./frames.js";
import { showPage, startPaging } from "./paging_prefs.js";
import { warningBanner } from "./warning_banner.js";
import { showStanding, topicsToTick } from "./listener_me.js";

const state = { socket: null, client: null, user: null, shift: null, awaitingDecision: false, chats: new Map(), offers: new Map(), active: null, connected: false, audio: null, crisis: initialCrisis() };
const show = (id, options) => showOnly(".step", id, options);
const baseTitle = document.title;
const warnings = warningBanner();

// --- sign in ---------------------------------------------------------------------
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
  if (me.role !== "listener") {
    show("step-login");
    setText($("#login-error"), me.is_safety_staff ? "This is a safety-team account: use the Safety team page." : "This page is for listeners.");
    return;
  }
  state.user = me;
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
  state.awaitingDecision = awaiting;
  $("#offers-card").hidden = awaiting;
  $("#paging-card").hidden = awaiting;
  setShift(state.shift);
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
    const reply = await state.socket.request({ type: "shift.start", topics, capacity: Number($("#capacity").value) });
    setShift(reply.shift);
  } catch (failure) {
    const trainingHint = failure.code === "not_trained" ? " Finish the training course first." : "";
    setText($("#shift-error"), `${failure.message}${trainingHint}`);
  }
});

confirmButton($("#shift-end"), "Yes, end my shift", async () => {
  try {
    await state.socket.request({ type: "shift.end" });
    endShift(state.shift);
  } catch (failure) {
    setText($("#shift-detail"), failure.message);
  }
});

function setShift(shift) {
  state.shift = shift;
  $("#shift-off").hidden = Boolean(shift) || state.awaitingDecision;
  $("#shift-on").hidden = !shift;
  if (!shift) return;
  $("#shift-summary").hidden = true;
  setText($("#shift-taken"), String(shift.chats_taken));
  setText($("#shift-capacity"), String(shift.capacity));
  const until = new Date(shift.max_end_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const topics = shift.topics.length > 4 ? `${shift.topics.length} topics` : shift.topics.join(", ");
  setText($("#shift-detail"), `Topics: ${topics}. Your shift ends by ${until} at the latest.`);
}

function endShift(shift) {
  if (!state.shift && !shift) return;
  const last = shift || state.shift;
  setShift(null);
  clearOffers();
  showLine(null);
  const minutes = Math.max(0, Math.round((Date.now() - new Date(last.started_at).getTime()) / 60000));
  setText($("#summary-taken"), String(last.chats_taken));
  setText($("#summary-escalated"), String(last.chats_escalated));
  setText($("#summary-duration"), `${minutes} min`);
  $("#shift-summary").hidden = false;
  $("#shift-summary").focus();
  announce("Your shift has ended. Chats still open stay with you until they end.");
}

// --- offers ----------------------------------------------------------------------
function unlockAudio() {
  try {
    state.audio = state.audio || new (window.AudioContext || window.webkitAudioContext)();
    if (state.audio.state === "suspended") state.audio.resume();
  } catch (error) {
    state.audio = null;
  }
}

function beep() {
  const ctx = state.audio;
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

function addOffer(offer) {
  if (state.offers.has(offer.id)) return;
  const deadline = Date.now() + offer.expires_in_seconds * 1000;
  const countdown = el("span", { class: "countdown" });
  const topic = offer.topic || "any topic";
  const accept = el("button", { type: "button", class: "button button-primary", text: "Accept" });
  const decline = el("button", { type: "button", class: "button", text: "Decline" });
  const never = el("button", { type: "button", class: "button button-quiet", text: "Not me for this one" });
  const item = el(
    "li",
    { class: "offer", "data-offer": String(offer.id) },
    el("p", {}, el("strong", { text: offer.kind === "transfer" ? `Transfer · ${topic}` : `Someone needs to talk · ${topic}` })),
    el("p", { class: "hint", text: `${offer.age_group === "teen" ? "Teen" : "Adult"} · waited ${formatDuration(offer.waited_seconds)}${offer.urgent ? " · urgent" : ""}${offer.direct ? " · asked for you" : ""}` }),
    offer.note ? el("p", { class: "offer-note", text: `“${offer.note}”` }) : null,
    el("p", {}, "Expires in ", countdown),
    el("div", { class: "offer-actions" }, accept, decline, never),
  );
  const tick = () => {
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    countdown.textContent = `${left} s`;
    if (left <= 0) removeOffer(offer.id);
  };
  tick();
  const timer = setInterval(tick, 1000);
  state.offers.set(offer.id, { item, timer });
  accept.addEventListener("click", async () => {
    accept.disabled = decline.disabled = never.disabled = true;
    try {
      await state.socket.request({ type: "offer.accept", offer: offer.id });
      removeOffer(offer.id);
    } catch (failure) {
      removeOffer(offer.id);
      announce(failure.code === "offer_gone" ? "That request is no longer available." : failure.message, { urgent: true });
    }
  });
  // Decline: offered to someone else, and back to you after a short cool-down if nobody can.
  // "Not me for this one": never offered to you again.
  const answer = async (forGood) => {
    const hadFocus = item.contains(document.activeElement); // disabling the button below blurs it
    accept.disabled = decline.disabled = never.disabled = true;
    try {
      await state.socket.request({ type: "offer.decline", offer: offer.id, never: forGood });
    } catch (failure) {
      /* gone already */
    }
    removeOffer(offer.id, { hadFocus });
  };
  decline.addEventListener("click", () => answer(false));
  never.addEventListener("click", () => answer(true));
  $("#offers").append(item);
  updateOfferCue();
  beep();
  announce(`New request: someone wants to talk about ${topic}. Accept or decline within ${offer.expires_in_seconds} seconds.`, { urgent: true });
}

function removeOffer(id, { hadFocus = false } = {}) {
  const offer = state.offers.get(id);
  if (!offer) return;
  clearInterval(offer.timer);
  // Declining, "not me", expiry or withdrawal removes the focused button: a keyboard user would
  // otherwise be dropped at the top of the page. Go to the next offer, else the list's heading.
  hadFocus = hadFocus || offer.item.contains(document.activeElement);
  offer.item.remove();
  state.offers.delete(id);
  updateOfferCue();
  if (hadFocus) ($("#offers button") || $("#offers-title")).focus();
}

function clearOffers() {
  for (const id of Array.from(state.offers.keys())) removeOffer(id);
}

// --- the line: how many wait that this listener could take (queue.sizes) -------------------
function showLine(sizes) {
  const box = $("#line");
  const shown = Boolean(sizes && state.shift);
  box.hidden = !shown;
  if (!shown) return;
  const urgent = sizes.urgent ? sizes.urgent.total : 0;
  setText(
    $("#line-summary"),
    sizes.total === 0
      ? "Nobody you could take is waiting."
      : `${sizes.total} waiting that you could take${urgent ? `, ${urgent} urgent` : ""}.`,
  );
  const items = Object.entries(sizes.topics || {}).map(([slug, count]) =>
    el("li", { text: `${slug}: ${count}${sizes.urgent && sizes.urgent.topics[slug] ? ` (${sizes.urgent.topics[slug]} urgent)` : ""}` }),
  );
  if (sizes.any_topic) items.push(el("li", { text: `any topic: ${sizes.any_topic}` }));
  $("#line-topics").replaceChildren(...items);
  $("#take-next").hidden = !sizes.takeable;
}

$("#take-next").addEventListener("click", async () => {
  const button = $("#take-next");
  button.disabled = true;
  setText($("#take-next-error"), "");
  try {
    await state.socket.request({ type: "request.take_next" });
  } catch (failure) {
    setText($("#take-next-error"), failure.message || "Couldn't take a chat just now.");
  } finally {
    button.disabled = false;
  }
});

function updateOfferCue() {
  const count = state.offers.size;
  $("#offers-empty").hidden = count > 0;
  document.title = count ? `(${count}) New request · ${baseTitle}` : baseTitle;
}

// --- chats in tabs ---------------------------------------------------------------------
function openChat(conversation) {
  if (state.chats.has(conversation.id)) return state.chats.get(conversation.id);
  const id = conversation.id;
  const peer = conversation.peer || { alias: "Seeker" };
  const badge = el("span", { class: "badge", hidden: true });
  const tab = el("button", {
    type: "button",
    role: "tab",
    class: "tab",
    id: `tab-${id}`,
    "aria-controls": `panel-${id}`,
    "aria-selected": "false",
    tabindex: "-1",
  }, el("span", { text: peer.alias }), badge);
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
    client: state.client,
    socket: state.socket,
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
  const chat = { id, tab, panel, view, badge, guidance, endButton, escalateButton, resourcesButton, closeButton, transferButton, reportButton, status, sharedLine, peer, unread: 0, ended: false };
  transferButton.addEventListener("click", () => openDialog("transfer-dialog", id));
  reportButton.addEventListener("click", () => openDialog("report-dialog", id));
  state.chats.set(id, chat);
  renderShared(id);
  tab.addEventListener("click", () => selectChat(id));
  tab.addEventListener("keydown", (event) => tabKeys(event, id));
  confirmButton(endButton, "Yes, end this chat", async () => {
    try {
      await state.socket.request({ type: "conversation.end", conversation: id });
    } catch (failure) {
      view.errorLine.textContent = failure.message;
    }
  });
  confirmButton(escalateButton, "Yes, alert the safety team", async () => {
    try {
      await state.socket.request({ type: "conversation.flag", conversation: id, note: "Escalated by the listener from the console." });
      escalateButton.disabled = true;
      escalateButton.textContent = "Safety team alerted";
      announce("The safety team has been alerted.");
    } catch (failure) {
      view.errorLine.textContent = failure.message;
    }
  });
  resourcesButton.addEventListener("click", () => sendResources(chat));
  closeButton.addEventListener("click", () => closeChat(id));
  $("#tabs").append(tab);
  $("#panels").append(panel);
  $("#chats-empty").hidden = true;
  if (state.active === null) selectChat(id);
  else {
    announce(`New chat with ${peer.alias} in a new tab.`);
  }
  return chat;
}

function selectChat(id) {
  state.active = id;
  for (const chat of state.chats.values()) {
    const selected = chat.id === id;
    chat.tab.setAttribute("aria-selected", String(selected));
    chat.tab.tabIndex = selected ? 0 : -1;
    chat.panel.hidden = !selected;
    if (selected) {
      chat.unread = 0;
      chat.badge.hidden = true;
      chat.view.markRead();
    }
  }
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
  selectChat(next);
  state.chats.get(next).tab.focus();
}

function closeChat(id) {
  const chat = state.chats.get(id);
  if (!chat) return;
  chat.tab.remove();
  chat.panel.remove();
  state.chats.delete(id);
  state.client.forget(id);
  if (state.active === id) {
    state.active = null;
    const next = state.chats.keys().next();
    if (!next.done) selectChat(next.value);
  }
  $("#chats-empty").hidden = state.chats.size > 0;
}

function chatEnded(id, text) {
  const chat = state.chats.get(id);
  if (!chat || chat.ended) return;
  chat.ended = true;
  chat.view.setEnded(text);
  chat.endButton.hidden = true;
  chat.escalateButton.hidden = true;
  chat.resourcesButton.hidden = true;
  chat.transferButton.hidden = true;
  chat.status.hidden = true;
  chat.closeButton.hidden = false;
  chat.tab.querySelector("span").textContent = `${chat.peer.alias} (ended)`;
  announce(`Chat with ${chat.peer.alias} ended. ${text || ""}`);
}

/** Draw the guidance of one chat from `state.crisis` (hello after a reload, or safety.guidance live). */
function renderGuidance(id, { live = false } = {}) {
  const chat = state.chats.get(id);
  const risk = state.crisis.guidance[id];
  if (!chat) return;
  if (!risk) {
    chat.guidance.hidden = true;
    chat.guidance.replaceChildren();
    return;
  }
  chat.guidance.dataset.level = risk.level_label;
  chat.guidance.replaceChildren(el("h3", { text: guidanceTitle(risk) }), el("p", { text: risk.guidance }));
  chat.guidance.hidden = false;
  if (state.active !== chat.id) {
    chat.badge.hidden = false;
    chat.badge.textContent = "!";
  }
  if (live) announce(`Safety guidance for your chat with ${chat.peer.alias}: ${risk.guidance}`, { urgent: true });
}

/** Whether the seeker has the crisis lines from their listener, from `state.crisis` (hello after a reload,
 * or the `resources.sent` reply): the line stays for as long as the chat does. */
function renderShared(id) {
  const chat = state.chats.get(id);
  if (!chat) return;
  const shared = Boolean(state.crisis.shared[id]);
  chat.sharedLine.hidden = !shared;
  chat.sharedLine.textContent = shared ? `Crisis lines sent to ${chat.peer.alias}. They stay on their screen; you can send them again.` : "";
}

/** One action: the seeker gets the crisis lines for their age group (emergency services first when urgent). */
async function sendResources(chat) {
  chat.resourcesButton.disabled = true;
  chat.view.errorLine.textContent = "";
  try {
    const reply = await state.socket.request({ type: "resources.send", conversation: chat.id });
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
    await state.socket.request({ type: "conversation.transfer", conversation: id, ...(to ? { to } : {}) });
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
  const chat = state.chats.get(id);
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
    const chat = state.chats.get(id);
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
    await state.socket.request({ type: "wellbeing.continue" });
  } catch (failure) {
    setText($("#wellbeing-until"), failure.message);
    return;
  }
  $("#wellbeing").hidden = true;
  announce("Welcome back. New requests can reach you again.");
});

// --- socket ------------------------------------------------------------------------
function startSocket() {
  state.socket = new HearthSocket("/ws/v1/chat/", {
    onFrame,
    onStatus: (status, detail) => {
      const open = status === "open";
      connectionBanner($("#connection"), status, detail);
      if (open !== state.connected) for (const chat of state.chats.values()) chat.view.connectionChanged(open);
      state.connected = open;
      if (!open) clearOffers(); // hello brings back the ones still pending
      if (status === "closed" && detail.reason === "signed_out") show("step-login");
    },
  });
  const viewOf = (id) => state.chats.get(id) && state.chats.get(id).view;
  state.client = new ChatClient(state.socket, {
    onMessage: (id, message, { live }) => {
      const chat = state.chats.get(id);
      if (!chat) return;
      chat.view.addMessage(message, { live });
      if (live && state.active !== id && message.sender_role !== "listener") {
        chat.unread += 1;
        chat.badge.hidden = false;
        chat.badge.textContent = String(chat.unread);
      }
    },
    onPending: (id, entry) => viewOf(id) && viewOf(id).addPending(entry),
    onAck: (id, clientId, ack) => viewOf(id) && viewOf(id).acked(clientId, ack),
    onError: (frame, { conversation, client_id: clientId, retrying }) => viewOf(conversation) && viewOf(conversation).failed(clientId, frame, retrying),
  });
  state.socket.start();
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
  if (frame.type === "hello") for (const conversation of frame.conversations || []) if (conversation.status === "active") openChat(conversation);
  if (frame.type === "conversation.started") openChat(frame.conversation);
  state.client.handle(frame);
  const crisisBefore = state.crisis;
  state.crisis = reduceCrisis(state.crisis, frame, "listener");
  if (state.crisis !== crisisBefore) {
    if (frame.type === "hello") {
      for (const id of state.chats.keys()) {
        renderGuidance(id);
        renderShared(id);
      }
    } else if (frame.type === "resources.sent") renderShared(frame.conversation);
    else renderGuidance(frame.conversation, { live: true });
  }
  switch (frame.type) {
    case "hello":
      setShift(frame.shift);
      showPauses(frame.pauses);
      clearOffers();
      for (const offer of frame.offers || []) addOffer(offer);
      showLine(frame.queue_sizes);
      break;
    case "queue.sizes":
      showLine(frame);
      break;
    case "shift.started":
    case "shift.start.ack":
      setShift(frame.shift);
      break;
    case "shift.ended":
      endShift(frame.shift);
      break;
    case "shift.max_length_reached":
      setText($("#shift-detail"), frame.message);
      announce(frame.message, { urgent: true });
      break;
    case "offer.created":
      addOffer(frame.offer);
      break;
    case "offer.withdrawn":
      removeOffer(typeof frame.offer === "object" ? frame.offer.id : frame.offer);
      break;
    case "conversation.started": {
      const chat = state.chats.get(frame.conversation.id);
      if (state.shift) setText($("#shift-taken"), String((state.shift.chats_taken += 1)));
      selectChat(chat.id);
      chat.view.focus();
      break;
    }
    case "conversation.ended":
      chatEnded(frame.conversation, endedText(frame, "listener"));
      break;
    case "conversation.left":
      chatEnded(frame.conversation, frame.reason === "handoff" ? "The safety team has taken over this chat." : "This chat was moved to another listener.");
      break;
    case "conversation.transferred":
      chatEnded(frame.conversation, frame.to ? `${frame.to} has taken over this chat. Thank you.` : "This chat was moved to another listener.");
      break;
    case "conversation.messages":
      if (frame.status === "ended" && !frame.has_more) chatEnded(frame.conversation, "This chat ended while you were away.");
      break;
    case "typing": {
      const chat = state.chats.get(frame.conversation);
      if (chat && frame.role !== "listener") chat.view.showTyping(frame.active);
      break;
    }
    case "conversation.read": {
      const chat = state.chats.get(frame.conversation);
      if (chat && frame.role !== "listener") chat.view.setPeerRead(frame.seq);
      break;
    }
    case "conversation.inactivity_warning": {
      const chat = state.chats.get(frame.conversation);
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
