// Searches per day as an SVG bar chart, drawn here (no chart library, no CDN, no inline style).
const SVG = "http://www.w3.org/2000/svg";

function node(tag, attrs = {}, text) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  if (text !== undefined) n.textContent = text;
  return n;
}

/** `days`: [{day, queries, unanswered}], oldest first. Answered and unanswered are stacked. */
export function barChart(days) {
  const width = 720, height = 220, left = 36, right = 20, bottom = 28, top = 10;
  const max = Math.max(1, ...days.map((d) => d.queries));
  const step = (width - left - right) / Math.max(1, days.length);
  const scale = (v) => ((height - bottom - top) * v) / max;
  const total = days.reduce((s, d) => s + d.queries, 0);
  const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, class: "team-chart", role: "img",
    "aria-label": `Searches per day over the last ${days.length} days: ${total} in all` });
  for (const v of [0, Math.ceil(max / 2), max]) {
    const y = height - bottom - scale(v);
    svg.append(node("line", { x1: left, x2: width - right, y1: y, y2: y, class: "grid" }), node("text", { x: left - 6, y: y + 4, class: "axis end" }, v));
  }
  days.forEach((d, i) => {
    const x = left + i * step + step * 0.15, w = step * 0.7;
    const answered = d.queries - d.unanswered;
    const g = node("g", { class: "bar" });
    g.append(node("title", {}, `${d.day}: ${d.queries} searches, ${d.unanswered} unanswered`));
    g.append(node("rect", { x, width: w, y: height - bottom - scale(answered), height: scale(answered), class: "answered" }));
    g.append(node("rect", { x, width: w, y: height - bottom - scale(d.queries), height: scale(d.unanswered), class: "unanswered" }));
    svg.append(g);
    if (i % 5 === 0 || i === days.length - 1) svg.append(node("text", { x: x + w / 2, y: height - 8, class: "axis mid" }, d.day.slice(5)));
  });
  return svg;
}
