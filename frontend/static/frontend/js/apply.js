// The listener application: account, topics, the 18+ declaration and the practice chat, in one request.
// Every rule is checked by the server (POST /api/v1/listeners/apply); this page shows its answers.

import { post } from "./api.js";
import { $, $$, announce, setText } from "./dom.js";

const form = $("#apply-form");

/** The input an error line sits right after (the form puts each field's line there), if any. */
function fieldBefore(node) {
  const field = node.previousElementSibling;
  return field && field.matches("input, textarea, select") ? field : null;
}

function clearErrors() {
  for (const node of $$("[data-field]", form)) {
    setText(node, "");
    const field = fieldBefore(node);
    if (field) {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-describedby");
    }
  }
  setText($("#apply-error"), "");
}

/** The request body, read from the form when it is submitted. */
function application() {
  const age = form.elements.age.value.trim();
  return {
    username: form.elements.username.value.trim(),
    password: form.elements.password.value,
    alias: form.elements.alias.value.trim(),
    bio: form.elements.bio.value.trim(),
    topics: $$("input[name=topics]:checked", form).map((input) => input.value),
    wants_teens: $("#apply-wants-teens").checked,
    age: /^\d+$/.test(age) ? Number(age) : age,
    adult_declared: $("#apply-adult").checked,
    practice_replies: $$("textarea[data-practice-turn]", form).map((area) => area.value),
  };
}

/** Show a refusal beside the field it is about (``field`` or each of ``fields``), else above the button. */
function showError(failure) {
  const body = failure.body || {};
  const fields = body.fields || (body.field ? { [body.field]: [failure.message] } : {});
  let first = null;
  for (const [name, messages] of Object.entries(fields)) {
    const node = $(`[data-field="${CSS.escape(name)}"]`, form);
    if (!node) continue;
    setText(node, Array.isArray(messages) ? messages.join(" ") : String(messages));
    const field = fieldBefore(node);
    if (field) {
      // Said with the field when it is focused, not only shown beside it.
      node.id = node.id || `apply-error-${name}`;
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", node.id);
    }
    first = first || node;
  }
  if (!first) setText($("#apply-error"), failure.message);
  announce(failure.message, { urgent: true });
  const target = first ? first.previousElementSibling : $("#apply-error");
  if (target && typeof target.focus === "function") target.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors();
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await post("/api/v1/listeners/apply", application());
    window.location.assign(form.dataset.training);
  } catch (failure) {
    showError(failure);
  } finally {
    button.disabled = false;
  }
});
