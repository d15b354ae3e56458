// The help-center search page: results as the person types, the FAQ's contacts when it has no answer.
import {
  applyStrings,
  citationLink,
  contactDetails,
  el,
  getJSON,
  hasContact,
  icon,
  langBadge,
  loadHelpCenter,
  paragraphs,
  postJSON,
  preview,
  resultActions,
  sendFeedback,
  setupLanguagePicker,
  statusLine,
  t,
  topicChips,
  uniqueId,
} from "./common.js";

const DEBOUNCE_MS = 200;
const TOP_K = 5;
const BURST_GAP_MS = 10_000; // typing again after this long is a new question: a new analytics session

const input = document.getElementById("q");
const form = document.getElementById("search-form");
const status = statusLine(document.getElementById("status"));
const results = document.getElementById("results");
const browse = document.getElementById("browse");
const browseList = document.getElementById("browse-list");
const spinner = document.getElementById("spinner");
const topics = document.getElementById("topics"); // suggestions while nothing is asked; hidden with results, as the browse list

let timer = 0;
let latest = 0; // number of the newest request; an older response is dropped
let controller = null;
let shown = null; // the response on screen, re-rendered when the language changes
let documents = null;
let langs = new Map(); // document id -> language, for lang="" on the FAQ's text
const feedbackSent = new Map(); // "query|entry" -> verdict
const expanded = new Set(); // "query|entry" of opened full answers
const clicked = new Set(); // "query|entry" whose click was reported
let session = newSession(); // one burst of typing; analytics count only its last query
let lastInput = 0;

function newSession() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

input.addEventListener("input", () => {
  clearTimeout(timer);
  const now = Date.now();
  if (now - lastInput > BURST_GAP_MS && lastInput) session = newSession();
  lastInput = now;
  const question = input.value.trim();
  if (!question) {
    session = newSession();
    cancel();
    clearResults();
    return;
  }
  timer = setTimeout(() => search(question), DEBOUNCE_MS);
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(timer);
  const question = input.value.trim();
  if (question) search(question);
});

input.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && input.value) {
    input.value = "";
    cancel();
    clearResults();
  }
});

function cancel() {
  latest += 1;
  controller?.abort();
  controller = null;
  spinner.hidden = true;
}

function clearResults() {
  shown = null;
  results.replaceChildren();
  browse.hidden = !documents;
  topics.hidden = false;
  status.set(null);
}

async function search(question) {
  const id = ++latest;
  controller?.abort();
  controller = new AbortController();
  spinner.hidden = false;
  results.setAttribute("aria-busy", "true");
  try {
    const data = await postJSON("/v1/query", { question, top_k: TOP_K, surface: "search", session }, { signal: controller.signal });
    if (id !== latest) return; // a newer question was asked meanwhile
    render(data);
  } catch (err) {
    if (err.name === "AbortError" || id !== latest) return;
    shown = null;
    results.replaceChildren(el("div", { class: "notice notice-error", role: "alert", text: err.message }));
    browse.hidden = true;
    topics.hidden = true;
    status.set(null);
  } finally {
    if (id === latest) {
      spinner.hidden = true;
      results.removeAttribute("aria-busy");
    }
  }
}

function render(data) {
  shown = data;
  browse.hidden = true;
  topics.hidden = true; // Tab from the question goes straight to the results
  const q = data.corrected || data.question; // what was searched, misspelt words corrected to the FAQ's
  if (data.outcome === "related" && data.results.length) {
    status.set({ key: "related.status", params: { q } });
    results.replaceChildren(relatedArticles(data));
    return;
  }
  if (!data.answerable) {
    status.set({ key: "search.noanswer.status", params: { q } });
    results.replaceChildren(noAnswer(data));
    return;
  }
  const n = data.results.length;
  status.set({ key: n === 0 ? "search.count.0" : n === 1 ? "search.count.1" : "search.count.n", params: { q, n } });
  const list = el("ol", { class: "result-list" });
  data.results.forEach((result, i) => list.append(el("li", {}, resultCard(data, result, i === 0))));
  results.replaceChildren(list);
}

function resultCard(data, result, first) {
  const key = `${data.query_id}|${result.entry_id}`;
  const titleId = uniqueId("title");
  const fullId = uniqueId("full");
  const answer = first ? data.answer : null;
  const [short, whole] = preview(result, answer);
  const isShortAnswer = Boolean(answer && answer.entry_id === result.entry_id);

  const lang = result.lang || langs.get(result.document_id);
  const answerLang = (isShortAnswer && answer.lang) || lang;
  const summary = el("div", { class: isShortAnswer ? "answer short-answer" : "answer", lang: answerLang }, short);
  const full = el("div", { class: "answer full-answer", id: fullId, lang, hidden: true },
    paragraphs(result.passage, result.highlights));

  const card = el("article", { class: `result-card${isShortAnswer ? " is-best" : ""}`, "aria-labelledby": titleId },
    el("p", { class: "crumb", lang }, result.document, el("span", { class: "sep", "aria-hidden": "true", text: " › " }),
      el("span", { class: "visually-hidden", text: ", " }), result.section),
    el("h2", { class: "result-title", id: titleId, lang }, citationLink(result, result.question), langBadge(result.lang)),
    isShortAnswer ? el("p", { class: "badge", text: t("search.best") },
      answerLang !== lang ? langBadge(answer.lang) : null) : null,
    summary,
    full,
  );

  const actions = resultActions({ full, summary, result, whole, key, expanded });
  actions.append(feedbackBlock(data.query_id, result.entry_id, titleId, key));
  card.append(actions);
  // click-through for the team's analytics: opening the article or the full answer, reported once
  card.addEventListener("click", (event) => {
    if (clicked.has(key) || !event.target.closest("a.citation-link, button[aria-expanded]")) return;
    clicked.add(key);
    sendFeedback(data.query_id, result.entry_id, "click").catch(() => clicked.delete(key));
  });
  return card;
}

function feedbackBlock(queryId, entryId, titleId, key) {
  const questionId = uniqueId("fbq");
  const box = el("div", { class: "feedback", role: "group", "aria-labelledby": `${questionId} ${titleId}` });
  const note = el("p", { class: "feedback-note", tabindex: "-1" });
  const done = (verdict) => {
    box.replaceChildren(note);
    note.textContent = t("result.thanks");
    note.dataset.verdict = verdict;
  };
  if (feedbackSent.has(key)) {
    done(feedbackSent.get(key));
    return box;
  }
  const send = async (verdict, button) => {
    for (const b of box.querySelectorAll("button")) b.disabled = true;
    button.setAttribute("aria-pressed", "true");
    try {
      await sendFeedback(queryId, entryId, verdict);
      feedbackSent.set(key, verdict);
      done(verdict);
      note.focus();
    } catch (err) {
      for (const b of box.querySelectorAll("button")) b.disabled = false;
      button.setAttribute("aria-pressed", "false");
      error.textContent = t("result.feedback.error");
      button.focus();
    }
  };
  const yes = el("button", { type: "button", class: "chip", "aria-pressed": "false", "data-verdict": "helpful" },
    icon("thumb"), t("result.helpful"));
  const no = el("button", { type: "button", class: "chip", "aria-pressed": "false", "data-verdict": "not_helpful" },
    icon("thumb", { flip: true }), t("result.not_helpful"));
  const error = el("span", { class: "feedback-error", role: "alert" });
  yes.addEventListener("click", () => send("helpful", yes));
  no.addEventListener("click", () => send("not_helpful", no));
  box.append(el("span", { class: "feedback-q", id: questionId, text: t("result.helpful.q") }), yes, no, error);
  return box;
}

/** outcome "related": no answer claimed, the entries shown open as related articles, then the contact card. */
function relatedArticles(data) {
  const titleId = uniqueId("related");
  const list = el("ol", { class: "result-list" });
  data.results.forEach((result) => list.append(el("li", {}, resultCard(data, result, false))));
  return el("section", { class: "related-articles", "aria-labelledby": titleId, "data-outcome": "related" },
    el("h2", { id: titleId, class: "related-heading", text: t("related.title") }),
    list,
    el("div", { class: "no-answer related-contact" },
      el("div", { class: "no-answer-body" },
        el("p", { text: t(hasContact() ? "related.text" : "related.text.nocontact") }),
        contactDetails())));
}

function noAnswer(data) {
  const titleId = uniqueId("noanswer");
  const box = el("section", { class: "no-answer", "aria-labelledby": titleId },
    el("div", { class: "no-answer-icon", "aria-hidden": "true", text: "?" }),
    el("div", { class: "no-answer-body" },
      el("h2", { id: titleId, text: t("noanswer.title") }),
      el("p", { class: "asked", text: t("noanswer.asked", { q: data.question }) }),
      el("p", { text: t(hasContact() ? "noanswer.text" : "noanswer.text.nocontact") }),
      contactDetails()),
  );
  if (!data.results.length) return el("div", { "data-outcome": "none" }, box);
  const related = el("details", { class: "related" },
    el("summary", { text: t("noanswer.related", { n: data.results.length }) }),
    el("ul", {}, data.results.map((r) => {
      const [text] = preview(r, null, 180);
      return el("li", { lang: r.lang || langs.get(r.document_id) },
        el("p", { class: "crumb" }, r.document, el("span", { class: "sep", "aria-hidden": "true", text: " › " }), r.section),
        el("h3", { class: "related-title" }, citationLink(r, r.question), langBadge(r.lang)),
        el("p", { class: "answer" }, text));
    })),
  );
  return el("div", { "data-outcome": "none" }, box, related);
}

async function loadBrowse() {
  try {
    documents = (await getJSON("/v1/documents")).documents;
    langs = new Map(documents.map((d) => [d.id, d.lang]));
  } catch {
    documents = null;
    return;
  }
  renderBrowse();
  if (!shown && !input.value.trim()) browse.hidden = false;
}

function renderBrowse() {
  if (!documents) return;
  const cards = [];
  for (const doc of documents) {
    for (const section of doc.sections) {
      const headingId = uniqueId("section");
      cards.push(el("section", { class: "topic", "aria-labelledby": headingId, lang: doc.lang },
        el("h3", { id: headingId, text: section.title }),
        el("ul", {}, section.questions.map((q) => el("li", {},
          el("button", {
            type: "button", class: "link-button topic-question", text: q.question, lang: doc.lang,
            onclick: () => {
              input.value = q.question;
              input.focus();
              clearTimeout(timer);
              search(q.question);
            },
          }))))));
    }
  }
  browseList.replaceChildren(...cards);
}

function renderTopics() {
  const pick = (topic) => {
    input.value = topic;
    input.focus();
    clearTimeout(timer);
    search(topic);
  };
  topics.replaceChildren(...[topicChips(pick)].filter(Boolean));
}

// The listeners above are in place before this wait, so nothing typed meanwhile is lost; what was
// drawn meanwhile is drawn again with the help center's name, contacts and language.
await loadHelpCenter();
setupLanguagePicker(document.getElementById("lang-picker"), () => {
  renderBrowse();
  renderTopics();
  if (shown) render(shown);
  status.say();
});
if (shown) render(shown);
renderTopics();
loadBrowse();
const initial = new URLSearchParams(location.search).get("q");
if (initial) {
  input.value = initial;
  search(initial.trim());
}
