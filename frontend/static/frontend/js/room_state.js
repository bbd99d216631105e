// Pure pieces of the room page (no DOM): the head count beside "Here now" and the moderators'
// "why was it held" line. Unit-tested with `node --test` (tests/frontend/room_state.test.mjs).

/** The count beside "Here now": the entries of the server's member list as shown, so the two agree,
 * as the rooms list's ``here_count`` does (``rooms.selectors.head_count``). ``room.presence``'s
 * ``count`` leaves moderators out: it is what a room's capacity counts, not a head count. */
export function headCountText(members) {
  let total = 0;
  let moderators = 0;
  for (const member of members) {
    total += 1;
    if (member.moderator) moderators += 1;
  }
  return { short: `(${total})`, label: `${total} here${moderators ? `, ${moderators} moderating` : ""}` };
}

/** "Why: …" for a held or hidden message in the moderators' panel, from the server's ``held_reason``. */
export function heldReasonText(message) {
  const reason = message && message.held_reason;
  if (!reason || typeof reason.text !== "string" || !reason.text) return "";
  return `Why: ${reason.text}`;
}
