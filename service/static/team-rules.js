// /team/rules: the team's synonyms, pins and hidden entries (/v1/admin/synonyms, pins, hidden): list, add, delete, try.
import { el, getJSON, postJSON } from "./common.js";
import { say } from "./team-session.js";

const root = document.getElementById("rules");
const split = (text) => text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean);

async function remove(path, id, what) {
  const response = await fetch(`/v1/admin/${path}/${id}`, { method: "DELETE", headers: { accept: "application/json" } });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error?.message || `Deleting failed (${response.status}).`);
  }
  say(`${what} deleted.`);
  await load();
}

function card(path, rule, text) {
  const del = el("button", { type: "button", class: "secondary", text: "Delete",
    onclick: () => remove(path, rule.id, text).catch((err) => say(err.message)) });
  return el("li", { class: "team-card team-rule" },
    el("p", {}, el("strong", { text }), rule.stale ? el("span", { class: "team-state team-state-rejected", text: " stale: its entry left the FAQ" }) : ""),
    el("p", { class: "team-rule-fired", text: `fired ${rule.fired} time${rule.fired === 1 ? "" : "s"}` }),
    el("p", {}, del));
}

function form(title, fields, submit) {
  const inputs = fields.map(([name, label, kind, options]) => {
    const id = `rule-${title}-${name}`.replace(/\W+/g, "-");
    const input = kind === "select" ? el("select", { id, name }, options.map((o) => el("option", { value: o, text: o })))
      : kind === "textarea" ? el("textarea", { id, name, rows: "3" }) : el("input", { id, name, type: "text", list: options || null });
    return [name, input, el("label", { for: id, text: label })];
  });
  const node = el("form", { class: "team-rule-form" },
    ...inputs.flatMap(([, input, label]) => [el("p", {}, label, " ", input)]),
    el("p", {}, el("button", { type: "submit", class: "primary", text: `Add ${title}` })));
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(inputs.map(([name, input]) => [name, input.value]));
    try {
      await submit(values);
      say(`${title[0].toUpperCase()}${title.slice(1)} added.`);
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

export async function load() {
  try {
    const [synonyms, pins, hidden, docs] = await Promise.all([getJSON("/v1/admin/synonyms"), getJSON("/v1/admin/pins"),
      getJSON("/v1/admin/hidden"), getJSON("/v1/documents?include_hidden=true")]);
    const entries = docs.documents.flatMap((d) => d.sections.flatMap((s) => s.questions));
    const sections = [...new Set(docs.documents.flatMap((d) => d.sections.map((s) => s.title)))];
    const title = Object.fromEntries(entries.map((q) => [q.entry_id, q.question]));
    const named = (id) => (title[id] ? `${title[id]} (${id})` : id);
    const list = (path, rules, text) => (rules.length ? el("ul", { class: "team-rules" }, rules.map((r) => card(path, r, text(r))))
      : el("p", { class: "team-empty", text: "None yet." }));
    root.replaceChildren(
      el("datalist", { id: "rule-entries" }, entries.map((q) => el("option", { value: q.entry_id, text: q.question }))),
      el("datalist", { id: "rule-sections" }, sections.map((s) => el("option", { value: s }))),
      el("section", { class: "team-card" }, el("h2", { text: "Try a question" }), tryBox()),
      el("h2", { text: `Synonyms (${synonyms.length})` }),
      list("synonyms", synonyms, (s) => `${s.lang}: ${s.targets.length ? `${s.terms.join(", ")} → ${s.targets.join(", ")}` : s.terms.join(" = ")}`),
      form("synonym", [["lang", "Language (de, fr…)"], ["terms", "Terms, comma-separated"], ["targets", "One way to (optional)"]],
        (v) => postJSON("/v1/admin/synonyms", { lang: v.lang, terms: split(v.terms), targets: split(v.targets) })),
      el("h2", { text: `Pinned answers (${pins.length})` }),
      list("pins", pins, (p) => `${p.examples.join(" / ")} → ${p.kind === "never" ? "never answer" : named(p.entry_id)}`),
      form("pin", [["kind", "Kind", "select", ["answer", "never"]], ["entry_id", "Entry id (answer pins)", "input", "rule-entries"],
        ["examples", "Example questions, one a line", "textarea"]],
        (v) => postJSON("/v1/admin/pins", { kind: v.kind, examples: split(v.examples), entry_id: v.entry_id.trim() || null })),
      el("h2", { text: `Hidden (${hidden.length})` }),
      list("hidden", hidden, (h) => (h.entry_id ? `entry ${named(h.entry_id)}` : `section ${h.section}`)),
      form("hidden", [["entry_id", "Entry id", "input", "rule-entries"], ["section", "or a section", "input", "rule-sections"]],
        (v) => postJSON("/v1/admin/hidden", { entry_id: v.entry_id.trim() || null, section: v.section.trim() || null })),
    );
  } catch (err) {
    say(err.message);
  }
}
