// The safety team's live review queue (filled in as the safety back end lands).
import { get, post, whoAmI } from "./api.js";
import { $, setText, showOnly } from "./dom.js";

const show = (id) => showOnly(".step", id);

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  setText($("#login-error"), "");
  try {
    await get("/api/v1/session/csrf");
    const me = await post("/api/v1/session/login", { username: $("#username").value.trim(), password: $("#password").value });
    enter(me);
  } catch (failure) {
    setText($("#login-error"), failure.message);
  }
});

function enter(me) {
  if (!me.is_safety_staff) {
    show("step-login");
    setText($("#login-error"), "This page is for the safety team.");
    return;
  }
  show("step-queue");
}

whoAmI().then((me) => (me ? enter(me) : show("step-login")), () => show("step-login"));
