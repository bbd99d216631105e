// "Your account": keep the account with a passphrase, past chats and favourites, delete history or account.
// State lives in account_state.js (reduceAccount); render(state) draws it; nothing is read back from the DOM.

import { api, get, post, whoAmI } from "./api.js";
import { $, announce, el, readJson, setText, showOnly } from "./dom.js";
import { confirmButton, seekerSigninForm } from "./common.js";
import {
  conversationLabel,
  deleteConfirmParagraphs,
  historyHintText,
  initialAccount,
  keepStatusText,
  passphraseHintText,
  reduceAccount,
  reportLine,
  senderLabel,
} from "./account_state.js";

const RULES = readJson("passphrase-rules", { min_length: 12, words: 5 });
let state = initialAccount();

function dispatch(event) {
  state = reduceAccount(state, event);
  render();
}

// --- reading ----------------------------------------------------------------------
/** Read the account; ``known`` is the user a sign-in just returned (the page was rendered signed out). */
async function load(known) {
  let me = known;
  try {
    if (!me) me = await whoAmI();
  } catch (failure) {
    setText($("#account-status"), failure.message);
    return;
  }
  if (!me) return dispatch({ type: "signed_out" });
  if (me.role !== "seeker") return dispatch({ type: "not_seeker", me });
  try {
    const [summary, conversations, favourites, reports] = await Promise.all([
      get("/api/v1/me/account"),
      get("/api/v1/conversations?status=ended"),
      get("/api/v1/favourites"),
      get("/api/v1/reports/mine"),
    ]);
    dispatch({ type: "loaded", me, summary, conversations, favourites: (favourites && favourites.favourites) || [], reports });
  } catch (failure) {
    if (failure.status === 401 || failure.status === 403) return dispatch({ type: "signed_out" });
    setText($("#account-status"), failure.message);
  }
}

/** Every message of one past chat, page by page (GET …/messages after the last seq held). */
async function transcript(conversationId) {
  const messages = [];
  let after = 0;
  for (let pages = 0; pages < 50; pages += 1) {
    const page = await get(`/api/v1/conversations/${conversationId}/messages?after_seq=${after}&limit=500`);
    messages.push(...page.messages);
    if (!page.has_more || !page.messages.length) break;
    after = page.messages[page.messages.length - 1].seq;
  }
  return messages;
}

// --- drawing --------------------------------------------------------------------------
const STEPS = { loading: null, signed_out: "account-signed-out", not_seeker: "account-not-seeker", ready: "account-body" };

function render() {
  const step = STEPS[state.status];
  if (step) showOnly(".step", step, { focus: false });
  setText($("#account-status"), state.status === "loading" ? "Loading…" : state.message);
  $("#account-status").hidden = state.status !== "loading" && !state.message;
  if (state.status !== "ready") return;
  setText($("#account-alias"), state.me.alias);
  setText($("#keep-status"), keepStatusText({ ...state.summary, has_password: state.me.has_password }));
  setText($("#passphrase-hint"), passphraseHintText(RULES));
  setText($("#passphrase-save"), state.me.has_password ? "Change my passphrase" : "Keep my account with this passphrase");
  $("#current-passphrase-box").hidden = !state.me.has_password; // changing a kept passphrase needs the current one
  setText($("#history-hint"), historyHintText(state.summary));
  renderHistory();
  renderFavourites();
  renderReports();
}

function renderHistory() {
  $("#history-empty").hidden = state.conversations.length > 0;
  $("#history-list").replaceChildren(
    ...state.conversations.map((conversation) => {
      const open = Boolean(state.transcripts[conversation.id]);
      const panelId = `transcript-${conversation.id}`;
      return el(
        "li",
        { class: "history-item" },
        el("button", {
          type: "button",
          class: "link-button",
          "aria-expanded": open ? "true" : "false",
          "aria-controls": panelId,
          text: conversationLabel(conversation),
          onclick: () => toggleTranscript(conversation.id),
        }),
        open ? transcriptList(panelId, state.transcripts[conversation.id]) : null,
      );
    }),
  );
}

function transcriptList(id, messages) {
  if (!messages.length) return el("p", { id, class: "hint", text: "No messages were kept for this chat." });
  return el(
    "ol",
    { id, class: "transcript" },
    messages.map((message) => el("li", { class: `transcript-line from-${message.sender_role || "system"}` }, el("strong", { text: `${senderLabel(message)}: ` }), el("span", { text: message.text }))),
  );
}

function renderFavourites() {
  $("#favourites-empty").hidden = state.favourites.length > 0;
  $("#favourites-list").replaceChildren(...state.favourites.map((listener) => el("li", { text: listener.alias })));
}

function renderReports() {
  $("#reports-empty").hidden = state.reports.length > 0;
  $("#reports-list").replaceChildren(...state.reports.map((report) => el("li", { text: reportLine(report) })));
}

// --- acting ----------------------------------------------------------------------------
async function toggleTranscript(conversationId) {
  if (state.transcripts[conversationId]) return dispatch({ type: "transcript_closed", conversation: conversationId });
  try {
    dispatch({ type: "transcript", conversation: conversationId, messages: await transcript(conversationId) });
  } catch (failure) {
    announce(failure.message);
  }
}

$("#suggest-passphrase").addEventListener("click", async () => {
  setText($("#passphrase-error"), "");
  try {
    const body = await get("/api/v1/me/password/suggestion");
    dispatch({ type: "suggested", passphrase: body.passphrase });
    $("#passphrase").value = body.passphrase; // a suggestion replaces what was typed, once
    $("#passphrase").focus();
    announce(`Suggested passphrase: ${body.passphrase}`);
  } catch (failure) {
    setText($("#passphrase-error"), failure.message);
  }
});

$("#copy-passphrase").addEventListener("click", async () => {
  const value = $("#passphrase").value;
  if (!value) return;
  try {
    await navigator.clipboard.writeText(value);
    announce("Passphrase copied.");
  } catch (error) {
    $("#passphrase").select(); // the browser refused the clipboard: leave it selected to copy by hand
    announce("Select and copy the passphrase by hand.");
  }
});

$("#passphrase-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("#passphrase");
  setText($("#passphrase-error"), "");
  try {
    const body = { password: input.value };
    if (state.me.has_password) body.current_password = $("#current-passphrase").value;
    await post("/api/v1/me/password", body);
    input.removeAttribute("aria-invalid");
    $("#current-passphrase").removeAttribute("aria-invalid");
    dispatch({ type: "passphrase_set" });
    input.value = "";
    $("#current-passphrase").value = "";
    announce("Your account is kept. Sign in with your alias and passphrase on any device.");
  } catch (failure) {
    const reasons = failure.body && failure.body.fields && failure.body.fields.password;
    setText($("#passphrase-error"), [failure.message, ...(Array.isArray(reasons) ? reasons : [])].join(" "));
    const current = failure.code === "wrong_passphrase" || failure.code === "current_passphrase_required";
    (current ? $("#current-passphrase") : input).setAttribute("aria-invalid", "true");
    (current ? $("#current-passphrase") : input).focus();
  }
});

confirmButton($("#delete-history"), "Yes, delete my past chats", async () => {
  try {
    const body = await api("DELETE", "/api/v1/me/history");
    setText($("#delete-history-result"), body.message);
    await load(state.me);
  } catch (failure) {
    setText($("#delete-history-result"), failure.message);
  }
});

$("#delete-account").addEventListener("click", () => {
  setText($("#delete-error"), "");
  $("#delete-dialog-text").replaceChildren(...deleteConfirmParagraphs(state.summary).map((text) => el("p", { text })));
  $("#delete-dialog").showModal();
});

$("#delete-form").addEventListener("submit", async (event) => {
  if (event.submitter && event.submitter.value === "cancel") return;
  event.preventDefault();
  try {
    const body = await api("DELETE", "/api/v1/me/account");
    $("#delete-dialog").close();
    dispatch({ type: "deleted", message: body.message });
    $("#account-status").focus();
  } catch (failure) {
    setText($("#delete-error"), failure.message);
  }
});

$("#sign-out").addEventListener("click", async () => {
  try {
    await post("/api/v1/session/logout");
  } finally {
    dispatch({ type: "signed_out", message: "You're signed out." });
  }
});

seekerSigninForm("account-signin", (me) => load(me));

// The page opened at #keep (from the end of a chat): take the reader there once it is drawn.
load().then(() => {
  if (location.hash === "#keep" && state.status === "ready") $("#passphrase").focus();
});
