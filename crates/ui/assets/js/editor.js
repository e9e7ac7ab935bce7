// The PromQL editor: a textarea with completion of metric names, functions,
// label names and label values, read from the Prometheus API.

import { h, replace } from "./dom.js";
import * as api from "./api.js";

/** PromQL functions and aggregations, offered beside metric names. */
export const FUNCTIONS = [
  "abs", "absent", "absent_over_time", "avg", "avg_over_time", "bottomk", "ceil", "changes", "clamp",
  "clamp_max", "clamp_min", "count", "count_over_time", "count_values", "day_of_month", "day_of_week",
  "day_of_year", "days_in_month", "delta", "deriv", "exp", "floor", "group", "histogram_avg",
  "histogram_count", "histogram_fraction", "histogram_quantile", "histogram_sum", "holt_winters", "hour",
  "idelta", "increase", "irate", "label_join", "label_replace", "last_over_time", "ln", "log10", "log2",
  "max", "max_over_time", "min", "min_over_time", "minute", "month", "predict_linear",
  "present_over_time", "quantile", "quantile_over_time", "rate", "resets", "round", "scalar", "sgn",
  "sort", "sort_by_label", "sort_by_label_desc", "sort_desc", "sqrt", "stddev", "stddev_over_time",
  "stdvar", "stdvar_over_time", "sum", "sum_over_time", "time", "timestamp", "topk", "vector", "year",
];
const KEYWORDS = ["by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or", "unless"];
const MAX_ITEMS = 50;

const cache = new Map();
async function cached(key, fn) {
  if (!cache.has(key)) cache.set(key, fn().catch((e) => { cache.delete(key); throw e; }));
  return cache.get(key);
}

/** Metric names (cached for the page's life). */
export function metricNames() {
  return cached("names", () => api.v1("label/__name__/values"));
}

/**
 * What to complete at `pos` in `text`: {kind: "metric"|"label"|"value",
 * prefix, from, metric, label}.
 */
export function context(text, pos) {
  const before = text.slice(0, pos);
  // Inside braces?
  let depth = 0, open = -1, inStr = false;
  for (let i = 0; i < before.length; i++) {
    const c = before[i];
    if (inStr) { if (c === "\\") i++; else if (c === inStr) inStr = false; continue; }
    if (c === '"' || c === "'" || c === "`") { inStr = c; continue; }
    if (c === "{") { depth++; open = i; } else if (c === "}") { depth = Math.max(0, depth - 1); }
  }
  if (depth > 0 && open >= 0) {
    const metric = (/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*$/.exec(before.slice(0, open)) || [])[1] || "";
    const inside = before.slice(open + 1);
    const val = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)$/.exec(inside);
    if (val) return { kind: "value", label: val[1], prefix: val[3], from: pos - val[3].length, metric };
    if (inStr) return null;
    const lab = /(?:^|[{,\s])([a-zA-Z_][a-zA-Z0-9_]*)?$/.exec(inside);
    if (lab) return { kind: "label", prefix: lab[1] || "", from: pos - (lab[1] || "").length, metric };
    return null;
  }
  if (inStr) return null;
  // by (...) / without (...) label lists.
  const grp = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)$/.exec(before);
  if (grp) {
    const p = (/([a-zA-Z_][a-zA-Z0-9_]*)$/.exec(grp[1]) || ["", ""])[1];
    return { kind: "label", prefix: p, from: pos - p.length, metric: "" };
  }
  if (/\[[^\]]*$/.test(before)) return null;
  const m = /([a-zA-Z_:][a-zA-Z0-9_:]*)$/.exec(before);
  if (!m) return null;
  return { kind: "metric", prefix: m[1], from: pos - m[1].length };
}

async function candidates(ctx) {
  const p = ctx.prefix.toLowerCase();
  const match = (arr) => {
    const starts = arr.filter((x) => x.toLowerCase().startsWith(p));
    const contains = p ? arr.filter((x) => !x.toLowerCase().startsWith(p) && x.toLowerCase().includes(p)) : [];
    return [...starts, ...contains];
  };
  if (ctx.kind === "metric") {
    const names = await metricNames();
    return [...match(FUNCTIONS).map((f) => ({ text: f, kind: "fn" })),
      ...match(KEYWORDS).map((f) => ({ text: f, kind: "kw" })),
      ...match(names).map((n) => ({ text: n, kind: "metric" }))];
  }
  if (ctx.kind === "label") {
    const names = await cached("labels:" + ctx.metric, () => api.v1("labels", ctx.metric ? { "match[]": ctx.metric } : {}));
    return match(names.filter((n) => n !== "__name__")).map((n) => ({ text: n, kind: "label" }));
  }
  const vals = await cached("values:" + ctx.metric + ":" + ctx.label, () =>
    api.v1("label/" + encodeURIComponent(ctx.label) + "/values", ctx.metric ? { "match[]": ctx.metric } : {}));
  return match(vals).map((v) => ({ text: v.replace(/\\/g, "\\\\").replace(/"/g, '\\"'), kind: "value" }));
}

/**
 * An editor element. opts: {value, onRun(text)}. Returns {el, input,
 * value(), setValue(s), showError(msg, pos)}.
 */
export function editor(opts) {
  const input = h("textarea", { class: "promql mono", rows: 2, spellcheck: "false", autocomplete: "off",
    "aria-label": "PromQL expression", placeholder: "Expression (Enter to run, Shift+Enter for a new line)", id: "expr" });
  input.value = opts.value || "";
  const list = h("ul", { class: "completions", hidden: true, role: "listbox" });
  const err = h("div", { class: "query-error", hidden: true });
  let items = [], sel = 0, ctxNow = null, seq = 0;

  const close = () => { list.hidden = true; items = []; };
  const accept = (i) => {
    const it = items[i];
    if (!it || !ctxNow) return;
    const v = input.value, end = input.selectionStart;
    let text = it.text;
    if (it.kind === "fn") text += "(";
    input.value = v.slice(0, ctxNow.from) + text + v.slice(end);
    const caret = ctxNow.from + text.length;
    input.setSelectionRange(caret, caret);
    close();
    input.focus();
  };
  const show = () => {
    replace(list, items.slice(0, MAX_ITEMS).map((it, i) => h("li", {
      class: i === sel ? "sel" : "", role: "option",
      onmousedown: (e) => { e.preventDefault(); accept(i); },
    }, h("span", { class: "ckind ckind-" + it.kind }, it.kind), it.text)));
    list.hidden = items.length === 0;
    const s = list.children[sel];
    if (s && s.scrollIntoView) s.scrollIntoView({ block: "nearest" });
  };
  const complete = async (force) => {
    const ctx = context(input.value, input.selectionStart);
    const my = ++seq;
    if (!ctx || (!force && ctx.kind === "metric" && ctx.prefix.length < 1)) { close(); return; }
    let c = [];
    try { c = await candidates(ctx); } catch (e) { c = []; }
    if (my !== seq) return;
    ctxNow = ctx;
    items = c.filter((x) => x.text !== ctx.prefix).slice(0, MAX_ITEMS);
    sel = 0;
    show();
  };
  input.addEventListener("input", () => { err.hidden = true; input.classList.remove("has-error"); complete(false); });
  input.addEventListener("blur", () => setTimeout(close, 150));
  input.addEventListener("keydown", (e) => {
    const open = !list.hidden && items.length;
    if (open && e.key === "ArrowDown") { sel = (sel + 1) % items.length; show(); e.preventDefault(); }
    else if (open && e.key === "ArrowUp") { sel = (sel - 1 + items.length) % items.length; show(); e.preventDefault(); }
    else if (open && (e.key === "Tab" || (e.key === "Enter" && !e.shiftKey))) { accept(sel); e.preventDefault(); }
    else if (open && e.key === "Escape") { close(); e.preventDefault(); }
    else if (e.key === " " && e.ctrlKey) { complete(true); e.preventDefault(); }
    else if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); close(); opts.onRun(input.value); }
  });
  const el = h("div", { class: "editor" }, input, list, err);
  return {
    el, input,
    value: () => input.value,
    setValue: (s) => { input.value = s; },
    /** Shows an error; `pos` (a 0-based offset) draws a caret under it. */
    showError(msg, pos) {
      const kids = [h("div", null, msg)];
      if (Number.isInteger(pos) && pos >= 0) {
        const q = input.value;
        const lineStart = q.lastIndexOf("\n", pos - 1) + 1;
        let lineEnd = q.indexOf("\n", pos);
        if (lineEnd < 0) lineEnd = q.length;
        kids.push(h("pre", { class: "caret mono" }, q.slice(lineStart, lineEnd) + "\n" + " ".repeat(Math.max(0, pos - lineStart)) + "^"));
        input.classList.add("has-error");
      }
      replace(err, kids);
      err.hidden = false;
    },
    hideError() { err.hidden = true; input.classList.remove("has-error"); },
  };
}

/** Finds the offset an error message refers to, if it says. */
export function errorPosition(msg, query) {
  let m = /(?:position|pos|offset|char(?:acter)?)\s*:?\s*(\d+)/i.exec(msg);
  if (m) return Math.min(query.length, parseInt(m[1], 10));
  m = /\b(\d+):(\d+)\b/.exec(msg);
  if (m) {
    const line = parseInt(m[1], 10), col = parseInt(m[2], 10);
    const lines = query.split("\n");
    if (line >= 1 && line <= lines.length) {
      let off = 0;
      for (let i = 0; i < line - 1; i++) off += lines[i].length + 1;
      return Math.min(query.length, off + Math.max(0, col - 1));
    }
  }
  if (/end of input|unexpected eof|unclosed|unexpected <?eof/i.test(msg)) return query.length;
  return null;
}
