// The listener console's paging card: the listener's paging preferences (GET/PUT
// /api/v1/listeners/me/paging) and the `line.page` frames that page them (docs/protocol.md).
// listener.js calls `startPaging()` once the console shows and `showPage(frame)` for each page.

import { api, get } from "./api.js";
import { $, announce, el, formatTime, setText } from "./dom.js";
import { bindNotificationButton, pageNotice, showNotification } from "./attention.js";

const URL = "/api/v1/listeners/me/paging";
const LABELS = { enabled: "Paging", email_enabled: "E-mail", email: "E-mail address", quiet_hours: "Quiet hours", time_zone: "Time zone" };
let started = false;

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch (error) {
    return "UTC";
  }
}

function fillZones() {
  const list = $("#paging-zones");
  if (list.childElementCount || typeof Intl.supportedValuesOf !== "function") return;
  for (const zone of Intl.supportedValuesOf("timeZone")) list.append(el("option", { value: zone }));
}

function render(prefs) {
  $("#paging-enabled").checked = prefs.enabled;
  $("#paging-email-enabled").checked = prefs.email_enabled;
  $("#paging-email").value = prefs.email || "";
  $("#paging-quiet").checked = Boolean(prefs.quiet_hours);
  $("#paging-quiet-start").value = prefs.quiet_hours ? prefs.quiet_hours.start : "22:00";
  $("#paging-quiet-end").value = prefs.quiet_hours ? prefs.quiet_hours.end : "07:00";
  // Never set: suggest this browser's zone rather than UTC.
  $("#paging-time-zone").value = prefs.enabled || prefs.quiet_hours ? prefs.time_zone : browserZone();
  setText($("#paging-topics"), prefs.topics.length ? prefs.topics.join(", ") : "none yet (set them in your profile)");
  syncQuiet();
}

function syncQuiet() {
  const on = $("#paging-quiet").checked;
  $("#paging-quiet-times").hidden = !on;
}

function problemText(error) {
  const fields = error.body && error.body.fields;
  if (!fields) return error.message;
  const parts = [];
  for (const [name, problems] of Object.entries(fields)) {
    const detail = Array.isArray(problems) ? problems.join(" ") : Object.values(problems).flat().join(" ");
    parts.push(`${LABELS[name] || name}: ${detail}`);
  }
  return parts.join(" ");
}

async function save(event) {
  event.preventDefault();
  setText($("#paging-error"), "");
  setText($("#paging-saved"), "");
  const quiet = $("#paging-quiet").checked;
  const body = {
    enabled: $("#paging-enabled").checked,
    email_enabled: $("#paging-email-enabled").checked,
    email: $("#paging-email").value.trim(),
    quiet_hours: quiet ? { start: $("#paging-quiet-start").value, end: $("#paging-quiet-end").value } : null,
    time_zone: $("#paging-time-zone").value.trim(),
  };
  try {
    render(await api("PUT", URL, body));
    setText($("#paging-saved"), "Saved.");
  } catch (error) {
    setText($("#paging-error"), problemText(error));
  }
}

// The form's fields stay disabled until the saved preferences are in them: a box ticked
// before they arrive would be overwritten by them, and a save then would store the old ones.
function setFieldsEnabled(enabled) {
  const form = $("#paging-form");
  for (const field of form.elements) field.disabled = !enabled;
  form.setAttribute("aria-busy", String(!enabled));
}

/** Load the preferences into the card and wire its form (once). */
export async function startPaging() {
  if (started) return;
  started = true;
  setFieldsEnabled(false);
  fillZones();
  bindNotificationButton($("#paging-notify-ask"), $("#paging-notify-status"));
  $("#paging-quiet").addEventListener("change", syncQuiet);
  $("#paging-form").addEventListener("submit", save);
  try {
    render(await get(URL));
    setFieldsEnabled(true);
  } catch (error) {
    // left disabled: saving now would overwrite settings this page never saw
    setText($("#paging-error"), "Couldn't load your paging settings. Please reload the page.");
  }
}

/** A `line.page` frame: say it on the console and, if allowed, as a browser notification. */
export function showPage(frame) {
  const notice = pageNotice(frame);
  if (!notice) return;
  const box = $("#page-notice");
  box.hidden = false;
  setText(box, `${formatTime()}: ${notice.body}`);
  announce(notice.body);
  showNotification(notice);
}
