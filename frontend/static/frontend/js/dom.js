// Small DOM helpers. User text only ever goes through textContent: never innerHTML.

import { safeHref } from "./crisis.js";

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** Build an element. `attrs` are set as attributes (or properties for `text`, `hidden`, `on*`). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key === "hidden") node.hidden = Boolean(value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A `json_script` block's value, or `fallback` when it is missing or unreadable. */
export function readJson(id, fallback = null) {
  const node = document.getElementById(id);
  if (!node) return fallback;
  try {
    return JSON.parse(node.textContent);
  } catch (error) {
    console.log("Hearth: unreadable page data", id, error);
    return fallback;
  }
}

export function setText(node, text) {
  if (node) node.textContent = text ?? "";
}

/** Show exactly one of the sections matched by `selector` (the others get `hidden`). */
export function showOnly(selector, id, { focus = true } = {}) {
  for (const section of $$(selector)) section.hidden = section.id !== id;
  const shown = document.getElementById(id);
  if (shown && focus) {
    const heading = shown.querySelector("h1, h2");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: false });
    }
  }
  return shown;
}

/** Say something to screen-reader users through the page's aria-live region. */
export function announce(text, { urgent = false } = {}) {
  const region = document.getElementById(urgent ? "alert-announcer" : "announcer");
  if (!region) return;
  const line = el("p", { text });
  region.append(line);
  // Keep the region short; screen readers have already read what was added.
  while (region.childElementCount > 5) region.firstElementChild.remove();
}

export function formatTime(iso) {
  const date = iso ? new Date(iso) : new Date();
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  if (seconds < 60) return "less than a minute";
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? "about 1 minute" : `about ${minutes} minutes`;
}

/** Crisis lines, each with its tap-to-call / tap-to-text links (only tel:, sms: and https: are linked). */
export function helplineList(helplines) {
  return el(
    "ul",
    { class: "helpline-list" },
    (helplines || []).map((line) => {
      const links = (Array.isArray(line.links) ? line.links : [])
        .map((link) => ({ ...link, href: safeHref(link && link.href) }))
        .filter((link) => link.href)
        .map((link) =>
          el("a", { class: `helpline-link helpline-link-${link.kind}`, href: link.href, "aria-label": link.label || null, text: LINK_TEXT[link.kind] || "Open" }),
        );
      return el(
        "li",
        { "data-kind": line.kind || null },
        el("strong", { text: line.name }),
        " ",
        el("span", { text: line.contact }),
        " ",
        el("small", { text: line.hours || "" }),
        links.length ? el("span", { class: "helpline-links" }, links) : null,
      );
    }),
  );
}

const LINK_TEXT = { call: "Call", text: "Text", web: "Open" };

export function uuid() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Draw ``items`` into ``list`` in their order, one node per key: a node is made again (``make``)
 * only when its item is a different object than last time, else moved into place, so focus and
 * scroll stay on rows that did not change; nodes whose key is gone are removed. ``drawn`` (key ->
 * {node, item}) is the page's memory of what it last drew.
 */
export function drawKeyed(list, items, keyOf, make, drawn) {
  let cursor = list.firstChild;
  const listed = new Set();
  for (const item of items) {
    const key = keyOf(item);
    let entry = drawn.get(key);
    if (!entry || entry.item !== item) {
      const node = make(item);
      if (entry) {
        if (entry.node === cursor) cursor = node; // the new node takes the old one's place
        entry.node.replaceWith(node);
      }
      entry = { node, item };
      drawn.set(key, entry);
    }
    listed.add(key);
    if (entry.node === cursor) cursor = cursor.nextSibling;
    else list.insertBefore(entry.node, cursor);
  }
  for (const [key, entry] of drawn) {
    if (listed.has(key)) continue;
    entry.node.remove();
    drawn.delete(key);
  }
}
