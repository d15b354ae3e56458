// Shared helpers of the search page and the agent panel: UI strings, JSON calls, safe highlight rendering,
// and the help center's own name, contacts and topics (GET /v1/helpcenter, from the corpus's helpcenter.json).
// Corpus text and what people type are only ever put into the page with textContent / text nodes.

/** Until /v1/helpcenter answers (or when it cannot): neutral, with no contact details invented. */
let helpcenter = { name: "Help center", tagline: null, contact: {}, topics: [], default_language: "en" };

const STRINGS = {
  fr: {
    "lang.picker": "Langue",
    "nav.agent": "Espace conseiller",
    "nav.search": "Centre d'aide",
    "skip": "Aller au contenu",
    "footer.contact": "Service client",
    "lang.badge": "Rédigé en {lang}",
    "topics.label": "Sujets fréquents :",

    "search.title": "Comment pouvons-nous vous aider ?",
    "search.intro": "Posez votre question avec vos propres mots.",
    "search.label": "Votre question",
    "search.placeholder": "Tapez votre question…",
    "search.hint": "Les résultats s'affichent pendant que vous tapez.",
    "search.browse": "Questions fréquentes",
    "search.searching": "Recherche en cours…",
    "search.count.0": "Aucun résultat pour « {q} »",
    "search.count.1": "1 résultat pour « {q} »",
    "search.count.n": "{n} résultats pour « {q} »",
    "search.noanswer.status": "Aucune réponse trouvée pour « {q} »",
    "search.cleared": "Recherche effacée",
    "search.best": "Meilleure réponse",

    "result.expand": "Voir la réponse complète",
    "result.collapse": "Masquer la réponse complète",
    "result.helpful.q": "Cette réponse vous a-t-elle aidé ?",
    "result.helpful": "Oui",
    "result.not_helpful": "Non",
    "result.thanks": "Merci pour votre retour.",
    "result.feedback.error": "Votre retour n'a pas pu être enregistré.",

    "noanswer.title": "Nous n'avons pas trouvé de réponse à votre question",
    "noanswer.text": "Notre FAQ ne couvre pas ce sujet. Notre service client se fera un plaisir de vous aider :",
    "noanswer.text.nocontact": "Notre FAQ ne couvre pas ce sujet. Contactez directement l'entreprise : elle se fera un plaisir de vous aider.",
    "noanswer.web": "Contact",
    "noanswer.email": "E-mail",
    "noanswer.phone": "Téléphone",
    "noanswer.hours": "Horaires",
    "noanswer.related": "Sujets peut-être liés ({n})",
    "related.status": "Pas de réponse sûre pour « {q} » : articles liés",
    "related.title": "Pas de réponse sûre, mais ces articles peuvent vous aider",
    "related.text": "Si aucun ne répond à votre question, notre service client se fera un plaisir de vous aider :",
    "related.text.nocontact": "Si aucun ne répond à votre question, contactez directement l'entreprise.",
    "noanswer.asked": "Votre question : « {q} »",

    "error.generic": "Une erreur est survenue : {m}",
    "error.network": "Le service est injoignable. Vérifiez votre connexion puis réessayez.",
    "error.notready": "Le service démarre ; réessayez dans quelques secondes.",

    "agent.title": "Suggestions de réponses",
    "agent.intro": "Collez le message complet du client : chaque question détectée reçoit ses réponses de la FAQ.",
    "agent.label": "Message du client",
    "agent.placeholder": "Bonjour, j'ai une question au sujet de…",
    "agent.hint": "Ctrl + Entrée pour lancer la recherche.",
    "agent.submit": "Suggérer des réponses",
    "agent.busy": "Analyse du message…",
    "agent.empty": "Collez d'abord le message du client.",
    "agent.count.1": "1 question détectée",
    "agent.count.n": "{n} questions détectées",
    "agent.question": "Question {i}",
    "agent.searched": "Recherché avec l'orthographe de la FAQ : « {q} »",
    "agent.noanswer": "Pas de réponse fiable dans la FAQ : vérifiez avant d'utiliser ces suggestions.",
    "agent.none": "La FAQ ne couvre pas cette question : rien de pertinent trouvé.",
    "agent.confidence": "Confiance {p} %",
    "agent.copy": "Copier",
    "agent.copy.label": "Copier la réponse « {q} »",
    "agent.copied": "Copié",
    "agent.copy.failed": "Copie impossible",
    "agent.used": "Utilisée",
    "agent.not_relevant": "Non pertinente",
    "agent.recorded.used": "Enregistré : réponse utilisée",
    "agent.recorded.not_relevant": "Enregistré : non pertinente",
    "agent.placeholder.results": "Les suggestions apparaîtront ici.",
  },
  en: {
    "lang.picker": "Language",
    "nav.agent": "Agent panel",
    "nav.search": "Help center",
    "skip": "Skip to content",
    "footer.contact": "Customer service",
    "lang.badge": "Written in {lang}",
    "topics.label": "Popular topics:",

    "search.title": "How can we help you?",
    "search.intro": "Ask your question in your own words.",
    "search.label": "Your question",
    "search.placeholder": "Type your question…",
    "search.hint": "Results appear as you type.",
    "search.browse": "Frequently asked questions",
    "search.searching": "Searching…",
    "search.count.0": "No results for “{q}”",
    "search.count.1": "1 result for “{q}”",
    "search.count.n": "{n} results for “{q}”",
    "search.noanswer.status": "No answer found for “{q}”",
    "search.cleared": "Search cleared",
    "search.best": "Best answer",

    "result.expand": "Show the full answer",
    "result.collapse": "Hide the full answer",
    "result.helpful.q": "Was this answer helpful?",
    "result.helpful": "Yes",
    "result.not_helpful": "No",
    "result.thanks": "Thank you for your feedback.",
    "result.feedback.error": "Your feedback could not be recorded.",

    "noanswer.title": "We did not find an answer to your question",
    "noanswer.text": "Our FAQ does not cover this topic. Our customer service will be happy to help:",
    "noanswer.text.nocontact": "Our FAQ does not cover this topic. Please contact the company directly: they will be happy to help.",
    "noanswer.web": "Contact",
    "noanswer.email": "Email",
    "noanswer.phone": "Phone",
    "noanswer.hours": "Hours",
    "noanswer.related": "Possibly related topics ({n})",
    "related.status": "No sure answer for “{q}”: related articles",
    "related.title": "No sure answer, but these articles may help",
    "related.text": "If none of them answers your question, our customer service will be happy to help:",
    "related.text.nocontact": "If none of them answers your question, please contact the company directly.",
    "noanswer.asked": "Your question: “{q}”",

    "error.generic": "Something went wrong: {m}",
    "error.network": "The service cannot be reached. Check your connection and try again.",
    "error.notready": "The service is starting; try again in a few seconds.",

    "agent.title": "Answer suggestions",
    "agent.intro": "Paste the customer's whole message: each question found in it gets answers from the FAQ.",
    "agent.label": "Customer message",
    "agent.placeholder": "Hello, I have a question about…",
    "agent.hint": "Ctrl + Enter to search.",
    "agent.submit": "Suggest answers",
    "agent.busy": "Reading the message…",
    "agent.empty": "Paste the customer's message first.",
    "agent.count.1": "1 question found",
    "agent.count.n": "{n} questions found",
    "agent.question": "Question {i}",
    "agent.searched": "Searched as the FAQ spells it: “{q}”",
    "agent.noanswer": "No reliable answer in the FAQ: check before using these suggestions.",
    "agent.none": "The FAQ does not cover this question: nothing relevant found.",
    "agent.confidence": "Confidence {p}%",
    "agent.copy": "Copy",
    "agent.copy.label": "Copy the answer “{q}”",
    "agent.copied": "Copied",
    "agent.copy.failed": "Copy failed",
    "agent.used": "Used",
    "agent.not_relevant": "Not relevant",
    "agent.recorded.used": "Recorded: answer used",
    "agent.recorded.not_relevant": "Recorded: not relevant",
    "agent.placeholder.results": "Suggestions will appear here.",
  },
  ar: {
    "lang.picker": "اللغة",
    "nav.agent": "لوحة موظف الدعم",
    "nav.search": "مركز المساعدة",
    "skip": "الانتقال إلى المحتوى",
    "footer.contact": "خدمة العملاء",
    "lang.badge": "مكتوب باللغة {lang}",
    "topics.label": "مواضيع شائعة:",

    "search.title": "كيف يمكننا مساعدتك؟",
    "search.intro": "اطرح سؤالك بكلماتك الخاصة.",
    "search.label": "سؤالك",
    "search.placeholder": "اكتب سؤالك…",
    "search.hint": "تظهر النتائج أثناء الكتابة.",
    "search.browse": "الأسئلة الشائعة",
    "search.searching": "جارٍ البحث…",
    "search.count.0": "لا توجد نتائج عن «{q}»",
    "search.count.1": "نتيجة واحدة عن «{q}»",
    "search.count.n": "عدد النتائج عن «{q}»: {n}",
    "search.noanswer.status": "لم نعثر على إجابة عن «{q}»",
    "search.cleared": "تم مسح البحث",
    "search.best": "أفضل إجابة",

    "result.expand": "عرض الإجابة كاملة",
    "result.collapse": "إخفاء الإجابة الكاملة",
    "result.helpful.q": "هل كانت هذه الإجابة مفيدة؟",
    "result.helpful": "نعم",
    "result.not_helpful": "لا",
    "result.thanks": "شكرًا على ملاحظاتك.",
    "result.feedback.error": "تعذّر تسجيل ملاحظاتك.",

    "noanswer.title": "لم نعثر على إجابة عن سؤالك",
    "noanswer.text": "لا تتناول الأسئلة الشائعة لدينا هذا الموضوع. يسعد فريق خدمة العملاء مساعدتك:",
    "noanswer.text.nocontact": "لا تتناول الأسئلة الشائعة لدينا هذا الموضوع. يُرجى التواصل مع الشركة مباشرةً، وسيسعدها مساعدتك.",
    "noanswer.web": "التواصل",
    "noanswer.email": "البريد الإلكتروني",
    "noanswer.phone": "الهاتف",
    "noanswer.hours": "ساعات العمل",
    "noanswer.related": "مواضيع قد تكون ذات صلة ({n})",
    "related.status": "لا توجد إجابة مؤكدة عن «{q}»: مقالات ذات صلة",
    "related.title": "لا توجد إجابة مؤكدة، لكن هذه المقالات قد تساعدك",
    "related.text": "إن لم يُجب أيٌّ منها عن سؤالك، فسيسعد فريق خدمة العملاء مساعدتك:",
    "related.text.nocontact": "إن لم يُجب أيٌّ منها عن سؤالك، فيُرجى التواصل مع الشركة مباشرةً.",
    "noanswer.asked": "سؤالك: «{q}»",

    "error.generic": "حدث خطأ: {m}",
    "error.network": "تعذّر الوصول إلى الخدمة. تحقّق من اتصالك ثم أعد المحاولة.",
    "error.notready": "الخدمة قيد التشغيل؛ أعد المحاولة بعد بضع ثوانٍ.",

    "agent.title": "اقتراحات الإجابات",
    "agent.intro": "الصق رسالة العميل كاملةً: يحصل كل سؤال يُكتشف فيها على إجابات من الأسئلة الشائعة.",
    "agent.label": "رسالة العميل",
    "agent.placeholder": "مرحبًا، لديّ سؤال بخصوص…",
    "agent.hint": "اضغط Ctrl + Enter لبدء البحث.",
    "agent.submit": "اقترح إجابات",
    "agent.busy": "جارٍ تحليل الرسالة…",
    "agent.empty": "الصق رسالة العميل أولًا.",
    "agent.count.1": "تم اكتشاف سؤال واحد",
    "agent.count.n": "عدد الأسئلة المكتشفة: {n}",
    "agent.question": "السؤال {i}",
    "agent.searched": "تم البحث بإملاء الأسئلة الشائعة: «{q}»",
    "agent.noanswer": "لا توجد إجابة موثوقة في الأسئلة الشائعة: تحقّق منها قبل استخدام هذه الاقتراحات.",
    "agent.none": "لا تتناول الأسئلة الشائعة هذا السؤال: لم يُعثر على شيء ذي صلة.",
    "agent.confidence": "الثقة {p}٪",
    "agent.copy": "نسخ",
    "agent.copy.label": "نسخ الإجابة «{q}»",
    "agent.copied": "تم النسخ",
    "agent.copy.failed": "تعذّر النسخ",
    "agent.used": "استُخدمت",
    "agent.not_relevant": "غير ذات صلة",
    "agent.recorded.used": "تم التسجيل: استُخدمت الإجابة",
    "agent.recorded.not_relevant": "تم التسجيل: غير ذات صلة",
    "agent.placeholder.results": "ستظهر الاقتراحات هنا.",
  },
};

/** The UI languages in the picker, each named in its own language. */
const LANGUAGE_NAMES = { fr: "Français", en: "English", ar: "العربية" };

const LANG_KEY = "faq.lang";
let lang = readLang();

/** The person's saved choice, else the browser's language when the pages translate it, else the help center's. */
function readLang() {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved in STRINGS) return saved;
  } catch { /* storage disabled */ }
  for (const tag of navigator.languages ?? [navigator.language]) {
    const code = String(tag || "").slice(0, 2).toLowerCase();
    if (code in STRINGS) return code;
  }
  return helpcenter.default_language in STRINGS ? helpcenter.default_language : "en";
}

export function getLang() {
  return lang;
}

/**
 * Fetch the help center's name, contacts and topics once, before the page renders; the neutral
 * defaults stay when the service cannot say. The UI language is then picked again, since the help
 * center's default applies when the browser's language is not one the pages translate.
 */
export async function loadHelpCenter() {
  try {
    const data = await getJSON("/v1/helpcenter");
    if (data && typeof data.name === "string") helpcenter = { ...helpcenter, ...data, contact: data.contact ?? {} };
  } catch { /* neutral defaults */ }
  lang = readLang();
  return helpcenter;
}

export function getHelpCenter() {
  return helpcenter;
}

/** A help-center text given once or per language ({"fr": …, "en": …}), in the UI language if it has it. */
export function localized(value) {
  if (!value) return "";
  if (typeof value === "string") return value;
  return value[lang] ?? value[helpcenter.default_language] ?? Object.values(value)[0] ?? "";
}

// Languages written right to left (ISO 639: Arabic, Hebrew, Persian, Urdu, Yiddish, Pashto, Sindhi, Uyghur,
// Central Kurdish, Dhivehi; "iw" is Hebrew's old code).
const RTL_LANGS = new Set(["ar", "he", "iw", "fa", "ur", "yi", "ps", "sd", "ug", "ckb", "dv"]);
// a strong right-to-left character: Hebrew, Arabic, Syriac, Thaana, N'Ko… and their presentation forms
const RTL_CHAR = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]|[\u{10800}-\u{10fff}\u{1e800}-\u{1efff}]/u;
const LETTER = /\p{L}/u;

/** "rtl" for a language written right to left ("ar", "fa-IR"), else "ltr". */
export function dirOf(code) {
  return typeof code === "string" && RTL_LANGS.has(code.split(/[-_]/)[0].toLowerCase()) ? "rtl" : "ltr";
}

/** The UI string `key` in the current language, with `{name}` placeholders filled from `params` as plain text.
 * A parameter with right-to-left letters (an Arabic question in a French sentence) is isolated (U+2068 … U+2069),
 * so its own direction cannot reorder the sentence around it. */
export function t(key, params = {}) {
  if (key === "brand") return helpcenter.name;
  return format(STRINGS[lang][key] ?? STRINGS.en[key] ?? key, params);
}

/** `template`'s `{name}` placeholders filled from `params` as plain text, isolated (U+2068 … U+2069) when the value could
 * reorder the sentence: right-to-left letters in a left-to-right UI, and any letters in a right-to-left UI (a French
 * question in an Arabic sentence). */
export function format(template, params = {}) {
  const rtlUi = dirOf(lang) === "rtl";
  const fill = (value) => ((rtlUi ? LETTER.test(value) : RTL_CHAR.test(value)) ? `\u2068${value}\u2069` : value);
  return template.replace(/\{(\w+)\}/g, (_, name) => (name in params ? fill(String(params[name])) : `{${name}}`));
}

/**
 * A status line that can say itself again in the other language: `set({ key, params })` for a UI
 * string, `set({ text })` for a sentence already made, `error: true` to mark it, `set(null)` to clear.
 * Parameters are filled as plain text (textContent), so a question typed by a customer stays text.
 */
export function statusLine(element) {
  let state = null;
  const say = () => {
    element.textContent = !state ? "" : state.text ?? t(state.key, state.params);
    element.classList.toggle("status-error", Boolean(state?.error));
  };
  return {
    set(next) {
      state = next;
      say();
    },
    say,
  };
}

/** Fill every [data-i18n] (textContent), [data-i18n-placeholder], [data-i18n-aria-label] under root. */
export function applyStrings(root = document) {
  document.documentElement.lang = lang;
  document.documentElement.dir = dirOf(lang);
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll("[data-i18n-aria-label]")) el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
  const title = document.querySelector("title[data-i18n-title]");
  if (title) document.title = `${t(title.dataset.i18nTitle)} · ${t("brand")}`;
  for (const mark of root.querySelectorAll(".brand-mark")) mark.textContent = Array.from(helpcenter.name.trim())[0]?.toUpperCase() ?? "";
  const tagline = localized(helpcenter.tagline);
  if (tagline) for (const intro of root.querySelectorAll("[data-i18n='search.intro']")) intro.textContent = tagline;
  const description = document.querySelector("meta[name='description']");
  if (description) description.content = tagline || `${helpcenter.name} — ${t("search.browse")}`;
  const footer = document.getElementById("footer");
  if (footer) footer.replaceChildren(footerLine());
}

/** Whether the help center gave any way to reach it; without one the pages invent none. */
export function hasContact() {
  const c = helpcenter.contact ?? {};
  return Boolean(c.email || c.phone || safeUrl(c.url));
}

/** `url` when it is an http(s) address, else null: only those become links (never javascript:). */
export function safeUrl(url) {
  if (typeof url !== "string") return null;
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function phoneHref(phone) {
  return `tel:${phone.replace(/[^0-9+]/g, "")}`;
}

/** The contact links (e-mail, phone, contact page) the help center gave, as [label key, element] pairs. */
function contactLinks() {
  const c = helpcenter.contact ?? {};
  const links = [];
  if (c.email) links.push(["noanswer.email", el("a", { href: `mailto:${c.email}`, text: c.email })]);
  if (c.phone) links.push(["noanswer.phone", el("a", { href: phoneHref(c.phone), text: c.phone })]);
  const url = safeUrl(c.url);
  if (url) links.push(["noanswer.web", el("a", { href: url, target: "_blank", rel: "noopener", text: c.url })]);
  return links;
}

/** The footer: the help center's name, hours and contact links, separated by dots. */
function footerLine() {
  const parts = [helpcenter.name, localized(helpcenter.contact?.hours), ...contactLinks().map(([, link]) => link)].filter(Boolean);
  const line = el("p", {});
  parts.forEach((part, i) => line.append(...(i ? [" · ", part] : [part])));
  return line;
}

/** A small "EN"-style badge when `code` (an entry's or answer's language) is not the UI language; null otherwise. */
export function langBadge(code) {
  if (typeof code !== "string" || !code || code === lang) return null;
  return el("span", { class: "lang-badge", title: t("lang.badge", { lang: code.toUpperCase() }), "aria-label": t("lang.badge", { lang: code.toUpperCase() }),
    text: code.toUpperCase() });
}

/** `content` as a link to the result's article when the source gave an address, else as it is. */
export function citationLink(result, content) {
  const url = safeUrl(result?.url);
  return url ? el("a", { class: "citation-link", href: url, target: "_blank", rel: "noopener" }, content) : content;
}

/** The suggested topics as buttons that call `onPick(topic)`; null when there are none. */
export function topicChips(onPick) {
  const topics = Array.isArray(helpcenter.topics) ? helpcenter.topics.filter((x) => typeof x === "string" && x) : [];
  if (!topics.length) return null;
  return el("div", { class: "topics", role: "group", "aria-label": t("topics.label") },
    el("span", { class: "topics-label", text: t("topics.label") }),
    topics.map((topic) => el("button", { type: "button", class: "chip topic-chip", dir: "auto", text: topic, onclick: () => onPick(topic) })));
}

/** The UI languages the pages are translated into, as [code, its own name] pairs. */
export function uiLanguages() {
  return Object.keys(STRINGS).map((code) => [code, LANGUAGE_NAMES[code] ?? code]);
}

/**
 * Wire the language picker (a <select> labelled by a [data-i18n="lang.picker"] label): one option per UI language,
 * each in its own name and language; a choice is remembered, re-applies the strings and direction, and calls onChange.
 */
export function setupLanguagePicker(select, onChange) {
  // The pages wait for the help center's details before wiring the picker: a language picked meanwhile (a slow
  // network, a loaded machine) is in the static <select>, whose first option is shown until then. It wins.
  const early = select.selectedIndex > 0 ? select.value : null;
  if (early && early in STRINGS && early !== lang) {
    lang = early;
    try { localStorage.setItem(LANG_KEY, lang); } catch { /* not remembered */ }
  }
  select.replaceChildren(...uiLanguages().map(([code, name]) => el("option", { value: code, lang: code, dir: dirOf(code), text: name })));
  const render = () => {
    applyStrings();
    select.value = lang;
  };
  render();
  select.addEventListener("change", () => {
    if (!(select.value in STRINGS) || select.value === lang) return;
    lang = select.value;
    try { localStorage.setItem(LANG_KEY, lang); } catch { /* not remembered */ }
    render();
    onChange?.();
  });
}

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** POST a JSON body, return the parsed JSON; throws ApiError (status 0 when the network failed). */
export async function postJSON(url, body, { signal } = {}) {
  return requestJSON(url, { method: "POST", body: JSON.stringify(body), signal });
}

export async function putJSON(url, body, { signal } = {}) {
  return requestJSON(url, { method: "PUT", body: JSON.stringify(body), signal });
}

export async function getJSON(url, { signal } = {}) {
  return requestJSON(url, { method: "GET", signal });
}

async function requestJSON(url, { method, body, signal }) {
  let response;
  try {
    response = await fetch(url, {
      method,
      body,
      signal,
      headers: body ? { "content-type": "application/json", accept: "application/json" } : { accept: "application/json" },
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(t("error.network"), 0, "network");
  }
  let data = null;
  try {
    data = await response.json();
  } catch { /* not JSON */ }
  if (!response.ok) {
    if (response.status === 503) throw new ApiError(t("error.notready"), 503, "not_ready");
    const message = data?.error?.message || `HTTP ${response.status}`;
    throw new ApiError(t("error.generic", { m: message }), response.status, data?.error?.code);
  }
  return data;
}

export function sendFeedback(queryId, entryId, verdict) {
  return postJSON("/v1/feedback", { query_id: queryId, entry_id: entryId, verdict });
}

/** Create an element with attributes and children (strings become text nodes, never HTML).
 * An element given a `lang` (the FAQ's text, a result's) gets its own direction whatever the UI's: `dir="rtl"` for a
 * language written right to left, `dir="ltr"` for another, `dir="auto"` (from its first strong letter) when the language
 * is not known. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  if ("lang" in attrs && !("dir" in attrs)) node.dir = attrs.lang ? dirOf(attrs.lang) : "auto";
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * `text` with the spans `[start, end)` wrapped in <mark>, as a DocumentFragment of text nodes.
 * Offsets come from Python, so they count code points; `base` shifts them (spans given as offsets in a
 * longer passage that `text` starts at). Spans outside the text are clipped, overlapping ones merged.
 */
export function highlighted(text, spans = [], base = 0) {
  const chars = Array.from(text); // code points, as Python counts
  const ranges = spans
    .map(([s, e]) => [Math.max(0, s - base), Math.min(chars.length, e - base)])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  const fragment = document.createDocumentFragment();
  let at = 0;
  for (const [s, e] of ranges) {
    const start = Math.max(s, at);
    if (e <= start) continue;
    if (start > at) fragment.append(document.createTextNode(chars.slice(at, start).join("")));
    const mark = document.createElement("mark");
    mark.textContent = chars.slice(start, e).join("");
    fragment.append(mark);
    at = e;
  }
  if (at < chars.length) fragment.append(document.createTextNode(chars.slice(at).join("")));
  return fragment;
}

/** `text` split at its line breaks into <p> elements, each with its share of the highlight spans. */
export function paragraphs(text, spans = []) {
  const fragment = document.createDocumentFragment();
  let base = 0;
  for (const line of text.split("\n")) {
    const length = Array.from(line).length;
    if (line.trim()) fragment.append(el("p", {}, highlighted(line, spans, base)));
    base += length + 1;
  }
  return fragment;
}

let docLangs = null;

/** document id -> language of the indexed documents (for lang="" on corpus text); empty when unavailable. */
export async function documentLanguages() {
  if (!docLangs) {
    docLangs = getJSON("/v1/documents")
      .then((data) => new Map(data.documents.map((d) => [d.id, d.lang])))
      .catch(() => new Map());
  }
  return docLangs;
}

/** The short answer of the first result, or the passage's opening, with highlights: [fragment, isWholePassage]. */
export function preview(result, answer, maxChars = 260) {
  if (answer && answer.entry_id === result.entry_id) {
    const text = answer.text;
    return [highlighted(text, answer.highlights, answer.start), text.trim() === result.passage.trim()];
  }
  const chars = Array.from(result.passage);
  if (chars.length <= maxChars) return [highlighted(result.passage, result.highlights), true];
  let cut = maxChars;
  while (cut > maxChars * 0.6 && !/\s/.test(chars[cut])) cut -= 1;
  const fragment = highlighted(chars.slice(0, cut).join("").trimEnd(), result.highlights);
  fragment.append(document.createTextNode(" …"));
  return [fragment, false];
}

/** The help center's contact options as a definition list; null when it gave none (nothing is invented). */
export function contactDetails() {
  const hours = localized(helpcenter.contact?.hours);
  const items = contactLinks().map(([key, link]) => el("div", {}, el("dt", { text: t(key) }), el("dd", {}, link)));
  if (!items.length) return null;
  if (hours) items.push(el("div", { class: "contact-hours" }, el("dt", { text: t("noanswer.hours") }), el("dd", { text: hours })));
  return el("dl", { class: "contact" }, items);
}

/** A button that shows/hides `region` (aria-expanded + aria-controls). */
export function expandButton(region, { onToggle } = {}) {
  const button = el("button", { type: "button", class: "link-button expand", "aria-expanded": "false", "aria-controls": region.id });
  const label = el("span", { text: t("result.expand") });
  button.append(el("span", { class: "chevron", "aria-hidden": "true" }), label);
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    label.textContent = t(open ? "result.collapse" : "result.expand");
    region.hidden = !open;
    onToggle?.(open);
  });
  return button;
}

const SVG = "http://www.w3.org/2000/svg";
const ICONS = {
  // a thumb, drawn with two paths; "down" is the same thumb turned over
  thumb: ["M7 10v10H4a1 1 0 0 1-1-1v-8a1 1 0 0 1 1-1h3z",
          "M7 10l4-7a2.5 2.5 0 0 1 2.5 2.5V9h5a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.3 20H7"],
};

/** A decorative inline SVG icon (aria-hidden). */
export function icon(name, { flip = false } = {}) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", `icon${flip ? " icon-flip" : ""}`);
  for (const d of ICONS[name]) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "1.8");
    path.setAttribute("stroke-linejoin", "round");
    path.setAttribute("stroke-linecap", "round");
    svg.append(path);
  }
  return svg;
}

let uid = 0;
export function uniqueId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** Copy text to the clipboard; falls back to a hidden textarea + execCommand where the API is missing or refused. */
export async function copyText(text) {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch { /* fall back */ }
  }
  const area = el("textarea", { readonly: true, class: "visually-hidden", "aria-hidden": "true", tabindex: "-1" });
  area.value = text;
  const focused = document.activeElement;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  focused?.focus?.();
  return ok;
}

/** The action row under a result: an expand button when the summary is shorter than the answer
 *  (remembering which results the person opened across re-renders), else the whole answer. */
export function resultActions({ full, summary, result, whole, key, expanded }) {
  const actions = el("div", { class: "result-actions" });
  if (!whole) {
    const toggle = expandButton(full, {
      onToggle: (open) => {
        summary.hidden = open;
        if (open) expanded.add(key); else expanded.delete(key);
      },
    });
    actions.append(toggle);
    if (expanded.has(key)) toggle.click();
  } else {
    summary.replaceChildren(paragraphs(result.passage, result.highlights));
  }
  return actions;
}
