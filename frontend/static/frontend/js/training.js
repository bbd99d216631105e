// The listener course: modules with progress, reading, and quizzes scored on the server.

import { get, post, whoAmI } from "./api.js";
import { $, $$, announce, el, setText, showOnly } from "./dom.js";
import { modulePosition, nextModule } from "./listener_state.js";

const root = $("#training");
const slug = root.dataset.module;
const base = root.dataset.base;
const show = (id) => showOnly(".step", id);
const STATUS = { passed: "Passed", failed: "Not passed yet", not_started: "Not started" };

async function overview() {
  const data = await get("/api/v1/listeners/training");
  show("step-overview");
  setText(
    $("#overview-status"),
    data.trained ? "You've completed the core course. Thank you — you can take chats when you start a shift." : "Complete the required modules to start taking chats.",
  );
  $("#course-progress").max = Math.max(1, data.required_total);
  $("#course-progress").value = data.required_passed;
  setText($("#course-progress-text"), `${data.required_passed} of ${data.required_total} required modules passed. Pass mark ${data.pass_mark}%.`);
  $("#course").replaceChildren(
    ...data.modules.map((module) =>
      el(
        "li",
        { class: "card" },
        el("h2", {}, el("a", { href: `${base}${encodeURIComponent(module.slug)}/`, text: module.title })),
        el("p", { text: module.summary }),
        el(
          "p",
          { class: "hint" },
          `${STATUS[module.status] || module.status}`,
          module.best_score !== null ? ` · best score ${module.best_score}%` : "",
          module.required ? " · required" : module.required_for_teens ? " · needed to chat with teens" : " · optional",
          ` · ${module.question_count} questions`,
        ),
      ),
    ),
  );
}

/** "Module n of N" and the link to the next module in the course's order (none after the last). */
async function courseNavigation() {
  const course = await get("/api/v1/listeners/training").catch(() => null);
  const modules = course ? course.modules : [];
  setText($("#module-position"), modulePosition(modules, slug));
  const next = nextModule(modules, slug);
  $("#module-next").hidden = !next;
  if (!next) return;
  $("#module-next-link").href = `${base}${encodeURIComponent(next.slug)}/`;
  setText($("#module-next-link"), `Next module: ${next.title}`);
}

async function module() {
  const data = await get(`/api/v1/listeners/training/${encodeURIComponent(slug)}`);
  show("step-module");
  courseNavigation();
  document.title = `${data.title} · Hearth training`;
  setText($("#module-title"), data.title);
  setText($("#module-summary"), `${data.summary} · ${STATUS[data.status] || data.status}`);
  $("#module-body").replaceChildren(...data.paragraphs.map((text) => el("p", { text })));
  setText($("#quiz-hint"), `Answer every question. You pass with ${data.pass_mark}% or more.`);
  $("#quiz-questions").replaceChildren(
    ...data.questions.map((question, index) =>
      el(
        "fieldset",
        { "data-question": String(question.id), class: "question" },
        el("legend", { text: `${index + 1}. ${question.text}` }),
        ...question.options.map((option) =>
          el("label", { class: "choice" }, el("input", { type: "radio", name: `q-${question.id}`, value: String(option.id) }), " ", el("span", { text: option.text })),
        ),
        el("p", { class: "question-result", role: "status" }),
      ),
    ),
  );
  if (data.retry_after) waitToRetry(data.retry_after);
}

// Each attempt answers the questions the server drew for it; a submitted attempt used its draw up,
// so the next one starts by loading the module again (which shows the new draw).
const NEEDS_NEW_DRAW = new Set(["no_questions_drawn", "question_not_drawn"]);

function waitToRetry(seconds, { reload = false } = {}) {
  $("#quiz-submit").disabled = true;
  const minutes = Math.ceil(seconds / 60);
  setText($("#quiz-error"), `You can retake this quiz in about ${minutes} minute${minutes === 1 ? "" : "s"}. Have another read meanwhile.`);
  setTimeout(() => {
    $("#quiz-submit").disabled = false;
    setText($("#quiz-error"), "");
    if (reload) module().catch(() => setText($("#quiz-error"), "Reload the page to retake the quiz."));
  }, seconds * 1000);
}

$("#quiz-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const answers = {};
  let missing = null;
  for (const fieldset of $$("fieldset[data-question]")) {
    const chosen = fieldset.querySelector("input:checked");
    if (chosen) answers[fieldset.dataset.question] = Number(chosen.value);
    else missing = missing || fieldset;
  }
  if (missing) {
    setText($("#quiz-error"), "Answer every question before submitting.");
    missing.querySelector("input").focus();
    return;
  }
  setText($("#quiz-error"), "");
  try {
    const result = await post(`/api/v1/listeners/training/${encodeURIComponent(slug)}/attempts`, { answers });
    for (const item of result.results) {
      const line = $(`fieldset[data-question="${item.question}"] .question-result`);
      if (line) setText(line, item.correct ? `Correct.${item.explanation ? " " + item.explanation : ""}` : "Not quite.");
    }
    setText($("#result-title"), result.passed ? `Passed with ${result.score}%` : `${result.score}% — not passed yet`);
    setText(
      $("#result-detail"),
      result.passed
        ? result.trained
          ? "Well done. Your core training is complete."
          : "Well done. On to the next module."
        : `${result.wrong} ${result.wrong === 1 ? "answer was" : "answers were"} not right. The pass mark is ${result.pass_mark}%. Have another read and try again.`,
    );
    $("#quiz-result").hidden = false;
    $("#quiz-result").focus();
    announce($("#result-title").textContent);
    if (result.retry_after) waitToRetry(result.retry_after, { reload: true });
  } catch (failure) {
    if (failure.body && failure.body.retry_after) waitToRetry(failure.body.retry_after);
    else if (failure.body && NEEDS_NEW_DRAW.has(failure.body.error)) {
      await module();
      $("#quiz-result").hidden = true;
      setText($("#quiz-error"), failure.message);
    } else setText($("#quiz-error"), failure.message);
  }
});

async function init() {
  const me = await whoAmI().catch(() => null);
  if (!me || me.role !== "listener") {
    show("step-signin");
    return;
  }
  try {
    await (slug ? module() : overview());
  } catch (failure) {
    show("step-signin");
    setText($("#signin-title"), failure.status === 404 ? "That module doesn't exist" : "Something went wrong");
  }
}

init();
