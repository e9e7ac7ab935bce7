// Dashboard panels: time series, stat, gauge, bar gauge and table.

import { h, replace, errorBox } from "./dom.js";
import * as api from "./api.js";
import { TimeChart, matrixToSeries } from "./chart.js";
import { fmtValue, legendName } from "./format.js";

const NAMED = {
  green: "#16a34a", "dark-green": "#15803d", yellow: "#eab308", orange: "#f97316", red: "#dc2626",
  "dark-red": "#b91c1c", blue: "#2563eb", purple: "#9333ea", "semi-dark-green": "#16a34a",
  "light-green": "#4ade80", "semi-dark-red": "#dc2626", "light-red": "#f87171", transparent: "transparent",
};

/** The colour for `v` given threshold steps (or the default accent). */
export function thresholdColor(v, steps) {
  let c = null;
  for (const s of steps || []) {
    if (s.value === null || s.value === undefined || v >= s.value) c = s.color;
  }
  if (!c) return "var(--accent)";
  return NAMED[c] || c;
}

/**
 * A panel's frame with its heading; `render(body)` fills it.
 * Returns {el, body}.
 */
export function frame(panel) {
  const body = h("div", { class: "panel-body" });
  const el = h("section", { class: "panel panel-" + (panel.type || "timeseries"), "data-title": panel.title },
    h("h3", { title: panel.description || null }, panel.title), body);
  const w = Math.max(1, Math.min(24, panel.width || 12));
  el.style.setProperty("--span", String(w));
  if (w <= 8 && panel.type && panel.type !== "timeseries" && panel.type !== "table") el.classList.add("narrow");
  return { el, body };
}

async function rangeSeries(panel, ctx) {
  const out = [];
  for (const t of panel.targets) {
    const expr = ctx.expand(t.expr);
    const data = await api.queryRange(expr, ctx.start / 1000, ctx.end / 1000, ctx.step);
    if (data.resultType !== "matrix") continue;
    out.push(...matrixToSeries(data.result, (m) => legendName(m, ctx.expand(t.legend || ""))));
  }
  return out;
}

async function instantValues(panel, ctx) {
  const out = [];
  for (const t of panel.targets) {
    const expr = ctx.expand(t.expr);
    const data = await api.query(expr, ctx.end / 1000);
    const name = (m) => legendName(m, ctx.expand(t.legend || "")) || "value";
    if (data.resultType === "vector") {
      for (const r of data.result) out.push({ name: name(r.metric), labels: r.metric, v: parseFloat(r.value[1]) });
    } else if (data.resultType === "scalar") {
      out.push({ name: t.legend || "value", labels: {}, v: parseFloat(data.result[1]) });
    }
  }
  return out;
}

/** Renders `panel` into `body` over ctx = {start, end, step, expand}. */
export async function renderPanel(panel, body, ctx) {
  try {
    switch (panel.type || "timeseries") {
      case "stat": return await stat(panel, body, ctx);
      case "gauge": return await gauge(panel, body, ctx);
      case "bargauge": return await bargauge(panel, body, ctx);
      case "table": return await table(panel, body, ctx);
      default: return await timeseries(panel, body, ctx);
    }
  } catch (e) {
    if (body._chart) { body._chart.destroy(); body._chart = null; }
    replace(body, errorBox(e.message));
    return null;
  }
}

async function timeseries(panel, body, ctx) {
  const series = await rangeSeries(panel, ctx);
  if (!body._chart) {
    replace(body);
    body._chart = new TimeChart(body, {
      unit: panel.unit, stacked: panel.stacked, legend: panel.legend !== false,
      min: panel.min, max: panel.max, height: ctx.height || 200,
    });
  }
  body.dataset.series = String(series.length);
  body.dataset.points = String(series.reduce((n, s) => n + s.t.length, 0));
  body._chart.setData(series, { start: ctx.start, end: ctx.end }, ctx.step * 1000);
  if (!series.length) body.dataset.empty = "1"; else delete body.dataset.empty;
  return body._chart;
}

// Stat, gauge and bar gauge show the value at the end of the range.
const latest = instantValues;

async function stat(panel, body, ctx) {
  const vals = await latest(panel, ctx);
  body.dataset.series = String(vals.length);
  if (!vals.length) return replace(body, h("div", { class: "nodata" }, "No data"));
  replace(body, h("div", { class: "stats" }, vals.slice(0, 24).map((x) =>
    h("div", { class: "stat" },
      h("div", { class: "stat-value", style: { color: thresholdColor(x.v, panel.thresholds) } }, fmtValue(x.v, panel.unit)),
      vals.length > 1 ? h("div", { class: "stat-name" }, x.name) : null))));
}

function arc(cx, cy, r, a0, a1) {
  const p = (a) => [cx + r * Math.cos(a), cy + r * Math.sin(a)];
  const [x0, y0] = p(a0), [x1, y1] = p(a1);
  return `M ${x0} ${y0} A ${r} ${r} 0 ${a1 - a0 > Math.PI ? 1 : 0} 1 ${x1} ${y1}`;
}

function svg(tag, attrs) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

function bounds(panel) {
  const pct = panel.unit === "percent";
  return { min: panel.min ?? 0, max: panel.max ?? (pct ? 100 : panel.unit === "percentunit" ? 1 : null) };
}

async function gauge(panel, body, ctx) {
  const vals = await latest(panel, ctx);
  body.dataset.series = String(vals.length);
  if (!vals.length) return replace(body, h("div", { class: "nodata" }, "No data"));
  const b = bounds(panel);
  const max = b.max ?? Math.max(...vals.map((x) => x.v)) * 1.2;
  const items = vals.slice(0, 12).map((x) => {
    const frac = Math.max(0, Math.min(1, (x.v - b.min) / ((max - b.min) || 1)));
    const a0 = Math.PI * 0.75, a1 = Math.PI * 2.25;
    const s = svg("svg", { viewBox: "0 0 120 100", class: "gauge-svg", role: "img" });
    s.appendChild(svg("path", { d: arc(60, 60, 46, a0, a1), class: "gauge-track", fill: "none", "stroke-width": "10" }));
    if (frac > 0.001) {
      s.appendChild(svg("path", { d: arc(60, 60, 46, a0, a0 + (a1 - a0) * frac), fill: "none", "stroke-width": "10",
        stroke: thresholdColor(x.v, panel.thresholds) }));
    }
    const t = svg("text", { x: "60", y: "66", "text-anchor": "middle", class: "gauge-text" });
    t.textContent = fmtValue(x.v, panel.unit);
    s.appendChild(t);
    return h("div", { class: "gauge" }, s, vals.length > 1 ? h("div", { class: "stat-name" }, x.name) : null);
  });
  replace(body, h("div", { class: "gauges" }, items));
}

async function bargauge(panel, body, ctx) {
  const vals = await latest(panel, ctx);
  body.dataset.series = String(vals.length);
  if (!vals.length) return replace(body, h("div", { class: "nodata" }, "No data"));
  const b = bounds(panel);
  const max = b.max ?? Math.max(...vals.map((x) => x.v));
  vals.sort((a, c) => c.v - a.v);
  replace(body, h("div", { class: "bars" }, vals.slice(0, 50).map((x) => {
    const frac = Math.max(0, Math.min(1, (x.v - b.min) / ((max - b.min) || 1)));
    return h("div", { class: "bar-row" },
      h("div", { class: "bar-name", title: x.name }, x.name),
      h("div", { class: "bar-track" },
        h("div", { class: "bar-fill", style: { width: (frac * 100).toFixed(1) + "%", background: thresholdColor(x.v, panel.thresholds) } })),
      h("div", { class: "bar-val" }, fmtValue(x.v, panel.unit)));
  })));
}

/** A sortable table of rows [{labels, v}] with label columns. */
export function valueTable(rows, unit, limit = 1000) {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r.labels)))].filter((c) => c !== "__name__").sort();
  const hasName = rows.some((r) => r.labels.__name__);
  if (hasName) cols.unshift("__name__");
  let sortCol = "Value", asc = false;
  const tbody = h("tbody");
  const fill = () => {
    const sorted = [...rows].sort((a, b) => {
      const x = sortCol === "Value" ? a.v : a.labels[sortCol] || "", y = sortCol === "Value" ? b.v : b.labels[sortCol] || "";
      return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
    });
    replace(tbody, sorted.slice(0, limit).map((r) => h("tr", null,
      cols.map((c) => h("td", null, r.labels[c] || "")),
      h("td", { class: "num" }, fmtValue(r.v, unit)))));
  };
  const head = h("tr", null, [...cols, "Value"].map((c) => h("th", {
    onclick: () => { if (sortCol === c) asc = !asc; else { sortCol = c; asc = c !== "Value"; } fill(); },
  }, c === "__name__" ? "metric" : c)));
  fill();
  return h("div", { class: "table-wrap" }, h("table", { class: "data" }, h("thead", null, head), tbody),
    rows.length > limit ? h("p", { class: "muted" }, `Showing ${limit} of ${rows.length} rows.`) : null);
}

async function table(panel, body, ctx) {
  const vals = await instantValues(panel, ctx);
  body.dataset.series = String(vals.length);
  if (!vals.length) return replace(body, h("div", { class: "nodata" }, "No data"));
  replace(body, valueTable(vals, panel.unit));
}

