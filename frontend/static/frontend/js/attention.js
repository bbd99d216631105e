// Getting someone's attention when their tab is in the background: a seeker whose listener has
// just come (a changed tab title until they look, and a browser notification if they allowed it),
// and a listener paged because people are waiting (`line.page`, docs/protocol.md).
//
// The rules are pure functions (tested with `node --test`); `TabAttention` and
// `bindNotificationButton` apply them to a document and window given to them. Nothing shown
// here names anyone or quotes anything: notifications can appear on a locked screen.

export const ARRIVED_TITLE = "● A listener is here — Hearth";

export const ARRIVED_NOTICE = Object.freeze({
  title: "A listener is here",
  body: "Someone is ready to talk with you. Come back to Hearth when you're ready.",
  tag: "hearth-listener-here",
});

export function initialAttention() {
  return { flagged: false, restoreTitle: null };
}

/**
 * The tab after an event: `{type: "arrived", hidden, title}` when a listener took the chat,
 * `{type: "visible"}` when the tab is looked at again. Only a hidden tab is flagged; a second
 * arrival keeps the title to restore from the first.
 */
export function reduceAttention(state, event) {
  if (event.type === "arrived") {
    if (!event.hidden) return state;
    return { flagged: true, restoreTitle: state.flagged ? state.restoreTitle : event.title };
  }
  if (event.type === "visible") return state.flagged ? initialAttention() : state;
  return state;
}

/**
 * The title to show once the flagged tab is visible again: the one it had, unless the page set
 * another meanwhile (the chat ended while the tab was hidden), which then stands.
 */
export function titleOnVisible(state, current) {
  return state.flagged && current === ARRIVED_TITLE ? state.restoreTitle || "Hearth" : current;
}

/** A browser notification only when the person allowed it and is not looking at the page. */
export function shouldNotify({ hidden, permission }) {
  return Boolean(hidden) && permission === "granted";
}

/**
 * What a `line.page` frame says, or null for a frame that does not hold a whole page: counts and a
 * topic's name only, never who is waiting.
 */
export function pageNotice(frame) {
  if (!frame || frame.type !== "line.page") return null;
  const count = frame.count;
  if (!Number.isInteger(count) || count < 1 || typeof frame.topic_name !== "string") return null;
  const people = count === 1 ? "1 person is" : `${count} people are`;
  const topic = frame.topic ? frame.topic_name : "any topic";
  return {
    title: "People are waiting on Hearth",
    body: `${people} waiting to talk (${topic}) and nobody on shift can take them. Can you start a shift?`,
    tag: "hearth-line-page",
  };
}

/** The permission button's state: whether to offer it, and what to say beside it. */
export function notificationOffer(permission) {
  switch (permission) {
    case "granted":
      return { ask: false, text: "Notifications are on for Hearth in this browser." };
    case "denied":
      return { ask: false, text: "Notifications are blocked for Hearth in this browser's settings." };
    case "default":
      return { ask: true, text: "" };
    default:
      return { ask: false, text: "This browser can't show notifications." };
  }
}

export function notificationPermission(win = globalThis) {
  return win.Notification ? win.Notification.permission : "unsupported";
}

/** Show a notification if allowed; a click brings the tab forward. True when one was shown. */
export function showNotification(notice, win = globalThis) {
  const Notice = win.Notification;
  if (!notice || !Notice || Notice.permission !== "granted") return false;
  try {
    const shown = new Notice(notice.title, { body: notice.body, tag: notice.tag });
    shown.onclick = () => {
      if (typeof win.focus === "function") win.focus();
      shown.close();
    };
    return true;
  } catch (error) {
    return false; // some browsers allow notifications only from a service worker
  }
}

/** The seeker's tab: flag it when a listener comes while it is hidden, until it is looked at. */
export class TabAttention {
  constructor({ doc = globalThis.document, win = globalThis } = {}) {
    this.doc = doc;
    this.win = win;
    this.state = initialAttention();
    doc.addEventListener("visibilitychange", () => {
      if (!doc.hidden) this.seen();
    });
  }

  listenerArrived() {
    const hidden = Boolean(this.doc.hidden);
    this.state = reduceAttention(this.state, { type: "arrived", hidden, title: this.doc.title });
    if (!this.state.flagged) return;
    this.doc.title = ARRIVED_TITLE;
    if (shouldNotify({ hidden, permission: notificationPermission(this.win) })) showNotification(ARRIVED_NOTICE, this.win);
  }

  seen() {
    const title = titleOnVisible(this.state, this.doc.title);
    this.state = reduceAttention(this.state, { type: "visible" });
    this.doc.title = title;
  }
}

/**
 * A button that asks for permission to notify (only from the click: browsers refuse otherwise)
 * and a status line beside it, kept in step with the browser's answer.
 */
export function bindNotificationButton(button, status, win = globalThis) {
  const render = () => {
    const offer = notificationOffer(notificationPermission(win));
    button.hidden = !offer.ask;
    status.textContent = offer.text;
  };
  button.addEventListener("click", async () => {
    const Notice = win.Notification;
    if (!Notice) return render();
    try {
      // Older Safari takes a callback instead of returning a promise.
      await new Promise((resolve) => {
        const asked = Notice.requestPermission(resolve);
        if (asked && typeof asked.then === "function") asked.then(resolve, resolve);
      });
    } finally {
      render();
    }
  });
  render();
}
