// The team pages (/team, /team/analytics, /team/phrasings, /team/rules): one page, the view picked by the path.
import { say, signedIn } from "./team-session.js";

const VIEWS = {
  "/team": async () => {
    say("Signed in.");
    await (await import("./team-check.js")).load();
  },
  "/team/analytics": async () => (await import("./team-analytics.js")).load(),
  "/team/phrasings": async () => (await import("./team-phrasings.js")).load(),
  "/team/rules": async () => (await import("./team-rules.js")).load(),
};

const path = window.location.pathname.replace(/\/+$/, "") || "/team";
const view = document.querySelector(`.team-view[data-view="${path}"]`);
if (view) {
  document.getElementById("team-title").textContent = view.dataset.title;
  document.title = `${view.dataset.title} — support team`;
}

await signedIn();
await (VIEWS[path] || VIEWS["/team"])();
