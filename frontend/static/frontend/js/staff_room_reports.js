// Reported room messages on the staff page: the message, its room, when, how many reported it and each
// reporter's reason (by alias), from GET /api/v1/staff/room-reports. Everything a member wrote (the
// message, the reasons, aliases, the room's name) goes in as text through el()/setText: never as markup.

import { get } from "./api.js";
import { $, el, setText } from "./dom.js";

const PAGE = 200; // the API's maximum: the most recently reported 200

const STATUS_LABEL = {
  visible: "Still visible",
  held: "Held by the safety screening",
  hidden: "Hidden pending review (reports)",
  removed: "Removed by a moderator",
};

function when(iso) {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) : "";
}

function reportItem(report) {
  return el(
    "li",
    { class: "room-report-reason" },
    report.reason ? el("span", { class: "report-text", text: report.reason }) : el("em", { text: "No reason given" }),
    el("span", { class: "hint", text: ` · ${report.reporter ? `by ${report.reporter} · ` : ""}${when(report.created_at)}` }),
  );
}

function messageItem(message) {
  const count = message.report_count === 1 ? "1 report" : `${message.report_count} reports`;
  return el(
    "li",
    { class: "held-item room-report", "data-room": String(message.room), "data-seq": String(message.seq) },
    el("p", { class: "msg-sender", text: `${message.room_name} · message #${message.seq} · ${message.sender_alias || "unknown"} (${message.sender_role}) · ${when(message.created_at)}` }),
    message.removed ? el("p", { class: "hint", text: "Removed; what the removal record kept:" }) : null,
    el("p", { class: "msg-text room-report-message", text: message.text || "(no text)" }),
    el("p", { class: "hint", text: `${STATUS_LABEL[message.status] || message.status} · ${count}, last ${when(message.last_reported_at)}` }),
    el("ol", { class: "audit", "aria-label": `Reasons given (${count})` }, message.reports.map(reportItem)),
  );
}

/** (Re)load the list; the status filter narrows it. */
export async function loadRoomReports() {
  const status = $("#room-reports-status").value;
  setText($("#room-reports-error"), "");
  try {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (status) query.set("status", status);
    const body = await get(`/api/v1/staff/room-reports?${query}`);
    $("#room-reports").replaceChildren(...body.messages.map(messageItem));
    $("#room-reports-empty").hidden = body.messages.length > 0;
    $("#room-reports-more").hidden = !body.has_more;
    setText($("#room-reports-count"), body.messages.length ? `(${body.messages.length}${body.has_more ? "+" : ""})` : "");
  } catch (failure) {
    setText($("#room-reports-error"), failure.message);
  }
}

let wired = false;

/** Called once signed in as safety staff: wire the controls (once) and load the list. */
export function roomReports() {
  if (!wired) {
    $("#room-reports-refresh").addEventListener("click", loadRoomReports);
    $("#room-reports-status").addEventListener("change", loadRoomReports);
    wired = true;
  }
  return loadRoomReports();
}
