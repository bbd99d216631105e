// Pieces shared by the pages: the connection banner, two-step confirm buttons, REST endpoints.

import { get, post } from "./api.js";
import { $, announce, setText } from "./dom.js";

const STATUS_TEXT = {
  connecting: "Connecting…",
  reconnecting: "Connection lost. Reconnecting… Your messages are kept and will be sent.",
  closed: "Disconnected.",
};
const CLOSED_TEXT = {
  signed_out: "You're signed out. Please start again.",
  forbidden: "This account can't use this page.",
  revoked: "Your session has ended.",
  not_found: "This isn't available.",
};

/** Show the socket state; "open" hides the banner. Announces changes for screen readers. */
export function connectionBanner(node, status, detail = {}) {
  if (!node) return;
  const previous = node.dataset.status;
  node.dataset.status = status;
  if (status === "open") {
    node.hidden = true;
    node.textContent = "";
    if (previous === "reconnecting") announce("Reconnected.");
    return;
  }
  node.hidden = status === "connecting";
  node.textContent = status === "closed" ? detail.text || CLOSED_TEXT[detail.reason] || STATUS_TEXT.closed : STATUS_TEXT[status] || "";
  node.className = `connection connection-${status}`;
}

/** A button that asks "are you sure?" by changing its own label, then acts on the second press. */
export function confirmButton(button, confirmLabel, action) {
  const original = button.textContent;
  const originalName = button.getAttribute("aria-label"); // a longer accessible name, swapped while armed
  let armed = null;
  const reset = () => {
    clearTimeout(armed);
    armed = null;
    button.textContent = original;
    if (originalName) button.setAttribute("aria-label", originalName);
    button.classList.remove("button-danger");
  };
  button.addEventListener("click", async () => {
    if (!armed) {
      button.textContent = confirmLabel;
      if (originalName) button.setAttribute("aria-label", confirmLabel);
      button.classList.add("button-danger");
      announce(`Press again to confirm: ${confirmLabel}`);
      armed = setTimeout(reset, 6000);
      return;
    }
    reset();
    await action();
  });
  button.addEventListener("blur", () => armed && setTimeout(reset, 300));
}

/** REST calls owned by the listener-program and safety back ends (see their api/urls.py). */
export const endpoints = {
  rate: (conversation, body) => post(`/api/v1/conversations/${conversation}/rating`, body),
  favourite: (alias) => post(`/api/v1/favourites/${encodeURIComponent(alias)}`, {}),
  report: ({ conversation, seq, reason, detail }) => post("/api/v1/reports", { conversation, seq: seq ?? null, reason, text: detail || "" }),
  block: (conversation) => post("/api/v1/blocks", { conversation }),
};

/** Wire the shared sign-in form (_login_form.html): on success call ``onSignedIn(me)``. */
export function loginForm(onSignedIn) {
  $("#login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    setText($("#login-error"), "");
    try {
      await get("/api/v1/session/csrf");
      const me = await post("/api/v1/session/login", { username: $("#username").value.trim(), password: $("#password").value });
      $("#password").value = "";
      onSignedIn(me);
    } catch (failure) {
      setText($("#login-error"), failure.message);
      $("#password").focus();
    }
  });
}

/** Wire a returning seeker's sign-in form (_seeker_signin.html, alias + passphrase): on success ``onSignedIn(me)``. */
export function seekerSigninForm(formId, onSignedIn) {
  const form = document.getElementById(formId);
  if (!form) return;
  const alias = $(`#${formId}-alias`);
  const passphrase = $(`#${formId}-passphrase`);
  const error = $(`#${formId}-error`);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setText(error, "");
    if (!alias.value.trim() || !passphrase.value) {
      setText(error, "Please enter your alias and your passphrase.");
      (alias.value.trim() ? passphrase : alias).focus();
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await get("/api/v1/session/csrf");
      const me = await post("/api/v1/session/login", { username: alias.value.trim(), password: passphrase.value });
      passphrase.value = "";
      onSignedIn(me);
    } catch (failure) {
      setText(error, failure.code === "login_failed" ? "That alias and passphrase don't match." : failure.message);
      passphrase.focus();
    } finally {
      button.disabled = false;
    }
  });
}
