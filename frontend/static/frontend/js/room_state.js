// The room page's standing, members and invitation (pure, no DOM): the reducer below, the head count
// beside "Here now", the moderators' "why was it held" line and a member's pending one-to-one
// invitation. Unit-tested with `node --test` (tests/frontend/room_state.test.mjs).

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

// --- the room's standing and who is here: `reduceRoom(state, event) -> state` ---------------------
//
// Frames are the room socket's (`room.hello`, `room.presence`, `room.state`, `room.slow_mode`,
// `room.muted`, `room.one_to_one.invited`, `error`) plus the page's own events: `members.loaded`
// (the `room.members` reply: `{members, version}`), `members.failed`, `guideline.acknowledged` and
// `invitation.dismissed`. What the page must do beyond drawing (ask for the member list, bring a new
// invitation to the member's attention) is listed in `state.effects`, which room.js performs and
// clears with `effects.done`. No clock: whether a mute is still in force is asked with `mutedAt`.

export function initialRoom() {
  return {
    room: null, // room.hello's room: name, guideline, next_opening, slow_mode_seconds
    you: null, // {alias, moderator}
    moderator: false,
    acknowledged: false, // the guideline, accepted once before the first message
    open: false,
    mutedUntil: null,
    members: new Map(), // alias -> {alias, moderator}: exactly who is here at presenceVersion
    presenceVersion: null,
    membersAsked: false, // a room.members request is on its way
    invitation: null, // {id, message}: a moderator's one-to-one invitation, shown to this member
    effects: [],
  };
}

function withMembers(state, members, version) {
  return { ...state, members: new Map((members || []).map((member) => [member.alias, member])), presenceVersion: version };
}

/** A room.presence delta: a stale one changes nothing, a gap (a delta never received) asks for the whole list. */
function withPresence(state, frame) {
  if (state.presenceVersion === null || frame.version <= state.presenceVersion) return state;
  if (frame.from_version > state.presenceVersion) {
    if (state.membersAsked) return state;
    return { ...state, membersAsked: true, effects: [...state.effects, { kind: "members.request" }] };
  }
  const members = new Map(state.members);
  for (const alias of frame.left || []) members.delete(alias);
  for (const member of frame.joined || []) members.set(member.alias, member);
  return { ...state, members, presenceVersion: frame.version };
}

/** The invitation `invitationFrom` read (null takes it away); a moderator is never invited. */
function withInvitation(state, invitation, { live }) {
  if (state.moderator || invitation === undefined) return state;
  if (!invitation) return state.invitation === null ? state : { ...state, invitation: null };
  if (state.invitation && state.invitation.id === invitation.id) return state;
  return { ...state, invitation, effects: [...state.effects, { kind: "invitation.new", live }] };
}

export function reduceRoom(state, event) {
  switch (event.type) {
    case "room.hello": {
      const you = event.you || {};
      const moderator = Boolean(you.moderator);
      const next = {
        ...withMembers(state, event.members, event.presence_version ?? 0),
        room: { ...event.room },
        you: { alias: you.alias, moderator },
        moderator,
        acknowledged: Boolean(you.guideline_acknowledged),
        open: Boolean(event.room.open),
        mutedUntil: you.muted_until,
      };
      return withInvitation(next, invitationFrom(event), { live: false });
    }
    case "room.presence":
      return withPresence(state, event);
    case "members.loaded": {
      const next = { ...state, membersAsked: false };
      if (state.presenceVersion !== null && event.version < state.presenceVersion) return next;
      return withMembers(next, event.members, event.version);
    }
    case "members.failed":
      // Offline or refused: the next delta's gap asks again, and a reconnect's hello has the whole list.
      return { ...state, membersAsked: false };
    case "room.state":
      if (!state.room) return state;
      return { ...state, open: event.open, room: { ...state.room, next_opening: event.next_opening } };
    case "room.slow_mode":
      if (!state.room) return state;
      return { ...state, room: { ...state.room, slow_mode_seconds: event.seconds } };
    case "room.muted":
      return { ...state, mutedUntil: event.until };
    case "error":
      if (event.code === "muted" && event.until) return { ...state, mutedUntil: event.until };
      if (event.code === "room_closed") return { ...state, open: false };
      return state;
    case "guideline.acknowledged":
      return { ...state, acknowledged: true };
    case "room.one_to_one.invited":
      return withInvitation(state, invitationFrom(event), { live: true });
    case "invitation.dismissed":
      return { ...state, invitation: null };
    case "effects.done":
      return state.effects.length ? { ...state, effects: [] } : state;
    default:
      return state;
  }
}

/** Whether this member's messages are paused by a moderator at `now` (milliseconds). */
export function mutedAt(state, now) {
  return Boolean(state.mutedUntil) && Date.parse(state.mutedUntil) > now;
}

/** The composer: whether it is blocked and the placeholder that says why. */
export function composerState(state, { now, gone = false }) {
  const muted = mutedAt(state, now);
  const needsGuideline = !state.acknowledged && !state.moderator;
  const blocked = !state.open || needsGuideline || muted || gone;
  let placeholder = "Write to the room…";
  if (!state.open) placeholder = "The room is closed";
  else if (needsGuideline) placeholder = "Agree to the guideline first";
  else if (muted) placeholder = "A moderator has paused your messages";
  return { blocked, placeholder };
}

/** Everyone here in the order the list shows them. */
export function membersShown(state) {
  return [...state.members.values()].sort((a, b) => a.alias.localeCompare(b.alias));
}
