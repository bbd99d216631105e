// Pure pieces of the room page (no DOM): the head count beside "Here now", the moderators'
// "why was it held" line and a member's pending one-to-one invitation. Unit-tested with `node --test` (tests/frontend/room_state.test.mjs).

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

/**
 * The member's one-to-one invitation to show, from the server: `room.one_to_one.invited` (live) or
 * `room.hello`'s `invitation` (after a reload; null when there is none to show any more, so an
 * invitation used or expired meanwhile disappears). Returns {id, message} or null; `undefined` for a
 * frame that says nothing about invitations (the page keeps what it shows).
 */
export function invitationFrom(frame) {
  if (!frame || typeof frame !== "object") return undefined;
  const entry = frame.type === "room.hello" ? frame.invitation : frame.type === "room.one_to_one.invited" ? frame : undefined;
  if (entry === undefined) return undefined;
  if (!entry || typeof entry !== "object" || !Number.isInteger(entry.invitation)) return null;
  return { id: entry.invitation, message: typeof entry.message === "string" && entry.message ? entry.message : "A moderator offered you a one-to-one chat with a listener." };
}
