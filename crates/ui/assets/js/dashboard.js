// Renders a dashboard: variables, time controls, rows of panels.

import { h, replace, errorBox } from "./dom.js";
import * as api from "./api.js";
import { frame, renderPanel } from "./panels.js";
import * as tr from "./timerange.js";
import { fmtDuration } from "./format.js";

const ALL = "$__all";

/** Parses `label_values(label)` or `label_values(selector, label)`. */
export function parseLabelValues(q) {
  const m = /^\s*label_values\s*\(\s*([\s\S]*?)\s*\)\s*$/.exec(q || "");
  if (!m) return null;
  const inner = m[1];
  const comma = inner.lastIndexOf(",");
  if (comma < 0) return { selector: "", label: inner.trim() };
  return { selector: inner.slice(0, comma).trim(), label: inner.slice(comma + 1).trim() };
}

function escapeRegex(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Replaces `$var`, `${var}`, `${var:raw}` and `[[var]]` in `s`. */
export function expand(s, vars) {
  if (!s) return s;
  const val = (name) => {
    if (!(name in vars)) return null;
    const v = vars[name];
    if (Array.isArray(v)) {
      if (v.includes(ALL)) return ".*";
      return v.length === 1 ? v[0] : "(" + v.map(escapeRegex).join("|") + ")";
    }
    return String(v);
  };
  return s.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (m, a, b, c) => {
    const r = val(a || b || c);
    return r === null ? m : r;
  });
}

async function variableValues(v, vars, range) {
  if (v.values && v.values.length) return v.values;
  const lv = parseLabelValues(v.query);
  if (!lv) return [];
  const params = { start: Math.floor(range.start / 1000), end: Math.ceil(range.end / 1000) };
  if (lv.selector) params["match[]"] = expand(lv.selector, vars);
  let vals = await api.v1("label/" + encodeURIComponent(lv.label) + "/values", params);
  if (v.regex) {
    try {
      const re = new RegExp(v.regex.replace(/^\/(.*)\/[a-z]*$/, "$1"));
      vals = vals.filter((x) => re.test(x));
    } catch (e) { /* a bad regex keeps every value */ }
  }
  return vals;
}

// A multi-value variable: a drop-down of checkboxes. Choosing "All" clears
// the others and the other way round.
function multiSelect(name, options, cur, onChange) {
  const summary = h("summary", { "data-var": name });
  const label = (vals) => (vals.includes(ALL) ? "All" : vals.join(", ") || "None");
  let chosen = [...cur];
  summary.textContent = label(chosen);
  const boxes = options.map((o) => {
    const cb = h("input", { type: "checkbox", value: o, checked: chosen.includes(o) });
    cb.addEventListener("change", () => {
      if (cb.checked && o === ALL) chosen = [ALL];
      else if (cb.checked) chosen = [...chosen.filter((x) => x !== ALL), o];
      else chosen = chosen.filter((x) => x !== o);
      if (!chosen.length && options.length) chosen = [options[0]];
      for (const b of boxes) b.checked = chosen.includes(b.value);
      summary.textContent = label(chosen);
      onChange(chosen);
    });
    return cb;
  });
  const el = h("details", { class: "multi" }, summary,
    h("div", null, options.map((o, i) => h("label", null, boxes[i], o === ALL ? "All" : o))));
  return el;
}

// Clicking elsewhere closes open multi-value drop-downs.
document.addEventListener("click", (e) => {
  for (const d of document.querySelectorAll("details.multi[open]")) if (!d.contains(e.target)) d.open = false;
});

/**
 * Mounts `dash` into `main`. opts: {banner: element above the panels}.
 * Returns a cleanup function.
 */
export function mountDashboard(main, dash, opts = {}) {
  const params = new URLSearchParams(location.search);
  const state = tr.fromURL(params, { from: dash.time || "1h", refresh: dash.refresh || "" });
  const vars = {};
  const varBar = h("div", { class: "variables" });
  const grid = h("div", { class: "rows" });
  let stopRefresh = () => {};
  let generation = 0;
  const panels = [];

  const writeURL = () => {
    const p = new URLSearchParams(location.search);
    tr.toURL(p, state.range, state.refresh);
    for (const v of dash.variables || []) {
      p.delete("var-" + v.name);
      for (const x of [].concat(vars[v.name] || [])) p.append("var-" + v.name, x === ALL ? "All" : x);
    }
    history.replaceState(null, "", location.pathname + "?" + p.toString());
  };

  const refreshPanels = async () => {
    const gen = ++generation;
    const r = tr.resolve(state.range);
    const step = tr.autoStep(r);
    const all = { ...vars };
    for (const [k, v] of Object.entries(vars)) all[k] = v;
    const span = (r.end - r.start) / 1000;
    all.__interval = fmtDuration(step);
    all.__interval_ms = String(step * 1000);
    all.__rate_interval = fmtDuration(Math.max(step + 15, 60));
    all.__range = fmtDuration(Math.round(span));
    all.__range_s = String(Math.round(span));
    const ctx = { start: r.start, end: r.end, step, expand: (s) => expand(s, all) };
    await Promise.all(panels.map(async ({ panel, body, row }) => {
      if (row.collapsed) return;
      if (gen !== generation) return;
      await renderPanel(panel, body, ctx);
    }));
    main.dataset.rendered = String(gen);
  };

  const fillVariables = async () => {
    const r = tr.resolve(state.range);
    const bar = [];
    for (const v of dash.variables || []) {
      let values = [];
      let err = null;
      try { values = await variableValues(v, vars, r); } catch (e) { err = e.message; }
      // The current choice if there is one, else the URL's.
      const wanted = v.name in vars
        ? [].concat(vars[v.name])
        : params.getAll("var-" + v.name).map((x) => (x === "All" ? ALL : x));
      const options = v.include_all ? [ALL, ...values] : values;
      let cur = wanted.filter((x) => options.includes(x));
      if (!cur.length) cur = options.length ? [options[0]] : [];
      vars[v.name] = v.multi || v.include_all ? cur : (cur[0] ?? "");
      const choose = async (chosen) => {
        vars[v.name] = v.multi || v.include_all ? chosen : chosen[0];
        // Later variables may depend on this one: recompute their options.
        const later = (dash.variables || []).slice((dash.variables || []).indexOf(v) + 1);
        if (later.some((x) => (x.query || "").includes("$"))) await fillVariables();
        writeURL();
        await refreshPanels();
      };
      const sel = v.multi
        ? multiSelect(v.name, options, cur, choose)
        : h("select", { "aria-label": v.label || v.name, "data-var": v.name,
          onchange: () => choose([sel.value]) },
        options.map((o) => h("option", { value: o, selected: cur.includes(o) }, o === ALL ? "All" : o)));
      bar.push(h("label", { class: "variable" }, h("span", null, v.label || v.name), sel,
        err ? h("span", { class: "error-inline", title: err }, "!") : null));
    }
    replace(varBar, bar);
  };

  const onTime = async () => {
    stopRefresh();
    stopRefresh = tr.every(state.refresh, refreshPanels);
    writeURL();
    await refreshPanels();
  };

  const header = h("div", { class: "page-head" },
    h("div", null, h("h1", null, dash.title), dash.description ? h("p", { class: "muted" }, dash.description) : null),
    tr.controls(state, onTime));
  const warnings = (dash.warnings || []).length
    ? h("details", { class: "warnings" }, h("summary", null, dash.warnings.length + " parts could not be imported"),
      h("ul", null, dash.warnings.map((w) => h("li", null, w))))
    : null;
  for (const row of dash.rows || []) {
    const rowGrid = h("div", { class: "panel-grid", hidden: row.collapsed || null });
    for (const panel of row.panels || []) {
      const f = frame(panel);
      rowGrid.appendChild(f.el);
      panels.push({ panel, body: f.body, row });
    }
    const title = row.title
      ? h("h2", { class: "row-title", onclick: () => {
        row.collapsed = !row.collapsed;
        rowGrid.hidden = row.collapsed;
        if (!row.collapsed) refreshPanels();
      } }, (row.collapsed ? "▸ " : "▾ ") + row.title)
      : null;
    grid.append(h("div", { class: "row" }, title, rowGrid));
  }
  replace(main, header, opts.banner || null, varBar, warnings, grid);
  (async () => {
    try {
      await fillVariables();
      writeURL();
      await onTime();
    } catch (e) {
      main.prepend(errorBox(e.message));
    }
  })();
  return () => { stopRefresh(); generation++; };
}
