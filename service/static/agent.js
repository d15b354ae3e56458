// The agent's suggestion panel: a customer's whole message in, suggested FAQ answers per question out.
import {
  applyStrings,
  citationLink,
  copyText,
  getJSON,
  documentLanguages,
  el,
  format,
  getHelpCenter,
  getLang,
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
  uniqueId,
} from "./common.js";

const TOP_K = 3;
const STRONG = 0.75; // confidence from which a suggestion is a strong match; the decision (answerable) sets its own threshold

// The panel's own strings (issue 18), used until common.js's STRINGS has them: t() wins when it knows the key.
const PANEL_STRINGS = {
  fr: {
    "agent.noquestion": "Aucune question trouvée dans ce message",
    "agent.noquestion.hint": "Il ne contient que des remerciements, des salutations ou une signature : rien à répondre.",
    "agent.strength.strong": "Correspondance forte",
    "agent.strength.medium": "Correspondance moyenne",
    "agent.strength.weak": "Peut-être lié",
    "agent.strength.none": "Hors FAQ",
    "agent.copy.short.label": "Copier la réponse courte « {q} »",
    "agent.copy.full": "Copier tout",
    "agent.copy.full.label": "Copier la réponse complète « {q} »",
    "agent.signin.hint": "Pour marquer une réponse utilisée, connectez-vous avec le jeton agent (FAQ_AGENT_TOKEN).",
    "agent.signin.token": "Jeton agent",
    "agent.signin.submit": "Se connecter",
    "agent.signin.invalid": "Ce jeton n'est pas valide.",
    "agent.signin.off": "Marquer une réponse utilisée est désactivé : le service a besoin de FAQ_ADMIN_TOKEN et FAQ_AGENT_TOKEN.",
  },
  en: {
    "agent.noquestion": "No question found in this message",
    "agent.noquestion.hint": "It only has thanks, greetings or a signature: nothing to answer.",
    "agent.strength.strong": "Strong match",
    "agent.strength.medium": "Medium match",
    "agent.strength.weak": "Possibly related",
    "agent.strength.none": "Not in the FAQ",
    "agent.copy.short.label": "Copy the short answer “{q}”",
    "agent.copy.full": "Copy all",
    "agent.copy.full.label": "Copy the full answer “{q}”",
    "agent.signin.hint": "To mark an answer used, sign in with the agent token (FAQ_AGENT_TOKEN).",
    "agent.signin.token": "Agent token",
    "agent.signin.submit": "Sign in",
    "agent.signin.invalid": "This token is not valid.",
    "agent.signin.off": "Marking answers used is off: the service needs FAQ_ADMIN_TOKEN and FAQ_AGENT_TOKEN set.",
  },
  ar: {
    "agent.noquestion": "لم يُعثر على أي سؤال في هذه الرسالة",
    "agent.noquestion.hint": "لا تحتوي إلا على شكر أو تحيات أو توقيع: لا شيء يستدعي الرد.",
    "agent.strength.strong": "تطابق قوي",
    "agent.strength.medium": "تطابق متوسط",
    "agent.strength.weak": "قد يكون ذا صلة",
    "agent.strength.none": "خارج الأسئلة الشائعة",
    "agent.copy.short.label": "نسخ الإجابة المختصرة «{q}»",
    "agent.copy.full": "نسخ الكل",
    "agent.copy.full.label": "نسخ الإجابة الكاملة «{q}»",
    "agent.signin.hint": "لتعليم إجابة بأنها استُخدمت، سجّل الدخول برمز الموظف (FAQ_AGENT_TOKEN).",
    "agent.signin.token": "رمز الموظف",
    "agent.signin.submit": "تسجيل الدخول",
    "agent.signin.invalid": "هذا الرمز غير صالح.",
    "agent.signin.off": "تعليم الإجابات بأنها استُخدمت معطّل: تحتاج الخدمة إلى ضبط FAQ_ADMIN_TOKEN وFAQ_AGENT_TOKEN.",
  },
};

function tx(key, params = {}) {
  const known = t(key, params);
  if (known !== key) return known;
  return format(PANEL_STRINGS[getLang()]?.[key] ?? PANEL_STRINGS.en[key] ?? key, params);
}

/** "strong" (≥ 0.75), "medium" (answerable, from the threshold), "weak" (outcome related: possibly related only),
 * or "none" (outcome none: nothing in the FAQ is relevant). */
function strength(suggestion) {
  if (suggestion.outcome === "none") return "none";
  if (!suggestion.answerable) return "weak";
  return suggestion.confidence >= STRONG ? "strong" : "medium";
}

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
  const n = data.suggestions.length;
  if (data.no_question || !n) {
    groups.replaceChildren(el("div", { class: "no-question notice" },
      el("p", { class: "no-question-title", text: tx("agent.noquestion") }),
      el("p", { class: "hint", text: tx("agent.noquestion.hint") })));
    status.set({ text: tx("agent.noquestion") });
    return;
  }
  groups.replaceChildren(...data.suggestions.map((s, i) => group(s, i + 1)));
  status.set({ key: n === 1 ? "agent.count.1" : "agent.count.n", params: { n } });
}

function group(suggestion, index) {
  const headingId = uniqueId("group");
  const level = strength(suggestion);
  const section = el("section", { class: `group strength-${level}`, "aria-labelledby": headingId, "data-strength": level },
    el("header", { class: "group-head" },
      el("h2", { id: headingId, text: t("agent.question", { i: index }) }),
      el("span", { class: "strength-badges" },
        el("span", { class: `strength-label strength-${level}`, text: tx(`agent.strength.${level}`) }),
        el("span", {
          class: `confidence ${suggestion.answerable ? "ok" : "low"}`,
          text: t("agent.confidence", { p: Math.round(suggestion.confidence * 100) }),
        }))),
    el("blockquote", { class: "detected", dir: "auto", text: suggestion.question }),
    // misspelt words were searched as the FAQ spells them (index.ranking.spelling): the agent sees what was looked up
    suggestion.corrected ? el("p", { class: "searched", dir: "auto", text: t("agent.searched", { q: suggestion.corrected }) }) : null,
  );
  if (!suggestion.answerable) {
    const none = suggestion.outcome === "none";
    section.append(el("p", { class: `notice notice-warn${none ? " outcome-none" : ""}`, text: t(none ? "agent.none" : "agent.noanswer") }));
  }
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
  const copies = answer && !whole
    ? [copyButton(answer.text, tx("agent.copy.short.label", { q: result.question }), t("agent.copy"), "copy copy-short"),
      copyButton(result.passage, tx("agent.copy.full.label", { q: result.question }), tx("agent.copy.full"), "copy-full")]
    : [copyButton(result.passage, t("agent.copy.label", { q: result.question }), t("agent.copy"), "copy")];
  actions.append(...copies, verdictButtons(suggestion.query_id, result.entry_id, titleId, key));
  article.append(actions);
  return article;
}

/** A button copying `text` (the short answer, or the whole passage), saying "Copied" on it and to screen readers. */
function copyButton(text, ariaLabel, idle, classes) {
  const label = el("span", { text: idle });
  const button = el("button", { type: "button", class: `secondary ${classes}`, "aria-label": ariaLabel },
    el("span", { class: "copy-icon", "aria-hidden": "true" }), label);
  let reset = 0;
  button.addEventListener("click", async () => {
    const ok = await copyText(text);
    clearTimeout(reset);
    label.textContent = t(ok ? "agent.copied" : "agent.copy.failed");
    button.classList.toggle("is-done", ok);
    announce.textContent = label.textContent;
    reset = setTimeout(() => {
      label.textContent = idle;
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
    if (verdict === "used" && !(await agentSignedIn(note, () => send("used")))) return;
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
      if (err.status === 401 && verdict === "used") signedInAs = null; // signed out meanwhile: ask again next time
      note.textContent = err.message;
      note.classList.add("is-error");
    }
  };
  used.addEventListener("click", () => send("used"));
  notRelevant.addEventListener("click", () => send("not_relevant"));
  return box;
}

let signedInAs = null; // the session's role once known to be signed in

/** True when this browser has an agent (or admin) session; otherwise shows, in `note`, the sign-in form (which calls
 * `retry` once signed in) or why marking answers used is off. Asked before sending: a refused request would be noise. */
async function agentSignedIn(note, retry) {
  if (signedInAs) return true;
  note.classList.remove("is-error");
  let state;
  try {
    state = await getJSON("/v1/admin/session");
  } catch (err) {
    note.textContent = err.message;
    note.classList.add("is-error");
    return false;
  }
  if (state.signed_in) {
    signedInAs = state.role;
    return true;
  }
  if (!state.enabled) note.textContent = tx("agent.signin.off");
  else note.replaceChildren(signInForm(retry));
  return false;
}

/** `used` proposes the customer's question to the team as a phrasing, so only a signed-in agent may send it: the
 * token is POSTed once for an HttpOnly session cookie (as on the team pages), then `retry` sends the verdict. */
function signInForm(retry) {
  const input = el("input", { type: "password", autocomplete: "current-password", required: true, spellcheck: "false",
    "aria-label": tx("agent.signin.token") });
  const error = el("span", { class: "status status-error", role: "alert" });
  const signIn = el("form", { class: "agent-signin" },
    el("span", { class: "hint", text: tx("agent.signin.hint") }), input,
    el("button", { type: "submit", class: "chip", text: tx("agent.signin.submit") }), error);
  signIn.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!input.value) return;
    try {
      await postJSON("/v1/admin/session", { token: input.value });
    } catch (err) {
      error.textContent = err.status === 403 ? tx("agent.signin.invalid") : err.message;
      input.select();
      return;
    }
    input.value = "";
    signIn.remove();
    signedInAs = "agent";
    retry();
  });
  queueMicrotask(() => input.focus());
  return signIn;
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
setupLanguagePicker(document.getElementById("lang-picker"), () => {
  renderTopics();
  if (shown) render(shown);
  status.say();
  submit.textContent = t(submit.disabled ? "agent.busy" : "agent.submit");
});

if (shown) render(shown);
renderTopics();
documentLanguages().then((found) => { langs = found; });
