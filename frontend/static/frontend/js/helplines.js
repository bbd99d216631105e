// Refresh the crisis band from the API; the server-rendered list stays if this fails.

import { get } from "./api.js";
import { helplineList } from "./dom.js";

async function refresh() {
  const band = document.getElementById("helpline-list");
  if (!band) return;
  try {
    const data = await get("/api/v1/helplines");
    if (data && Array.isArray(data.helplines) && data.helplines.length) {
      const fresh = helplineList(data.helplines);
      fresh.id = "helpline-list";
      band.replaceWith(fresh);
    }
  } catch (error) {
    /* keep the fallback rendered by the server */
  }
}

refresh();
