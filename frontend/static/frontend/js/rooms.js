// The group rooms list: rooms for the visitor's audience (the API filters), open or closed with the
// next opening, how many are there, and for a full room another room or one-to-one instead.

import { get, post, whoAmI } from "./api.js";
import { $, el, helplineList, setText, showOnly } from "./dom.js";
import { alternativesBlock, formatOpening } from "./roomcommon.js";

const show = (id, options) => showOnly(".step", id, options);

function nextPage() {
  // After the age question, go back to the room the visitor came for (same-site room pages only).
  const next = new URLSearchParams(location.search).get("next") || "";
  return /^\/rooms\/\d+\/$/.test(next) ? next : null;
}

$("#age-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("#age");
  const raw = input.value.trim();
  const age = Number(raw);
  if (!raw || !Number.isInteger(age) || age < 0 || age > 120) {
    setText($("#age-error"), "Please enter your age as a whole number.");
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  setText($("#age-error"), "");
  try {
    await get("/api/v1/session/csrf");
    await post("/api/v1/session/anonymous", { age, remember: $("#remember").checked });
    if (nextPage()) location.assign(nextPage());
    else await showRooms();
  } catch (failure) {
    if (failure.code === "under_minimum_age" || failure.code === "banned") {
      setText($("#refused-message"), failure.message);
      $("#refused-helplines").replaceChildren(helplineList(failure.body.helplines));
      show("step-refused");
      return;
    }
    setText($("#age-error"), failure.message);
  }
});

// `here_count` is the room's member list as the room page shows it (moderators included); `member_count`
// is what its capacity counts (moderators not), so "full" speaks of places, not of people here.
function stateLine(room) {
  if (room.full) return `Full right now · all ${room.capacity} places taken${room.open ? "" : " · closed"}`;
  if (!room.open) return room.next_opening ? `Closed · opens ${formatOpening(room.next_opening)}` : "Closed · no opening time set";
  return `Open now · ${room.here_count} ${room.here_count === 1 ? "person" : "people"} here`;
}

function roomItem(room, rooms) {
  const state = room.full ? "full" : room.open ? "open" : "closed";
  const others = rooms.filter((other) => other.id !== room.id && other.topic === room.topic && other.open && !other.full);
  return el(
    "li",
    { class: "card room-card", "data-room": String(room.id), "data-state": state },
    el("h2", { text: room.name }),
    el("p", { class: `room-status room-status-${state}`, text: stateLine(room) }),
    el("p", { class: "hint", text: `Topic: ${room.topic}${room.audience === "teen" ? " · for teens" : " · for adults"}` }),
    room.full
      ? alternativesBlock({ rooms: others.map((other) => ({ id: other.id, name: other.name })), one_to_one: { topic: room.topic } }, "This room is full.")
      : el("p", {}, el("a", { class: "button", href: `/rooms/${room.id}/`, "aria-label": `${room.open ? "Join" : "Look inside"} ${room.name}`, text: room.open ? "Join" : "Look inside" })),
  );
}

async function showRooms() {
  show("step-list");
  try {
    const rooms = await get("/api/v1/rooms");
    $("#list-empty").hidden = rooms.length > 0;
    $("#room-list").replaceChildren(...rooms.map((room) => roomItem(room, rooms)));
  } catch (failure) {
    setText($("#list-error"), failure.message);
  }
}

async function init() {
  let me = null;
  try {
    me = await whoAmI();
  } catch (error) {
    me = null;
  }
  if (!me) {
    show("step-age");
    return;
  }
  if (me.role !== "seeker" && me.role !== "listener") {
    show("step-list");
    setText($("#list-error"), "Rooms are for seekers and listeners. Safety staff read room records in the review tools.");
    return;
  }
  if (nextPage()) location.assign(nextPage());
  else showRooms();
}

init();
