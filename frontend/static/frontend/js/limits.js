// The server's limits a page checks before sending (frontend.views.client_limits, delivered on every
// page as the `client-limits` json_script). They are never re-typed here: when a setting changes,
// the pages follow. A page without the block checks nothing itself; the server still refuses.

import { readJson } from "./dom.js";

let limits = null;

/** The limit called `name` (a positive integer), or null when the page was not told one. */
export function serverLimit(name) {
  if (limits === null) limits = (typeof document !== "undefined" && readJson("client-limits", {})) || {};
  const value = limits[name];
  return Number.isInteger(value) && value > 0 ? value : null;
}
