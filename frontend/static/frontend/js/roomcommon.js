// Pieces shared by the rooms list and the room page.

import { el } from "./dom.js";

/** "Tue 18:00" in the visitor's own time zone (hours are stored in UTC). */
export function formatOpening(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });
}

/** What to offer instead of a room: other open rooms on the topic, and always one-to-one. */
export function alternativesBlock(alternatives, lead) {
  const rooms = (alternatives && alternatives.rooms) || [];
  const topic = alternatives && alternatives.one_to_one ? alternatives.one_to_one.topic : null;
  const talk = topic ? `/talk/?topic=${encodeURIComponent(topic)}` : "/talk/";
  return el(
    "div",
    { class: "alternatives" },
    lead ? el("p", { text: lead }) : null,
    rooms.length
      ? el("ul", { class: "alt-rooms" }, rooms.map((room) => el("li", {}, el("a", { href: `/rooms/${room.id}/`, text: `Try ${room.name}` }))))
      : null,
    el("p", {}, el("a", { class: "button", href: talk, text: "Talk to a listener one-to-one" })),
  );
}
