// /team/rules: the team's synonyms, pins and hidden entries (/v1/admin/synonyms, pins, hidden): list, add, edit, delete,
// try; and the audit log (/v1/admin/rules/audit), a page at a time.
import { el, getJSON, postJSON, putJSON } from "./common.js";
import { say } from "./team-session.js";

const root = document.getElementById("rules");
const split = (text) => text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean); // an example question may hold a comma
const AUDIT_SHOWN = 10;

async function remove(path, id, what) {
  const response = await fetch(`/v1/admin/${path}/${id}`, { method: "DELETE", headers: { accept: "application/json" } });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error?.message || `Deleting failed (${response.status}).`);
  }
  say(`${what} deleted.`);
  await load();
}

// One rule kind: its form's fields ([name, label, kind, options]), a rule's values in them, and the request body of values.
const KINDS = {
  synonym: {
    path: "synonyms",
    fields: [["lang", "Language (de, fr…)"], ["terms", "Terms, comma-separated"], ["targets", "One way to (optional)"]],
    values: (s) => ({ lang: s.lang, terms: s.terms.join(", "), targets: s.targets.join(", ") }),
    body: (v) => ({ lang: v.lang, terms: split(v.terms), targets: split(v.targets) }),
  },
  pin: {
    path: "pins",
    fields: [["kind", "Kind", "select", ["answer", "never"]], ["entry_id", "Entry id (answer pins)", "input", "rule-entries"],
      ["examples", "Example questions, one a line", "textarea"]],
    values: (p) => ({ kind: p.kind, entry_id: p.entry_id ?? "", examples: p.examples.join("\n") }),
    body: (v) => ({ kind: v.kind, examples: lines(v.examples), entry_id: v.entry_id.trim() || null }),
  },
  hidden: {
    path: "hidden",
    fields: [["entry_id", "Entry id", "input", "rule-entries"], ["section", "or a section", "input", "rule-sections"]],
    body: (v) => ({ entry_id: v.entry_id.trim() || null, section: v.section.trim() || null }),
  },
};

function card(kind, rule, text) {
  const { path } = KINDS[kind];
  const node = el("li", { class: "team-card team-rule" });
  const show = () => {
    const del = el("button", { type: "button", class: "secondary", text: "Delete",
      onclick: () => remove(path, rule.id, text).catch((err) => say(err.message)) });
    const edit = KINDS[kind].values ? el("button", { type: "button", class: "secondary", text: "Edit", onclick: () => {
      node.replaceChildren(form(kind, {
        rule, onCancel: show,
        submit: (body) => putJSON(`/v1/admin/${path}/${rule.id}`, body),
      }));
      node.querySelector("input, select, textarea")?.focus();
    } }) : null;
    node.replaceChildren(
      el("p", {}, el("strong", { text }), rule.stale ? el("span", { class: "team-state team-state-rejected", text: " stale: its entry left the FAQ" }) : ""),
      el("p", { class: "team-rule-fired", text: `fired ${rule.fired} time${rule.fired === 1 ? "" : "s"}` }),
      el("p", {}, edit, edit ? " " : null, del));
  };
  show();
  return node;
}

/** The add form of a rule kind, or with `rule` its edit form (prefilled; Save sends a PUT, Cancel puts the card back). */
function form(kind, { rule = null, onCancel = null, submit }) {
  const { fields, values, body } = KINDS[kind];
  const prefix = rule ? `rule-${kind}-${rule.id}` : `rule-${kind}`;
  const filled = rule ? values(rule) : {};
  const inputs = fields.map(([name, label, type, options]) => {
    const id = `${prefix}-${name}`.replace(/\W+/g, "-");
    const input = type === "select" ? el("select", { id, name }, options.map((o) => el("option", { value: o, text: o })))
      : type === "textarea" ? el("textarea", { id, name, rows: "3" }) : el("input", { id, name, type: "text", list: options || null });
    if (name in filled) input.value = filled[name];
    return [name, input, el("label", { for: id, text: label })];
  });
  const verb = rule ? "Save" : "Add";
  const node = el("form", { class: "team-rule-form" },
    ...inputs.flatMap(([, input, label]) => [el("p", {}, label, " ", input)]),
    el("p", {}, el("button", { type: "submit", class: "primary", text: `${verb} ${kind}` }),
      onCancel ? " " : null, onCancel ? el("button", { type: "button", class: "secondary", text: "Cancel", onclick: onCancel }) : null));
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    const got = Object.fromEntries(inputs.map(([name, input]) => [name, input.value]));
    try {
      await submit(body(got));
      say(`${kind[0].toUpperCase()}${kind.slice(1)} ${rule ? "saved" : "added"}.`);
      await load();
    } catch (err) {
      say(err.message);
    }
  });
  return node;
}

function tryBox() {
  const question = el("input", { id: "rule-try", type: "text", placeholder: "a customer's question" });
  const out = el("div", { class: "team-rule-try" });
  const node = el("form", {}, el("p", {}, el("label", { for: "rule-try", text: "Question" }), " ", question,
    " ", el("button", { type: "submit", class: "primary", text: "Try" })), out);
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const got = await postJSON("/v1/admin/try", { question: question.value });
      const show = (label, r) => el("p", {}, el("strong", { text: `${label}: ` }),
        `${r.outcome}, ${r.entries.slice(0, 3).join(", ") || "no entry"}${r.rules_fired.length ? ` (rules: ${r.rules_fired.join(", ")})` : ""}`);
      out.replaceChildren(show("With the rules", got.with_rule), show("Without", got.without_rule));
    } catch (err) {
      say(err.message);
    }
  });
  return node;
}

/** One audit row in a line: when, who, what. */
function change(c) {
  const d = c.detail ?? {};
  const what = c.action === "delete" ? ""
    : c.kind === "synonym" ? `: ${(d.terms ?? []).join(", ")}${d.targets?.length ? ` → ${d.targets.join(", ")}` : ""}`
    : c.kind === "pin" ? `: ${(d.examples ?? []).join(" / ")} → ${d.entry_id ?? "never answer"}`
    : `: ${d.entry_id ? `entry ${d.entry_id}` : `section ${d.section}`}`;
  const when = new Date(c.at);
  return el("li", { class: "team-audit-row" },
    el("time", { datetime: c.at, text: Number.isNaN(when.getTime()) ? c.at : when.toLocaleString() }),
    ` · ${c.who} · ${c.action} ${c.kind} #${c.rule_id}${what}`);
}

const auditPage = (before) => getJSON(`/v1/admin/rules/audit?limit=${AUDIT_SHOWN}${before ? `&before=${before}` : ""}`);

/** The audit log, AUDIT_SHOWN changes a page: Older follows the page's next_before, Newer goes back the way it came. */
function auditCard(first) {
  const newer = []; // the `before` of each page above the one shown (null: the newest)
  let shown = null;
  const body = el("div", { class: "team-audit-page" });
  const turn = async (before, back) => {
    try {
      const page = await auditPage(before);
      if (back) newer.pop();
      else newer.push(shown);
      show(page, before);
    } catch (err) {
      say(err.message);
    }
  };
  const show = (page, before) => {
    shown = before;
    const from = newer.length * AUDIT_SHOWN + 1;
    body.replaceChildren(
      page.changes.length ? el("ol", { class: "team-audit-list", start: from }, page.changes.map(change))
        : el("p", { class: "team-empty", text: "No change yet." }),
      el("nav", { class: "team-audit-pages", "aria-label": "Pages of changes" },
        newer.length ? el("button", { type: "button", text: "Newer changes", onclick: () => turn(newer.at(-1), true) }) : null,
        page.next_before ? el("button", { type: "button", text: "Older changes", onclick: () => turn(page.next_before, false) }) : null),
    );
  };
  show(first, null);
  return el("section", { class: "team-card team-audit", "aria-labelledby": "rules-audit" },
    el("h2", { id: "rules-audit", text: "Recent changes" }), body);
}

export async function load() {
  try {
    const [synonyms, pins, hidden, docs, audit] = await Promise.all([getJSON("/v1/admin/synonyms"), getJSON("/v1/admin/pins"),
      getJSON("/v1/admin/hidden"), getJSON("/v1/documents?include_hidden=true"), auditPage(null)]);
    const entries = docs.documents.flatMap((d) => d.sections.flatMap((s) => s.questions));
    const sections = [...new Set(docs.documents.flatMap((d) => d.sections.map((s) => s.title)))];
    const title = Object.fromEntries(entries.map((q) => [q.entry_id, q.question]));
    const named = (id) => (title[id] ? `${title[id]} (${id})` : id);
    const list = (kind, rules, text) => (rules.length ? el("ul", { class: "team-rules" }, rules.map((r) => card(kind, r, text(r))))
      : el("p", { class: "team-empty", text: "None yet." }));
    const add = (kind) => form(kind, { submit: (body) => postJSON(`/v1/admin/${KINDS[kind].path}`, body) });
    root.replaceChildren(
      el("datalist", { id: "rule-entries" }, entries.map((q) => el("option", { value: q.entry_id, text: q.question }))),
      el("datalist", { id: "rule-sections" }, sections.map((s) => el("option", { value: s }))),
      el("section", { class: "team-card" }, el("h2", { text: "Try a question" }), tryBox()),
      el("h2", { text: `Synonyms (${synonyms.length})` }),
      list("synonym", synonyms, (s) => `${s.lang}: ${s.targets.length ? `${s.terms.join(", ")} → ${s.targets.join(", ")}` : s.terms.join(" = ")}`),
      add("synonym"),
      el("h2", { text: `Pinned answers (${pins.length})` }),
      list("pin", pins, (p) => `${p.examples.join(" / ")} → ${p.kind === "never" ? "never answer" : named(p.entry_id)}`),
      add("pin"),
      el("h2", { text: `Hidden (${hidden.length})` }),
      list("hidden", hidden, (h) => (h.entry_id ? `entry ${named(h.entry_id)}` : `section ${h.section}`)),
      add("hidden"),
      auditCard(audit),
    );
  } catch (err) {
    say(err.message);
  }
}
