// node --test tests/frontend/: the tab title and browser notifications of attention.js, with a
// fake document and Notification (no browser).

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  ARRIVED_NOTICE,
  ARRIVED_TITLE,
  TabAttention,
  bindNotificationButton,
  initialAttention,
  notificationOffer,
  pageNotice,
  reduceAttention,
  shouldNotify,
  titleOnVisible,
} from "../../frontend/static/frontend/js/attention.js";

function fakeDocument({ hidden = false, title = "Finding you a listener · Hearth" } = {}) {
  const listeners = {};
  return {
    hidden,
    title,
    addEventListener: (type, fn) => (listeners[type] = fn),
    show() {
      this.hidden = false;
      listeners.visibilitychange();
    },
  };
}

function fakeWindow(permission) {
  const shown = [];
  class Notification {
    static permission = permission;
    static requestPermission() {
      Notification.permission = "granted";
      return Promise.resolve("granted");
    }
    constructor(title, options) {
      shown.push({ title, ...options });
    }
    close() {}
  }
  return { Notification, shown, focus() {} };
}

test("a listener arriving while the tab is visible changes nothing", () => {
  const state = reduceAttention(initialAttention(), { type: "arrived", hidden: false, title: "Chat · Hearth" });
  assert.equal(state.flagged, false);
});

test("a listener arriving in a background tab flags it until it is seen, then the title comes back", () => {
  let state = reduceAttention(initialAttention(), { type: "arrived", hidden: true, title: "Chat with Kind · Hearth" });
  assert.equal(state.flagged, true);
  state = reduceAttention(state, { type: "arrived", hidden: true, title: ARRIVED_TITLE });
  assert.equal(state.restoreTitle, "Chat with Kind · Hearth");
  assert.equal(titleOnVisible(state, ARRIVED_TITLE), "Chat with Kind · Hearth");
  assert.deepEqual(reduceAttention(state, { type: "visible" }), initialAttention());
});

test("a title the page set while hidden (the chat ended) is not overwritten", () => {
  const state = reduceAttention(initialAttention(), { type: "arrived", hidden: true, title: "Chat · Hearth" });
  assert.equal(titleOnVisible(state, "Hearth"), "Hearth");
  assert.equal(titleOnVisible(initialAttention(), "Anything"), "Anything");
});

test("a notification only when allowed and the page is not being looked at", () => {
  assert.equal(shouldNotify({ hidden: true, permission: "granted" }), true);
  assert.equal(shouldNotify({ hidden: false, permission: "granted" }), false);
  assert.equal(shouldNotify({ hidden: true, permission: "default" }), false);
  assert.equal(shouldNotify({ hidden: true, permission: "denied" }), false);
});

test("TabAttention flags a hidden tab, notifies without naming the listener, and restores on return", () => {
  const doc = fakeDocument({ hidden: true, title: "Chat with KindLantern · Hearth" });
  const win = fakeWindow("granted");
  const attention = new TabAttention({ doc, win });
  attention.listenerArrived();
  assert.equal(doc.title, ARRIVED_TITLE);
  assert.deepEqual(win.shown, [{ title: ARRIVED_NOTICE.title, body: ARRIVED_NOTICE.body, tag: ARRIVED_NOTICE.tag }]);
  assert.ok(!JSON.stringify(win.shown).includes("KindLantern"));
  doc.show();
  assert.equal(doc.title, "Chat with KindLantern · Hearth");
});

test("TabAttention without permission changes the title only; a visible tab is left alone", () => {
  const hidden = fakeDocument({ hidden: true });
  const win = fakeWindow("default");
  new TabAttention({ doc: hidden, win }).listenerArrived();
  assert.equal(hidden.title, ARRIVED_TITLE);
  assert.equal(win.shown.length, 0);
  const visible = fakeDocument({ hidden: false, title: "Chat · Hearth" });
  new TabAttention({ doc: visible, win: fakeWindow("granted") }).listenerArrived();
  assert.equal(visible.title, "Chat · Hearth");
});

test("a line page says how many wait and for which topic, nothing about who", () => {
  const notice = pageNotice({ type: "line.page", topic: "anxiety", topic_name: "Anxiety", count: 3, oldest_wait_seconds: 400 });
  assert.equal(notice.title, "People are waiting on Hearth");
  assert.match(notice.body, /^3 people are waiting to talk \(Anxiety\)/);
  assert.match(pageNotice({ type: "line.page", topic: null, topic_name: "any topic", count: 1 }).body, /^1 person is waiting .*any topic/);
});

test("a malformed line page is ignored", () => {
  assert.equal(pageNotice({ type: "line.page", count: "3", topic_name: "Anxiety" }), null);
  assert.equal(pageNotice({ type: "line.page", count: 0, topic_name: "Anxiety" }), null);
  assert.equal(pageNotice({ type: "line.page", count: 2 }), null);
  assert.equal(pageNotice({ type: "queue.sizes", count: 2, topic_name: "x" }), null);
  assert.equal(pageNotice(null), null);
});

test("the permission button is offered only while the browser has not been asked", () => {
  assert.equal(notificationOffer("default").ask, true);
  for (const permission of ["granted", "denied", "unsupported"]) {
    assert.equal(notificationOffer(permission).ask, false);
    assert.ok(notificationOffer(permission).text);
  }
});

test("the button asks on click and then hides, saying notifications are on", async () => {
  const win = fakeWindow("default");
  const clicks = {};
  const button = { hidden: false, addEventListener: (type, fn) => (clicks[type] = fn) };
  const status = { textContent: "" };
  bindNotificationButton(button, status, win);
  assert.equal(button.hidden, false);
  await clicks.click();
  assert.equal(button.hidden, true);
  assert.match(status.textContent, /on/);
});

test("a browser without notifications gets no button and is told why", () => {
  const button = { hidden: false, addEventListener() {} };
  const status = { textContent: "" };
  bindNotificationButton(button, status, {});
  assert.equal(button.hidden, true);
  assert.match(status.textContent, /can't show notifications/);
});
