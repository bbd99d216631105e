// The safety team's warning, shown on the seeker and listener pages (the `#warnings` box).
// State from warnings.js; dismissed ids are kept in localStorage, like the staff desk's sound toggle.

import { $, announce, el } from "./dom.js";
import { initialWarnings, reduceWarnings, visibleWarnings, warningDetail } from "./warnings.js";

const KEY = "hearth.warnings.dismissed";

function readDismissed() {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(value) ? value : [];
  } catch (error) {
    return [];
  }
}

function writeDismissed(ids) {
  try {
    localStorage.setItem(KEY, JSON.stringify(ids.slice(-50)));
  } catch (error) {
    /* storage refused: the warning comes back on the next reload, which is safe */
  }
}

/** ``handle(frame)`` for every frame of the chat socket; draws into ``#warnings``. */
export function warningBanner(box = $("#warnings")) {
  let state = initialWarnings();
  let dismissed = readDismissed();

  function render() {
    if (!box) return;
    const shown = visibleWarnings(state, dismissed);
    box.hidden = shown.length === 0;
    box.replaceChildren(
      ...shown.map((entry) => {
        const button = el("button", { type: "button", class: "button", text: "I understand" });
        button.addEventListener("click", () => {
          if (entry.id !== null && entry.id !== undefined) {
            dismissed = [...dismissed, entry.id];
            writeDismissed(dismissed);
          }
          state = { warnings: state.warnings.filter((known) => known !== entry) };
          render();
          announce("Warning dismissed.");
        });
        return el(
          "section",
          { class: "warning-banner", "aria-label": "Warning from the safety team" },
          el("h2", { text: "A warning from the Hearth safety team" }),
          el("p", { role: "alert", text: entry.text }),
          el("p", { class: "hint", text: warningDetail(entry) }),
          button,
        );
      }),
    );
  }

  return {
    handle(frame) {
      const before = state;
      state = reduceWarnings(state, frame);
      if (state !== before) render();
    },
  };
}
