// The time-range picker and auto-refresh controls, kept in the URL.

import { h } from "./dom.js";
import { parseDuration, fmtDuration } from "./format.js";

/** The relative ranges offered. */
export const RANGES = ["5m", "15m", "30m", "1h", "3h", "6h", "12h", "1d", "2d", "7d", "14d", "30d"];
/** The refresh intervals offered ("" = off). */
export const REFRESHES = ["", "5s", "10s", "30s", "1m", "5m", "15m"];

/**
 * A range: {from: "1h"} relative to now, or {start, end} absolute (ms).
 * Returns {start, end} in ms for now.
 */
export function resolve(range) {
  if (range.start && range.end) return { start: range.start, end: range.end };
  const secs = parseDuration(range.from || "1h") || 3600;
  const end = Date.now();
  return { start: end - secs * 1000, end };
}

/** A step (seconds) giving about `points` points over the range, at least 1s. */
export function autoStep(r, points = 250) {
  const span = (r.end - r.start) / 1000;
  const raw = Math.max(1, span / points);
  const nice = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];
  return nice.find((n) => n >= raw) || Math.ceil(raw);
}

/** Reads a range and refresh from URL parameters (`from`, `start`, `end`, `refresh`). */
export function fromURL(params, dflt) {
  const start = Date.parse(params.get("start") || ""), end = Date.parse(params.get("end") || "");
  const range = Number.isFinite(start) && Number.isFinite(end) && end > start
    ? { start, end } : { from: params.get("from") || dflt.from || "1h" };
  const refresh = params.has("refresh") ? params.get("refresh") : (dflt.refresh || "");
  return { range, refresh };
}

/** Writes a range and refresh into URL parameters. */
export function toURL(params, range, refresh) {
  params.delete("from"); params.delete("start"); params.delete("end");
  if (range.start) {
    params.set("start", new Date(range.start).toISOString());
    params.set("end", new Date(range.end).toISOString());
  } else params.set("from", range.from);
  if (refresh) params.set("refresh", refresh); else params.set("refresh", "");
}

function localInput(ms) {
  const d = new Date(ms - new Date().getTimezoneOffset() * 60e3);
  return d.toISOString().slice(0, 16);
}

/**
 * The controls: a range select (with "custom…" showing two date inputs), a
 * refresh select and a refresh button. `state` = {range, refresh};
 * `onChange(state)` is called on every change and on the button.
 */
export function controls(state, onChange) {
  const custom = h("span", { class: "custom-range", hidden: !state.range.start });
  const r0 = resolve(state.range);
  const startIn = h("input", { type: "datetime-local", value: localInput(r0.start), "aria-label": "Start" });
  const endIn = h("input", { type: "datetime-local", value: localInput(r0.end), "aria-label": "End" });
  const apply = h("button", { type: "button", onclick: () => {
    const s = new Date(startIn.value).getTime(), e = new Date(endIn.value).getTime();
    if (Number.isFinite(s) && Number.isFinite(e) && e > s) {
      state.range = { start: s, end: e };
      onChange(state);
    }
  } }, "Apply");
  custom.append(startIn, " – ", endIn, apply);
  const cur = state.range.start ? "custom" : state.range.from;
  const opts = RANGES.includes(cur) || cur === "custom" ? RANGES : [cur, ...RANGES];
  const sel = h("select", { "aria-label": "Time range", class: "range-select", onchange: () => {
    if (sel.value === "custom") {
      custom.hidden = false;
      return;
    }
    custom.hidden = true;
    state.range = { from: sel.value };
    onChange(state);
  } }, opts.map((r) => h("option", { value: r, selected: r === cur }, "Last " + fmtDuration(parseDuration(r)))),
  h("option", { value: "custom", selected: cur === "custom" }, "Custom…"));
  const ref = h("select", { "aria-label": "Auto-refresh", onchange: () => {
    state.refresh = ref.value;
    onChange(state);
  } }, REFRESHES.map((r) => h("option", { value: r, selected: r === (state.refresh || "") }, r ? "Every " + r : "Refresh off")));
  const btn = h("button", { type: "button", title: "Refresh now", onclick: () => onChange(state) }, "↻");
  return h("span", { class: "timecontrols" }, sel, custom, ref, btn);
}

/** Runs `fn` every `refresh` (a duration string) until the returned stop is called. */
export function every(refresh, fn) {
  const secs = parseDuration(refresh || "");
  if (!Number.isFinite(secs) || secs <= 0) return () => {};
  const id = setInterval(() => { if (!document.hidden) fn(); }, Math.max(1, secs) * 1000);
  return () => clearInterval(id);
}
