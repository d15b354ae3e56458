// The agent's suggestion panel: a customer's whole message in, suggested FAQ answers per question out.
import {
  applyStrings,
  citationLink,
  copyText,
  documentLanguages,
  el,
  getHelpCenter,
  langBadge,
  loadHelpCenter,
  paragraphs,
  postJSON,
  preview,
  resultActions,
  sendFeedback,
  setupLanguageSwitch,
  statusLine,
  t,
  uniqueId,
} from "./common.js";

const TOP_K = 3;

const form = document.getElementById("agent-form");
const message = document.getElementById("message");
const submit = document.getElementById("suggest");
const status = statusLine(document.getElementById("status"));
const groups = document.getElementById("groups");
const announce = document.getElementById("announce");

let latest = 0;
let controller = null;
let shown = null;
let langs = new Map(); // document id -> language, for lang="" on the FAQ's text
const feedbackSent = new Map(); // "query|entry" -> verdict
const expanded = new Set();

form.addEventListener("submit", (event) => {
  event.preventDefault();
  suggest();
});

message.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    suggest();
  }
});

async function suggest() {
  const text = message.value;
  if (!text.trim()) {
    status.set({ key: "agent.empty", params: {}, error: true });
    message.focus();
    return;
  }
  const id = ++latest;
  controller?.abort();
  controller = new AbortController();
  submit.disabled = true;
  submit.textContent = t("agent.busy");
  groups.setAttribute("aria-busy", "true");
  try {
    const data = await postJSON("/v1/suggest", { message: text, top_k: TOP_K }, { signal: controller.signal });
    if (id !== latest) return;
    render(data);
    const n = data.suggestions.length;
    status.set({ key: n === 1 ? "agent.count.1" : "agent.count.n", params: { n } });
  } catch (err) {
    if (err.name === "AbortError" || id !== latest) return;
    status.set({ text: err.message, error: true }); // already a full sentence in the language of the moment
  } finally {
    if (id === latest) {
      submit.disabled = false;
      submit.textContent = t("agent.submit");
      groups.removeAttribute("aria-busy");
    }
  }
}

function render(data) {
  shown = data;
  groups.replaceChildren(...data.suggestions.map((s, i) => group(s, i + 1)));
}

function group(suggestion, index) {
  const headingId = uniqueId("group");
  const section = el("section", { class: "group", "aria-labelledby": headingId },
    el("header", { class: "group-head" },
      el("h2", { id: headingId, text: t("agent.question", { i: index }) }),
      el("span", {
        class: `confidence ${suggestion.answerable ? "ok" : "low"}`,
        text: t("agent.confidence", { p: Math.round(suggestion.confidence * 100) }),
      })),
    el("blockquote", { class: "detected", text: suggestion.question }),
  );
  if (!suggestion.answerable) section.append(el("p", { class: "notice notice-warn", text: t("agent.noanswer") }));
  const list = el("ol", { class: "suggestion-list" });
  suggestion.results.forEach((result, i) => list.append(el("li", {}, card(suggestion, result, i === 0))));
  section.append(list);
  return section;
}

function card(suggestion, result, first) {
  const key = `${suggestion.query_id}|${result.entry_id}`;
  const titleId = uniqueId("title");
  const fullId = uniqueId("full");
  const answer = first && suggestion.answer?.entry_id === result.entry_id ? suggestion.answer : null;
  const [short, whole] = preview(result, answer);
  const lang = result.lang || langs.get(result.document_id);
  const answerLang = answer?.lang || lang;
  const summary = el("div", { class: "answer", lang: answerLang }, answerLang !== lang ? langBadge(answer.lang) : null, short);
  const full = el("div", { class: "answer full-answer", id: fullId, lang, hidden: true }, paragraphs(result.passage, result.highlights));
  const article = el("article", { class: "result-card compact", "aria-labelledby": titleId },
    el("p", { class: "crumb", lang }, result.document, el("span", { class: "sep", "aria-hidden": "true", text: " › " }),
      el("span", { class: "visually-hidden", text: ", " }), result.section),
    el("h3", { class: "result-title", id: titleId, lang }, citationLink(result, result.question), langBadge(result.lang)),
    summary, full);

  const actions = resultActions({ full, summary, result, whole, key, expanded });
  actions.append(copyButton(result), verdictButtons(suggestion.query_id, result.entry_id, titleId, key));
  article.append(actions);
  return article;
}

function copyButton(result) {
  const label = el("span", { text: t("agent.copy") });
  const button = el("button", {
    type: "button", class: "secondary copy", "aria-label": t("agent.copy.label", { q: result.question }),
  }, el("span", { class: "copy-icon", "aria-hidden": "true" }), label);
  let reset = 0;
  button.addEventListener("click", async () => {
    const ok = await copyText(result.passage);
    clearTimeout(reset);
    label.textContent = t(ok ? "agent.copied" : "agent.copy.failed");
    button.classList.toggle("is-done", ok);
    announce.textContent = label.textContent;
    reset = setTimeout(() => {
      label.textContent = t("agent.copy");
      button.classList.remove("is-done");
      announce.textContent = "";
    }, 2500);
  });
  return button;
}

function verdictButtons(queryId, entryId, titleId, key) {
  const box = el("div", { class: "verdicts", role: "group", "aria-labelledby": titleId });
  const used = el("button", { type: "button", class: "chip chip-used", "aria-pressed": "false", "data-verdict": "used", text: t("agent.used") });
  const notRelevant = el("button", {
    type: "button", class: "chip chip-not-relevant", "aria-pressed": "false", "data-verdict": "not_relevant", text: t("agent.not_relevant"),
  });
  const note = el("span", { class: "verdict-note", tabindex: "-1" });
  box.append(used, notRelevant, note);

  const recorded = (verdict) => {
    used.disabled = true;
    notRelevant.disabled = true;
    (verdict === "used" ? used : notRelevant).setAttribute("aria-pressed", "true");
    box.dataset.recorded = verdict;
    note.textContent = t(`agent.recorded.${verdict}`);
    note.classList.remove("is-error");
  };
  if (feedbackSent.has(key)) {
    recorded(feedbackSent.get(key));
    return box;
  }
  const send = async (verdict) => {
    used.disabled = true;
    notRelevant.disabled = true;
    try {
      await sendFeedback(queryId, entryId, verdict);
      feedbackSent.set(key, verdict);
      recorded(verdict);
      note.focus(); // the pressed button is now disabled; keep keyboard focus next to it
    } catch (err) {
      used.disabled = false;
      notRelevant.disabled = false;
      note.textContent = err.message;
      note.classList.add("is-error");
    }
  };
  used.addEventListener("click", () => send("used"));
  notRelevant.addEventListener("click", () => send("not_relevant"));
  return box;
}

/** The help center's topics, as examples of what the FAQ covers (plain text: agents paste messages, not topics). */
function renderTopics() {
  const topics = (getHelpCenter().topics ?? []).filter((x) => typeof x === "string" && x);
  document.getElementById("topics").replaceChildren(...(topics.length
    ? [el("p", { class: "hint topics-line" }, el("span", { class: "topics-label", text: t("topics.label") }), ` ${topics.join(" · ")}`)]
    : []));
}

// The form works before this wait (nothing typed is lost); what was drawn meanwhile is drawn again.
await loadHelpCenter();
setupLanguageSwitch(document.getElementById("lang-switch"), () => {
  renderTopics();
  if (shown) render(shown);
  status.say();
  submit.textContent = t(submit.disabled ? "agent.busy" : "agent.submit");
});

if (shown) render(shown);
renderTopics();
documentLanguages().then((found) => { langs = found; });
