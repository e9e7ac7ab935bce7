// Explore: run a PromQL query, see a graph (stacked or not) or a table.
// The query, range, end, resolution, tab and stacking live in the URL.

import { h, replace, errorBox, store } from "../dom.js";
import * as api from "../api.js";
import { TimeChart, matrixToSeries } from "../chart.js";
import { editor, errorPosition } from "../editor.js";
import { valueTable } from "../panels.js";
import { fmtValue, fmtDateTime, parseDuration, seriesName } from "../format.js";
import { RANGES, autoStep } from "../timerange.js";

const HISTORY = "telltale.history";
const MAX_HISTORY = 50;
const MAX_SERIES = 500;

function remember(q) {
  const h0 = store.get(HISTORY, []).filter((x) => x !== q);
  h0.unshift(q);
  store.set(HISTORY, h0.slice(0, MAX_HISTORY));
}

/** Mounts the page. */
export async function mount(main) {
  const p = new URLSearchParams(location.search);
  const st = {
    q: p.get("q") || p.get("g0.expr") || "",
    range: p.get("range") || "1h",
    end: p.get("end") || "",
    step: p.get("step") || "",
    tab: p.get("tab") === "table" ? "table" : "graph",
    stacked: p.get("stacked") === "1",
    unit: p.get("unit") || "",
  };
  const ed = editor({ value: st.q, onRun: (q) => { st.q = q; run(); } });
  const rangeIn = h("input", { list: "ranges", value: st.range, size: 5, "aria-label": "Range", title: "Range (e.g. 1h, 30m, 7d)" });
  const endIn = h("input", { type: "datetime-local", "aria-label": "End time", title: "End (empty = now)" });
  if (st.end) {
    const d = new Date(st.end);
    if (!isNaN(d)) endIn.value = new Date(d - d.getTimezoneOffset() * 60e3).toISOString().slice(0, 16);
  }
  const stepIn = h("input", { value: st.step, size: 6, placeholder: "auto", "aria-label": "Resolution", title: "Resolution in seconds or a duration (empty = auto)" });
  const stackIn = h("input", { type: "checkbox", checked: st.stacked, id: "stacked" });
  const unitSel = h("select", { "aria-label": "Unit" }, ["", "short", "bytes", "Bps", "bps", "percent", "percentunit", "s", "ms", "reqps"]
    .map((u) => h("option", { value: u, selected: u === st.unit }, u || "unit: auto")));
  const runBtn = h("button", { type: "button", class: "primary", id: "run", onclick: () => { st.q = ed.value(); run(); } }, "Run");
  const tabs = h("div", { class: "tabs" },
    ["graph", "table"].map((t) => h("button", { type: "button", class: "tab" + (st.tab === t ? " active" : ""), "data-tab": t,
      onclick: () => { st.tab = t; for (const b of tabs.children) b.classList.toggle("active", b.dataset.tab === t); run(); } },
    t[0].toUpperCase() + t.slice(1))));
  const info = h("div", { class: "muted query-info" });
  const out = h("div", { class: "explore-out", id: "explore-out" });
  const histBox = h("div", { class: "history" });
  let chart = null;

  const renderHistory = () => {
    const list = store.get(HISTORY, []);
    replace(histBox, list.length ? [h("h2", null, "History"), h("ul", null, list.map((q) => h("li", null,
      h("a", { href: "#", class: "mono", onclick: (e) => { e.preventDefault(); ed.setValue(q); st.q = q; run(); } }, q))))] : null);
  };

  const writeURL = () => {
    const u = new URLSearchParams();
    u.set("q", st.q);
    u.set("range", st.range);
    if (st.end) u.set("end", st.end);
    if (st.step) u.set("step", st.step);
    u.set("tab", st.tab);
    if (st.stacked) u.set("stacked", "1");
    if (st.unit) u.set("unit", st.unit);
    history.replaceState(null, "", "/explore?" + u.toString());
  };

  async function run() {
    st.range = rangeIn.value.trim() || "1h";
    st.step = stepIn.value.trim();
    st.stacked = stackIn.checked;
    st.unit = unitSel.value;
    st.end = endIn.value ? new Date(endIn.value).toISOString() : "";
    writeURL();
    ed.hideError();
    const q = st.q.trim();
    if (!q) { replace(out, h("p", { class: "muted" }, "Type a PromQL expression and press Enter.")); return; }
    const rangeS = parseDuration(st.range);
    if (!Number.isFinite(rangeS) || rangeS <= 0) { ed.showError("invalid range " + JSON.stringify(st.range)); return; }
    const end = st.end ? Date.parse(st.end) : Date.now();
    const r = { start: end - rangeS * 1000, end };
    let step = st.step ? (Number(st.step) || parseDuration(st.step)) : autoStep(r, 500);
    if (!Number.isFinite(step) || step <= 0) { ed.showError("invalid resolution " + JSON.stringify(st.step)); return; }
    step = Math.max(step, Math.ceil(rangeS / 11000));
    remember(q);
    renderHistory();
    const t0 = performance.now();
    out.dataset.state = "loading";
    try {
      if (st.tab === "graph") {
        const data = await api.queryRange(q, r.start / 1000, r.end / 1000, step);
        const took = performance.now() - t0;
        const series = data.resultType === "matrix" ? matrixToSeries(data.result.slice(0, MAX_SERIES), seriesName) : [];
        if (!chart) { replace(out); chart = new TimeChart(out, { unit: st.unit, stacked: st.stacked, height: 360 }); }
        chart.opts.unit = st.unit;
        chart.opts.stacked = st.stacked;
        const drawMs = chart.setData(series, r, step * 1000);
        const pts = series.reduce((n, s) => n + s.t.length, 0);
        replace(info, `${data.result.length} series, ${pts} points, resolution ${step}s, query ${took.toFixed(0)} ms, draw ${drawMs.toFixed(1)} ms` +
          (data.result.length > MAX_SERIES ? ` (showing the first ${MAX_SERIES})` : ""));
        out.dataset.series = String(series.length);
      } else {
        if (chart) { chart.destroy(); chart = null; }
        const data = await api.query(q, end / 1000);
        const took = performance.now() - t0;
        renderTable(data);
        replace(info, `${data.resultType}, ${Array.isArray(data.result) ? data.result.length : 1} results at ${fmtDateTime(end)}, query ${took.toFixed(0)} ms`);
      }
      out.dataset.state = "done";
    } catch (e) {
      out.dataset.state = "error";
      // A stale result under an error would mislead: clear it.
      if (chart) { chart.destroy(); chart = null; }
      replace(out, h("p", { class: "muted" }, "No result: the query failed."));
      ed.showError(e.message, errorPosition(e.message, st.q));
      replace(info);
    }
  }

  function renderTable(data) {
    const rt = data.resultType;
    let rows = [];
    if (rt === "vector") rows = data.result.map((x) => ({ labels: x.metric, v: parseFloat(x.value[1]) }));
    else if (rt === "scalar" || rt === "string") {
      replace(out, h("table", { class: "data" }, h("tbody", null, h("tr", null, h("td", null, rt),
        h("td", { class: "num" }, rt === "scalar" ? fmtValue(parseFloat(data.result[1]), st.unit) : data.result[1])))));
      out.dataset.series = "1";
      return;
    } else if (rt === "matrix") {
      replace(out, h("div", { class: "table-wrap" }, h("table", { class: "data" }, h("tbody", null,
        data.result.slice(0, 1000).map((x) => h("tr", null, h("td", { class: "mono" }, seriesName(x.metric)),
          h("td", { class: "mono" }, x.values.map((v) => v[1] + " @" + v[0]).join("\n"))))))));
      out.dataset.series = String(data.result.length);
      return;
    }
    out.dataset.series = String(rows.length);
    replace(out, rows.length ? valueTable(rows, st.unit) : h("p", { class: "muted" }, "Empty result."));
  }

  replace(main,
    h("div", { class: "page-head" }, h("h1", null, "Explore")),
    h("datalist", { id: "ranges" }, RANGES.map((r) => h("option", { value: r }))),
    h("div", { class: "card" },
      ed.el,
      h("div", { class: "toolbar" }, runBtn,
        h("label", null, "Range ", rangeIn), h("label", null, "End ", endIn), h("label", null, "Resolution ", stepIn),
        h("label", null, stackIn, " Stacked"), unitSel)),
    tabs, info, out, histBox);
  for (const el of [rangeIn, stepIn, endIn]) el.addEventListener("change", () => { if (st.q) run(); });
  stackIn.addEventListener("change", () => { if (st.q) run(); });
  unitSel.addEventListener("change", () => { if (st.q) run(); });
  renderHistory();
  if (st.q) run(); else replace(out, h("p", { class: "muted" }, "Type a PromQL expression and press Enter. Completion offers metric names, functions, label names and values."));
  ed.input.focus();
  return () => { if (chart) chart.destroy(); };
}
