// /team: the last regression check `faq ingest` ran before switching versions (GET /v1/admin/check).
import { el, getJSON } from "./common.js";
import { table } from "./team-session.js";

const box = document.getElementById("last-check");
const score = (v) => (v === null || v === undefined ? "—" : v.toFixed(3));
const fact = (found) => (found === true ? ", fact found" : found === false ? ", fact missing" : "");
const side = (s) => (s ? `${s.entry || "no entry"} (${s.outcome}${fact(s.fact_found)})` : "—");
const mark = (right) => (right === null || right === undefined ? "" : right ? "right" : "wrong");

function verdict(c) {
  if (c.passed) return c.served ? `Passed: version ${c.candidate} was switched to.` : `Version ${c.candidate} was the first one: nothing to compare with.`;
  if (c.forced) return `Refused, switched anyway (--force): ${c.reason}`;
  return `Refused: ${c.reason}`;
}

function render(c) {
  const parts = [
    el("p", { class: c.passed ? "" : "team-check-refused", text: verdict(c) }),
    el("p", { text: `Checked ${c.checked_at}: ${c.saved_questions} saved and ${c.logged_questions} most-asked logged questions, `
      + `hit@1 ${score(c.hit_at_1.before)} → ${score(c.hit_at_1.after)}, end to end ${score(c.end_to_end.before)} → ${score(c.end_to_end.after)}, `
      + `answer accuracy ${score(c.answer_accuracy.before)} → ${score(c.answer_accuracy.after)}, `
      + `${c.changed} changed.` }),
  ];
  if (c.note) parts.push(el("p", { class: "team-legend", text: c.note }));
  parts.push(table("Questions whose entry, outcome or fact found changed", [
    ["Question", (r) => (r.saved ? r.question : `${r.question} (asked ${r.asked}×)`)],
    ["Before", (r) => `${side(r.before)} ${mark(r.right_before)}`],
    ["After", (r) => `${side(r.after)} ${mark(r.right_after)}`],
  ], c.changes, "No question changed entry, outcome or fact found."));
  box.replaceChildren(...parts);
}

export async function load() {
  try {
    const { check } = await getJSON("/v1/admin/check");
    if (check) render(check);
    else box.replaceChildren(el("p", { class: "team-empty", text: "No check yet: faq ingest runs one before switching versions." }));
  } catch (err) {
    box.replaceChildren(el("p", { class: "team-empty", text: err.message }));
  }
}
