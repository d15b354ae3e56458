// The team pages' sign-in: the admin token is POSTed once and exchanged for an HttpOnly session cookie;
// it never goes into a URL, localStorage or the page. team.js calls signedIn() before a view loads its data.
import { el, getJSON, postJSON } from "./common.js";

const gate = document.getElementById("gate");
const statusLine = document.getElementById("team-status");
const signOutButton = document.getElementById("sign-out");

export function say(text) {
  statusLine.textContent = text || "";
}

/** Resolves once this browser has a team session (showing the sign-in form until then); never resolves when admin is off. */
export async function signedIn() {
  const state = await getJSON("/v1/admin/session");
  if (!state.enabled) {
    gate.replaceChildren(el("div", { class: "notice notice-warn", role: "alert" },
      el("p", { text: "Admin is off on this service, so the team pages have nothing to show." }),
      el("p", {}, "To turn it on, start the service with ", el("code", { text: "FAQ_ADMIN_TOKEN" }),
        " set to a long random secret (for example ", el("code", { text: "FAQ_ADMIN_TOKEN=$(openssl rand -hex 24) faq serve" }),
        "), then sign in here with that token.")));
    return new Promise(() => {});
  }
  if (state.signed_in) {
    showSignedIn();
    return;
  }
  return new Promise((resolve) => {
    const input = el("input", { id: "token", type: "password", autocomplete: "current-password", required: true, spellcheck: "false" });
    const error = el("p", { class: "status status-error", role: "alert" });
    const form = el("form", { class: "team-card team-signin", novalidate: true },
      el("label", { class: "field-label", for: "token", text: "Admin token" }), input,
      el("p", { class: "hint", text: "The FAQ_ADMIN_TOKEN the service was started with. It is sent once; the browser then keeps a session cookie for 8 hours." }),
      el("button", { type: "submit", class: "primary", text: "Sign in" }), error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      if (!input.value) {
        error.textContent = "Enter the admin token.";
        return;
      }
      try {
        await postJSON("/v1/admin/session", { token: input.value });
      } catch (err) {
        error.textContent = err.status === 403 ? "This token is not valid." : err.message;
        input.select();
        return;
      }
      input.value = "";
      gate.replaceChildren();
      showSignedIn();
      resolve();
    });
    gate.replaceChildren(form);
    input.focus();
  });
}

function showSignedIn() {
  signOutButton.hidden = false;
  const view = document.querySelector(`.team-view[data-view="${window.location.pathname}"]`);
  if (view) view.hidden = false;
}

signOutButton.addEventListener("click", async () => {
  await fetch("/v1/admin/session", { method: "DELETE" });
  window.location.assign("/team");
});

/** A small table: `columns` are [heading, row => cell]. */
export function table(caption, columns, rows, empty) {
  if (!rows.length) return el("p", { class: "team-empty", text: empty });
  return el("table", { class: "team-table" },
    el("caption", { class: "visually-hidden", text: caption }),
    el("thead", {}, el("tr", {}, columns.map(([h]) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, rows.map((r) => el("tr", {}, columns.map(([, cell]) => el("td", {}, cell(r)))))));
}
