// /team/phrasings: accept or reject the phrasings agents' "used" verdicts proposed.
import { el, getJSON, postJSON } from "./common.js";
import { say } from "./team-session.js";

const list = document.getElementById("phrasings");

function row(p) {
  const state = el("span", { class: `team-state team-state-${p.status}`, text: p.status });
  const buttons = el("span", { class: "team-actions" });
  const accept = el("button", { type: "button", class: "primary", text: "Accept", onclick: () => review(true) });
  const reject = el("button", { type: "button", class: "secondary", text: "Reject", onclick: () => review(false) });
  const show = (status) => {
    state.className = `team-state team-state-${status}`;
    state.textContent = status;
    accept.disabled = status === "accepted";
    reject.disabled = status === "rejected";
  };
  async function review(yes) {
    try {
      const done = await postJSON(`/v1/admin/phrasings/${p.id}`, { accept: yes });
      show(done.status);
      say(`“${p.text}” ${done.status}.`);
    } catch (err) {
      say(err.message);
    }
  }
  buttons.append(accept, reject);
  show(p.status);
  return el("li", { class: "team-card team-phrasing" },
    el("p", { class: "team-phrasing-text", text: `“${p.text}”` }),
    el("p", { class: "team-phrasing-entry" }, "as a phrasing of: ", el("strong", { text: p.entry_question || p.entry_id })),
    el("p", {}, state, " ", buttons));
}

export async function load() {
  try {
    const phrasings = await getJSON("/v1/admin/phrasings");
    const open = phrasings.filter((p) => p.status === "candidate");
    const reviewed = phrasings.filter((p) => p.status !== "candidate");
    const parts = [
      el("h2", { text: `To review (${open.length})` }),
      open.length ? el("ul", { class: "team-phrasings" }, open.map(row)) : el("p", { class: "team-empty", text: "Nothing to review." }),
    ];
    if (reviewed.length) parts.push(el("h2", { text: `Reviewed (${reviewed.length})` }), el("ul", { class: "team-phrasings" }, reviewed.map(row)));
    list.replaceChildren(...parts);
  } catch (err) {
    say(err.message);
  }
}
