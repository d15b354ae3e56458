// <faq-search>: the help center's search box on the help center's own website (another origin).
//
//   <script src="https://<service>/widget.js" defer></script>
//   <faq-search lang="fr" placeholder="…" service="https://<service>" top-k="5"></faq-search>
//
// lang: the UI's language, fr, en or ar (Arabic, right to left); without it the host page's <html lang>.
//
// Self-contained (no import, no build step): it renders in a shadow root, so the host's CSS cannot
// reach inside and its own CSS cannot leak out. Its stylesheet is a <link> to widget.css on the
// service's origin (a style element would be inline style under the host's CSP), and nothing is
// set through style attributes. Corpus text and what people type only ever become text nodes.
// The API answers this origin only when it is listed in the service's FAQ_CORS_ORIGINS; when it is
// not, the widget says so in its box and in the console.

(() => {
  "use strict";

  const SCRIPT = document.currentScript ?? document.querySelector("script[src*='widget.js']");
  const SCRIPT_ORIGIN = SCRIPT?.src ? new URL(SCRIPT.src, location.href).origin : location.origin;
  const DEBOUNCE_MS = 200;
  const DEFAULT_TOP_K = 5;

  const STRINGS = {
    fr: {
      label: "Votre question",
      placeholder: "Tapez votre question…",
      searching: "Recherche en cours…",
      "count.0": "Aucun résultat pour « {q} »",
      "count.1": "1 résultat pour « {q} »",
      "count.n": "{n} résultats pour « {q} »",
      "noanswer.status": "Aucune réponse trouvée pour « {q} »",
      "related.status": "Pas de réponse sûre pour « {q} » : articles liés",
      "related.title": "Pas de réponse sûre, mais ces articles peuvent vous aider",
      best: "Meilleure réponse",
      source: "Source :",
      "helpful.q": "Cette réponse vous a-t-elle aidé ?",
      helpful: "Oui",
      not_helpful: "Non",
      thanks: "Merci pour votre retour.",
      "feedback.error": "Votre retour n'a pas pu être enregistré.",
      "noanswer.title": "Nous n'avons pas trouvé de réponse à votre question",
      "noanswer.text": "Notre FAQ ne couvre pas ce sujet. Notre service client se fera un plaisir de vous aider :",
      "noanswer.nocontact": "Notre FAQ ne couvre pas ce sujet. Contactez directement l'entreprise.",
      "related.text": "Si aucun ne répond à votre question, notre service client se fera un plaisir de vous aider :",
      "related.nocontact": "Si aucun ne répond à votre question, contactez directement l'entreprise.",
      email: "E-mail",
      phone: "Téléphone",
      web: "Contact",
      hours: "Horaires",
      refused: "Ce site n'est pas autorisé à utiliser la recherche du centre d'aide : ajoutez {origin} à FAQ_CORS_ORIGINS du service.",
      network: "Le service est injoignable. Vérifiez votre connexion puis réessayez.",
      notready: "Le service démarre ; réessayez dans quelques secondes.",
      error: "Une erreur est survenue : {m}",
    },
    en: {
      label: "Your question",
      placeholder: "Type your question…",
      searching: "Searching…",
      "count.0": "No results for “{q}”",
      "count.1": "1 result for “{q}”",
      "count.n": "{n} results for “{q}”",
      "noanswer.status": "No answer found for “{q}”",
      "related.status": "No sure answer for “{q}”: related articles",
      "related.title": "No sure answer, but these articles may help",
      best: "Best answer",
      source: "Source:",
      "helpful.q": "Was this answer helpful?",
      helpful: "Yes",
      not_helpful: "No",
      thanks: "Thank you for your feedback.",
      "feedback.error": "Your feedback could not be recorded.",
      "noanswer.title": "We did not find an answer to your question",
      "noanswer.text": "Our FAQ does not cover this topic. Our customer service will be happy to help:",
      "noanswer.nocontact": "Our FAQ does not cover this topic. Please contact the company directly.",
      "related.text": "If none of them answers your question, our customer service will be happy to help:",
      "related.nocontact": "If none of them answers your question, please contact the company directly.",
      email: "Email",
      phone: "Phone",
      web: "Contact",
      hours: "Hours",
      refused: "This site is not allowed to use the help center's search: add {origin} to the service's FAQ_CORS_ORIGINS.",
      network: "The service cannot be reached. Check your connection and try again.",
      notready: "The service is starting; try again in a few seconds.",
      error: "Something went wrong: {m}",
    },
    ar: {
      label: "سؤالك",
      placeholder: "اكتب سؤالك…",
      searching: "جارٍ البحث…",
      "count.0": "لا توجد نتائج عن «{q}»",
      "count.1": "نتيجة واحدة عن «{q}»",
      "count.n": "عدد النتائج عن «{q}»: {n}",
      "noanswer.status": "لم نعثر على إجابة عن «{q}»",
      "related.status": "لا توجد إجابة مؤكدة عن «{q}»: مقالات ذات صلة",
      "related.title": "لا توجد إجابة مؤكدة، لكن هذه المقالات قد تساعدك",
      best: "أفضل إجابة",
      source: "المصدر:",
      "helpful.q": "هل كانت هذه الإجابة مفيدة؟",
      helpful: "نعم",
      not_helpful: "لا",
      thanks: "شكرًا على ملاحظاتك.",
      "feedback.error": "تعذّر تسجيل ملاحظاتك.",
      "noanswer.title": "لم نعثر على إجابة عن سؤالك",
      "noanswer.text": "لا تتناول الأسئلة الشائعة لدينا هذا الموضوع. يسعد فريق خدمة العملاء مساعدتك:",
      "noanswer.nocontact": "لا تتناول الأسئلة الشائعة لدينا هذا الموضوع. يُرجى التواصل مع الشركة مباشرةً.",
      "related.text": "إن لم يُجب أيٌّ منها عن سؤالك، فسيسعد فريق خدمة العملاء مساعدتك:",
      "related.nocontact": "إن لم يُجب أيٌّ منها عن سؤالك، فيُرجى التواصل مع الشركة مباشرةً.",
      email: "البريد الإلكتروني",
      phone: "الهاتف",
      web: "التواصل",
      hours: "ساعات العمل",
      refused: "لا يُسمح لهذا الموقع باستخدام بحث مركز المساعدة: أضف {origin} إلى FAQ_CORS_ORIGINS في إعدادات الخدمة.",
      network: "تعذّر الوصول إلى الخدمة. تحقّق من اتصالك ثم أعد المحاولة.",
      notready: "الخدمة قيد التشغيل؛ أعد المحاولة بعد بضع ثوانٍ.",
      error: "حدث خطأ: {m}",
    },
  };

  /** An error the widget shows; `refused` when the service does not allow this origin (CORS). */
  class WidgetError extends Error {
    constructor(message, { refused = false } = {}) {
      super(message);
      this.refused = refused;
    }
  }

  /** Create an element with attributes and children (strings become text nodes, never HTML). */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
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

  // languages written right to left, and a strong right-to-left letter (Hebrew, Arabic, Syriac, Thaana, N'Ko…)
  const RTL_LANGS = new Set(["ar", "he", "iw", "fa", "ur", "yi", "ps", "sd", "ug", "ckb", "dv"]);
  const RTL_CHAR = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/;
  const LETTER = /\p{L}/u;
  const isRtl = (code) => typeof code === "string" && RTL_LANGS.has(code.split(/[-_]/)[0].toLowerCase());
  /** The `dir` of the FAQ's text in `code`, whatever the UI's: "rtl" for a right-to-left language, "ltr" for another,
   * "auto" when unknown. */
  const textDir = (code) => (!code ? "auto" : isRtl(code) ? "rtl" : "ltr");

  /** `url` when it is an http(s) address, else null: only those become links (never javascript:). */
  function safeUrl(url) {
    if (typeof url !== "string" || !url) return null;
    try {
      const parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch {
      return null;
    }
  }

  /** `text` with the spans `[start, end)` (code points, shifted by `base`) wrapped in <mark>. */
  function highlighted(text, spans = [], base = 0) {
    const chars = Array.from(text);
    const ranges = spans.map(([s, e]) => [Math.max(0, s - base), Math.min(chars.length, e - base)])
      .filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
    const fragment = document.createDocumentFragment();
    let at = 0;
    for (const [s, e] of ranges) {
      const start = Math.max(s, at);
      if (e <= start) continue;
      if (start > at) fragment.append(chars.slice(at, start).join(""));
      fragment.append(el("mark", { text: chars.slice(start, e).join("") }));
      at = e;
    }
    if (at < chars.length) fragment.append(chars.slice(at).join(""));
    return fragment;
  }

  /** The opening of a passage, cut at a word near `maxChars`. */
  function opening(result, maxChars = 220) {
    const chars = Array.from(result.passage);
    if (chars.length <= maxChars) return highlighted(result.passage, result.highlights);
    let cut = maxChars;
    while (cut > maxChars * 0.6 && !/\s/.test(chars[cut])) cut -= 1;
    const fragment = highlighted(chars.slice(0, cut).join("").trimEnd(), result.highlights);
    fragment.append(" …");
    return fragment;
  }

  /** "Document › Section › Question"; its arrows point the way the path reads: "‹" in a right-to-left FAQ. */
  function path(result) {
    const text = `${result.document} › ${result.citation}`;
    return isRtl(result.lang) ? text.replaceAll(" › ", " ‹ ") : text;
  }

  let uid = 0;
  const uniqueId = (prefix) => `faqw-${prefix}-${++uid}`;

  class FaqSearch extends HTMLElement {
    static observedAttributes = ["lang", "placeholder"];

    #root = this.attachShadow({ mode: "open" });
    #helpcenter = { name: "", contact: {} };
    #timer = 0;
    #latest = 0;
    #controller = null;
    #shown = null;
    #built = false;

    get service() {
      return (this.getAttribute("service") || SCRIPT_ORIGIN).replace(/\/+$/, "");
    }

    get topK() {
      const n = Number.parseInt(this.getAttribute("top-k") ?? "", 10);
      return Number.isInteger(n) && n >= 1 && n <= 20 ? n : DEFAULT_TOP_K;
    }

    get uiLang() {
      const tag = (this.getAttribute("lang") || document.documentElement.lang || navigator.language || "en").slice(0, 2).toLowerCase();
      return tag in STRINGS ? tag : "en";
    }

    t(key, params = {}) {
      const text = STRINGS[this.uiLang][key] ?? STRINGS.en[key] ?? key;
      // a right-to-left question inside an English or French sentence is isolated (U+2068 … U+2069), as is any text
      // with letters inside an Arabic one
      const rtlUi = isRtl(this.uiLang);
      const fill = (value) => ((rtlUi ? LETTER.test(value) : RTL_CHAR.test(value)) ? `\u2068${value}\u2069` : value);
      return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? fill(String(params[name])) : `{${name}}`));
    }

    connectedCallback() {
      if (this.#built) return;
      this.#built = true;
      this.#build();
      this.#loadHelpCenter();
    }

    attributeChangedCallback() {
      if (!this.#built) return;
      this.#applyStrings();
      if (this.#shown) this.#render(this.#shown);
    }

    #build() {
      const sheet = el("link", { rel: "stylesheet", href: `${this.service}/widget.css` });
      // hidden (the attribute, no style needed) until the stylesheet is in, so it never shows unstyled
      this.box = el("div", { class: "faqw", part: "box", hidden: true });
      const show = () => { this.box.hidden = false; };
      sheet.addEventListener("load", show);
      sheet.addEventListener("error", show);
      const inputId = uniqueId("q");
      this.input = el("input", { id: inputId, class: "input", type: "search", autocomplete: "off", spellcheck: "false",
        enterkeyhint: "search", maxlength: "500", dir: "auto" });
      this.label = el("label", { class: "label", for: inputId });
      this.spinner = el("span", { class: "spinner", "aria-hidden": "true", hidden: true });
      this.form = el("form", { class: "form", role: "search" }, this.label, el("div", { class: "field" }, this.input, this.spinner));
      this.status = el("p", { class: "status", role: "status", "aria-live": "polite", "aria-atomic": "true" });
      this.results = el("div", { class: "results" });
      this.box.append(this.form, this.status, this.results);
      this.#root.replaceChildren(sheet, this.box);
      this.#applyStrings();

      this.input.addEventListener("input", () => {
        clearTimeout(this.#timer);
        const question = this.input.value.trim();
        if (!question) return this.#clear();
        this.#timer = setTimeout(() => this.search(question), DEBOUNCE_MS);
      });
      this.form.addEventListener("submit", (event) => {
        event.preventDefault();
        clearTimeout(this.#timer);
        const question = this.input.value.trim();
        if (question) this.search(question);
      });
      this.input.addEventListener("keydown", (event) => {
        if (event.key === "Escape" && this.input.value) {
          this.input.value = "";
          this.#clear();
        } else if (event.key === "ArrowDown") {
          const first = this.results.querySelector("a, button");
          if (first) {
            event.preventDefault();
            first.focus();
          }
        }
      });
    }

    #applyStrings() {
      this.box.lang = this.uiLang;
      this.box.dir = isRtl(this.uiLang) ? "rtl" : "ltr"; // the UI's own, not the host page's (it inherits through the shadow root)
      this.label.textContent = this.t("label");
      this.input.placeholder = this.getAttribute("placeholder") || this.t("placeholder");
    }

    async #loadHelpCenter() {
      try {
        const data = await this.#request("/v1/helpcenter");
        if (data && typeof data.name === "string") this.#helpcenter = { ...data, contact: data.contact ?? {} };
        if (this.#shown) this.#render(this.#shown);
      } catch (err) {
        if (err.refused) this.#showError(err);
      }
    }

    async #request(path, { body, signal } = {}) {
      let response;
      try {
        response = await fetch(`${this.service}${path}`, {
          method: body ? "POST" : "GET", body: body ? JSON.stringify(body) : undefined, signal, credentials: "omit",
          headers: body ? { "content-type": "application/json", accept: "application/json" } : { accept: "application/json" },
        });
      } catch (err) {
        if (err.name === "AbortError") throw err;
        throw await this.#whyFailed();
      }
      let data = null;
      try { data = await response.json(); } catch { /* not JSON */ }
      if (!response.ok) {
        if (response.status === 503) throw new WidgetError(this.t("notready"));
        throw new WidgetError(this.t("error", { m: data?.error?.message || `HTTP ${response.status}` }));
      }
      return data;
    }

    /** A failed fetch is either the network or CORS; an opaque (no-cors) request tells them apart. */
    async #whyFailed() {
      try {
        await fetch(`${this.service}/healthz`, { mode: "no-cors", credentials: "omit", cache: "no-store" });
      } catch {
        return new WidgetError(this.t("network"));
      }
      const message = this.t("refused", { origin: location.origin });
      console.error(`<faq-search>: ${this.service} refused requests from ${location.origin}. `
        + `This site is not allowed to use the help center's search: add ${location.origin} to FAQ_CORS_ORIGINS on the service.`);
      return new WidgetError(message, { refused: true });
    }

    #cancel() {
      this.#latest += 1;
      this.#controller?.abort();
      this.#controller = null;
      this.spinner.hidden = true;
    }

    #clear() {
      this.#cancel();
      this.#shown = null;
      this.results.replaceChildren();
      this.status.textContent = "";
      this.status.classList.remove("is-error");
    }

    /** Ask the service; an older response than the newest question is dropped, an older request aborted. */
    async search(question) {
      const id = ++this.#latest;
      this.#controller?.abort();
      this.#controller = new AbortController();
      this.spinner.hidden = false;
      this.results.setAttribute("aria-busy", "true");
      try {
        const data = await this.#request("/v1/query", { body: { question, top_k: this.topK, surface: "search" },
          signal: this.#controller.signal });
        if (id !== this.#latest) return;
        this.#render(data);
        this.dispatchEvent(new CustomEvent("faq-results", { bubbles: true, composed: true,
          detail: { question, answerable: data.answerable, count: data.results.length } }));
      } catch (err) {
        if (err.name === "AbortError" || id !== this.#latest) return;
        this.#showError(err);
      } finally {
        if (id === this.#latest) {
          this.spinner.hidden = true;
          this.results.removeAttribute("aria-busy");
        }
      }
    }

    #showError(err) {
      this.#shown = null;
      this.status.textContent = "";
      this.results.replaceChildren(el("p", { class: `notice${err.refused ? " is-refused" : ""}`, role: "alert", text: err.message }));
    }

    #render(data) {
      this.#shown = data;
      const q = data.corrected || data.question;  // what was searched, misspelt words corrected to the FAQ's
      this.status.classList.remove("is-error");
      if (data.outcome === "related" && data.results.length) {  // related articles, no answer claimed, then the contact card
        this.status.textContent = this.t("related.status", { q });
        const list = el("ol", { class: "list" });
        data.results.forEach((result) => list.append(el("li", {}, this.#card(data, result, false))));
        this.results.replaceChildren(el("section", { class: "related", "data-outcome": "related" },
          el("h3", { class: "title", text: this.t("related.title") }), list, this.#noAnswer(true)));
        return;
      }
      if (!data.answerable) {
        this.status.textContent = this.t("noanswer.status", { q });
        this.results.replaceChildren(this.#noAnswer());
        return;
      }
      const n = data.results.length;
      this.status.textContent = this.t(n === 0 ? "count.0" : n === 1 ? "count.1" : "count.n", { q, n });
      const list = el("ol", { class: "list" });
      data.results.forEach((result, i) => list.append(el("li", {}, this.#card(data, result, i === 0))));
      this.results.replaceChildren(list);
    }

    #card(data, result, first) {
      const answer = first && data.answer?.entry_id === result.entry_id ? data.answer : null;
      const titleId = uniqueId("title");
      const url = safeUrl(result.url);
      const title = url ? el("a", { href: url, target: "_blank", rel: "noopener", text: result.question }) : result.question;
      const card = el("article", { class: answer ? "card is-best" : "card", "aria-labelledby": titleId, lang: result.lang || null },
        answer ? el("p", { class: "badge", text: this.t("best") }) : null,
        el("h3", { class: "title", id: titleId, dir: textDir(result.lang) }, title),
        answer
          ? el("p", { class: "answer short", lang: answer.lang || null, dir: textDir(answer.lang || result.lang) },
            highlighted(answer.text, answer.highlights, answer.start))
          : el("p", { class: "answer", dir: textDir(result.lang) }, opening(result)),
        el("p", { class: "citation" }, el("span", { class: "cite-label", text: this.t("source") }), " ",
          el(url ? "a" : "bdi", { href: url, target: url ? "_blank" : null, rel: url ? "noopener" : null, dir: textDir(result.lang) ?? "auto",
            text: path(result) })),
      );
      if (answer) card.append(this.#feedback(data.query_id, result.entry_id, titleId));
      return card;
    }

    #feedback(queryId, entryId, titleId) {
      const questionId = uniqueId("fbq");
      const box = el("div", { class: "feedback", role: "group", "aria-labelledby": `${questionId} ${titleId}` });
      const note = el("p", { class: "note", role: "status" });
      const send = async (verdict, button) => {
        for (const b of box.querySelectorAll("button")) b.disabled = true;
        button.setAttribute("aria-pressed", "true");
        try {
          await this.#request("/v1/feedback", { body: { query_id: queryId, entry_id: entryId, verdict } });
          box.replaceChildren(note);
          note.dataset.verdict = verdict;
          note.textContent = this.t("thanks");
        } catch {
          for (const b of box.querySelectorAll("button")) b.disabled = false;
          button.setAttribute("aria-pressed", "false");
          note.textContent = this.t("feedback.error");
          button.focus();
        }
      };
      const button = (verdict) => {
        const b = el("button", { type: "button", class: "chip", "aria-pressed": "false", "data-verdict": verdict, text: this.t(verdict) });
        b.addEventListener("click", () => send(verdict, b));
        return b;
      };
      box.append(el("span", { class: "feedback-q", id: questionId, text: this.t("helpful.q") }), button("helpful"), button("not_helpful"), note);
      return box;
    }

    /** The contact card: under "no answer" (`related` false), or below related articles, without claiming none was found. */
    #noAnswer(related = false) {
      const c = this.#helpcenter.contact ?? {};
      const items = [];
      const item = (key, value) => items.push(el("div", {}, el("dt", { text: this.t(key) }), el("dd", {}, value)));
      if (c.email) item("email", el("a", { href: `mailto:${c.email}`, text: c.email }));
      if (c.phone) item("phone", el("a", { href: `tel:${c.phone.replace(/[^0-9+]/g, "")}`, text: c.phone }));
      const url = safeUrl(c.url);
      if (url) item("web", el("a", { href: url, target: "_blank", rel: "noopener", text: c.url }));
      const hours = typeof c.hours === "string" ? c.hours : c.hours?.[this.uiLang] ?? Object.values(c.hours ?? {})[0];
      if (items.length && hours) item("hours", hours);
      const contact = [
        el("p", { text: this.t(`${related ? "related" : "noanswer"}.${items.length ? "text" : "nocontact"}`) }),
        items.length ? el("dl", { class: "contact" }, items) : null,
        this.#helpcenter.name ? el("p", { class: "hc-name", text: this.#helpcenter.name }) : null,
      ];
      if (related) return el("section", { class: "no-answer related-contact" }, ...contact);
      const titleId = uniqueId("noanswer");
      return el("section", { class: "no-answer", "aria-labelledby": titleId },
        el("h3", { id: titleId, class: "title", text: this.t("noanswer.title") }), ...contact);
    }
  }

  if (!customElements.get("faq-search")) customElements.define("faq-search", FaqSearch);
})();
