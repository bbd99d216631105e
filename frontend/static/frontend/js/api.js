// JSON over fetch with the CSRF header. Errors come back as ApiError with the server's code and message.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `Request failed (${status})`);
    this.status = status;
    this.code = (body && body.error) || "network_error";
    this.body = body || {};
  }
}

export function csrfToken() {
  const match = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return match ? decodeURIComponent(match.slice("csrftoken=".length)) : "";
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = csrfToken();
  }
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, { error: "network_error", message: "We couldn't reach Hearth. Check your connection and try again." });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (error) {
    data = { error: "bad_response", message: "Hearth sent an unexpected answer. Please try again." };
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body ?? {});

/** Did the page say nobody is signed in (``signed-in`` json_script)? Then there is no one to ask about. */
function pageSaysSignedOut() {
  const node = typeof document !== "undefined" && document.getElementById("signed-in");
  if (!node) return false;
  try {
    return JSON.parse(node.textContent) === false;
  } catch (error) {
    return false;
  }
}

/** The signed-in user, or null (without a request when the page already says nobody is). */
export async function whoAmI() {
  if (pageSaysSignedOut()) return null;
  try {
    return await get("/api/v1/me");
  } catch (error) {
    if (error.status === 401 || error.status === 403) return null;
    throw error;
  }
}
