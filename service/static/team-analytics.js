// /team/analytics: what GET /v1/analytics returns, for people (the session cookie authorizes the fetch).
import { el, getJSON } from "./common.js";
import { barChart } from "./team-chart.js";
import { say, table } from "./team-session.js";

const pct = (v) => (v === null || v === undefined ? "—" : `${Math.round(v * 100)} %`);

function kpi(label, value) {
  return el("div", { class: "team-kpi" }, el("span", { class: "team-kpi-value", text: String(value) }), el("span", { class: "team-kpi-label", text: label }));
}

function render(data) {
  document.getElementById("kpis").replaceChildren(
    kpi("searches (a typing session counts once)", data.queries), kpi("unanswered", data.unanswered),
    kpi("helpful rate", pct(data.helpful_rate)), kpi("click-through", pct(data.click_through)));
  document.getElementById("chart").replaceChildren(barChart(data.per_day),
    el("p", { class: "team-legend" }, el("span", { class: "legend-key answered" }), " answered ", el("span", { class: "legend-key unanswered" }), " unanswered"));
  document.getElementById("gaps").replaceChildren(data.gaps.length ? el("ol", { class: "team-gaps" }, data.gaps.map((g) =>
    el("li", { class: "team-gap" }, el("strong", { text: g.question }), el("span", { class: "team-count", text: ` ${g.count}×` }),
      g.questions.length > 1 ? el("ul", {}, g.questions.slice(1).map((q) => el("li", { text: `${q.question} (${q.count}×)` }))) : null)))
    : el("p", { class: "team-empty", text: "No unanswered questions yet." }));
  document.getElementById("top").replaceChildren(table("Most asked questions", [["Question", (r) => r.question], ["Searches", (r) => r.count]],
    data.top_questions, "No searches yet."));
  document.getElementById("not-relevant").replaceChildren(table("Entries marked not relevant",
    [["Entry", (r) => r.question || r.entry_id], ["Times", (r) => r.count]], data.not_relevant_entries, "No entry was marked not relevant."));
  document.getElementById("langs").replaceChildren(table("Searches by language",
    [["Language", (r) => r.lang], ["Searches", (r) => r.queries], ["Unanswered", (r) => r.unanswered], ["Engaged", (r) => r.engaged]],
    data.by_language, "No searches yet."));
}

export async function load() {
  say("Loading…");
  try {
    render(await getJSON("/v1/analytics?limit=20"));
    say("");
  } catch (err) {
    say(err.message);
  }
}
