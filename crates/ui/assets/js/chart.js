// A canvas time-series chart: per-pixel-column min/max decimation (so 50
// series of 10,000 points draw in a few milliseconds), stacking, a hover
// crosshair listing every visible series, a legend that toggles series,
// unit-aware axes and theme colours from CSS variables.

import { h, replace } from "./dom.js";
import { fmtValue, fmtTime, fmtDateTime } from "./format.js";

/** The series colours, in order. */
export const PALETTE = [
  "#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899", "#84cc16",
  "#f97316", "#6366f1", "#14b8a6", "#eab308", "#a855f7", "#22c55e", "#0ea5e9", "#e11d48",
  "#64748b", "#d946ef", "#65a30d", "#b45309",
];

const PAD = { left: 64, right: 12, top: 8, bottom: 22 };
const MAX_TOOLTIP = 25;
const MAX_LEGEND = 200;
/** Above this many points in a chart, lines are painted as pixel spans. */
const RASTER_POINTS = 60000;

function rgba32(color) {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  const n = m ? parseInt(m[1], 16) : 0x3b82f6;
  return (0xff000000 | ((n & 0xff) << 16) | (n & 0xff00) | ((n >> 16) & 0xff)) >>> 0;
}

/** Draw times of every chart, for tests and the status line. */
window.__telltaleDraws = window.__telltaleDraws || [];

function css(name, dflt) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || dflt;
}

// Axis labels: plain numbers share the decimals their step needs.
function axisLabel(v, unit, step) {
  if ((!unit || unit === "short" || unit === "none") && Math.abs(v) < 1000 && step >= 1e-4) {
    return v.toFixed(Math.max(0, Math.min(4, -Math.floor(Math.log10(step) + 1e-9))));
  }
  return fmtValue(v, unit, 2);
}

function niceStep(range, ticks) {
  const raw = range / Math.max(1, ticks);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * mag;
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
  43200, 86400, 172800, 604800, 2592000].map((s) => s * 1000);

function lowerBound(arr, x) {
  let lo = 0, hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/**
 * A chart in `container`. Options: unit, stacked, legend (bool), min, max,
 * height (CSS px).
 */
export class TimeChart {
  constructor(container, opts = {}) {
    this.opts = opts;
    this.series = [];
    this.hidden = new Set();
    this.range = null;
    this.lastDrawMs = 0;
    this.canvas = h("canvas", { class: "plot" });
    this.overlay = h("canvas", { class: "overlay" });
    this.tip = h("div", { class: "tooltip", hidden: true });
    this.legend = h("div", { class: "legend" });
    const box = h("div", { class: "plotbox", style: { height: (opts.height || 220) + "px" } },
      this.canvas, this.overlay, this.tip);
    this.root = h("div", { class: "chart" }, box, opts.legend === false ? null : this.legend);
    container.appendChild(this.root);
    this.box = box;
    this.overlay.addEventListener("mousemove", (e) => this.hover(e));
    this.overlay.addEventListener("mouseleave", () => this.unhover());
    this.overlay.addEventListener("touchstart", (e) => this.hover(e.touches[0]), { passive: true });
    this.overlay.addEventListener("touchmove", (e) => this.hover(e.touches[0]), { passive: true });
    this.resize = new ResizeObserver(() => this.draw());
    this.resize.observe(box);
    this.onTheme = () => this.draw();
    window.addEventListener("themechange", this.onTheme);
  }

  /**
   * Sets the data: series = [{name, labels, t: Float64Array (ms), v: Float64Array}],
   * range = {start, end} in ms, step in ms (gaps longer than 2 steps break lines).
   */
  setData(series, range, step) {
    const seen = new Map();
    this.series = series.map((s, i) => {
      const n = seen.get(s.name) || 0;
      seen.set(s.name, n + 1);
      const name = n ? s.name + " #" + (n + 1) : s.name;
      return { ...s, name, color: s.color || PALETTE[i % PALETTE.length] };
    });
    this.range = range;
    this.step = step || 0;
    this.hidden.clear();
    this.stackCache = null;
    this.renderLegend();
    return this.draw();
  }

  destroy() {
    this.resize.disconnect();
    window.removeEventListener("themechange", this.onTheme);
    this.root.remove();
  }

  visible() {
    return this.series.filter((s) => !this.hidden.has(s.name));
  }

  // For stacking: each visible series' values plus the sum of those before
  // it at the same timestamp.
  stacked(vis) {
    const base = new Map();
    return vis.map((s) => {
      const out = new Float64Array(s.v.length);
      for (let i = 0; i < s.v.length; i++) {
        const prev = base.get(s.t[i]) || 0;
        const v = s.v[i];
        out[i] = Number.isFinite(v) ? prev + v : NaN;
        if (Number.isFinite(v)) base.set(s.t[i], prev + v);
      }
      return { ...s, y: out };
    });
  }

  draw() {
    const t0 = performance.now();
    const dpr = window.devicePixelRatio || 1;
    const w = this.box.clientWidth, hgt = this.box.clientHeight;
    if (!w || !hgt || !this.range) return 0;
    for (const c of [this.canvas, this.overlay]) {
      if (c.width !== Math.round(w * dpr) || c.height !== Math.round(hgt * dpr)) {
        c.width = Math.round(w * dpr);
        c.height = Math.round(hgt * dpr);
      }
    }
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    const fg = css("--muted", "#667"), grid = css("--grid", "#ddd");
    const vis = this.visible();
    const drawn = this.opts.stacked ? this.stacked(vis) : vis.map((s) => ({ ...s, y: s.v }));
    this.drawn = drawn;
    // Y range.
    let lo = Infinity, hi = -Infinity;
    for (const s of drawn) {
      const y = s.y;
      for (let i = 0; i < y.length; i++) {
        const v = y[i];
        if (v === Infinity || v === -Infinity) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (this.opts.stacked && lo > 0) lo = 0;
    if (this.opts.min !== undefined && this.opts.min !== null) lo = this.opts.min;
    if (this.opts.max !== undefined && this.opts.max !== null) hi = this.opts.max;
    if (!isFinite(lo) || !isFinite(hi)) { lo = 0; hi = 1; }
    if (lo === hi) { lo = lo === 0 ? 0 : lo - Math.abs(lo) * 0.1; hi = hi === 0 ? 1 : hi + Math.abs(hi) * 0.1; }
    const ystep = niceStep(hi - lo, Math.max(2, Math.floor((hgt - PAD.top - PAD.bottom) / 40)));
    if (this.opts.min === undefined || this.opts.min === null) lo = Math.floor(lo / ystep) * ystep;
    if (this.opts.max === undefined || this.opts.max === null) hi = Math.ceil(hi / ystep) * ystep;
    const { start, end } = this.range;
    const pw = w - PAD.left - PAD.right, ph = hgt - PAD.top - PAD.bottom;
    const xs = pw / Math.max(1, end - start), ys = ph / (hi - lo);
    this.geom = { lo, hi, start, end, pw, ph, xs, ys, w, hgt };
    // Grid and axes.
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = fg;
    ctx.strokeStyle = grid;
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.beginPath();
    for (let v = lo; v <= hi + ystep / 2; v += ystep) {
      const y = Math.round(PAD.top + ph - (v - lo) * ys) + 0.5;
      ctx.moveTo(PAD.left, y);
      ctx.lineTo(PAD.left + pw, y);
      ctx.fillText(axisLabel(Math.abs(v) < ystep / 1e6 ? 0 : v, this.opts.unit, ystep), PAD.left - 6, y);
    }
    const span = end - start;
    const tstep = TIME_STEPS.find((s) => s * xs >= 80) || TIME_STEPS[TIME_STEPS.length - 1];
    const off = new Date().getTimezoneOffset() * 60e3;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (let t = Math.ceil((start - off) / tstep) * tstep + off; t <= end; t += tstep) {
      const x = Math.round(PAD.left + (t - start) * xs) + 0.5;
      ctx.moveTo(x, PAD.top);
      ctx.lineTo(x, PAD.top + ph);
      ctx.fillText(fmtTime(t, span), x, PAD.top + ph + 5);
    }
    ctx.stroke();
    // Series, back to front so the first is on top.
    ctx.save();
    ctx.beginPath();
    ctx.rect(PAD.left, PAD.top - 1, pw, ph + 2);
    ctx.clip();
    ctx.lineWidth = 1.25;
    ctx.lineJoin = "bevel";
    const gap = this.step > 0 ? this.step * 2.5 : Infinity;
    const t1 = performance.now();
    let pathMs = 0;
    let total = 0;
    for (const s of drawn) total += s.t.length;
    if (total > RASTER_POINTS) {
      // Very many points: paint pixel spans ourselves (no antialiasing),
      // far cheaper than stroking hundreds of thousands of segments.
      this.raster(ctx, drawn, gap, dpr);
    } else {
      for (let si = drawn.length - 1; si >= 0; si--) {
        const s = drawn[si];
        const tp = performance.now();
        this.path(ctx, s.t, s.y, gap);
        pathMs += performance.now() - tp;
        ctx.strokeStyle = s.color;
        ctx.stroke();
        if (this.opts.stacked || drawn.length === 1) {
          ctx.globalAlpha = this.opts.stacked ? 0.35 : 0.12;
          ctx.fillStyle = s.color;
          const below = this.opts.stacked && si > 0 ? drawn[si - 1] : null;
          this.area(ctx, s, below, gap);
          ctx.globalAlpha = 1;
        }
      }
    }
    ctx.restore();
    const t2 = performance.now();
    this.lastDrawMs = t2 - t0;
    // Where the time went: axes and scaling, building paths, rasterizing.
    this.profile = { setup: t1 - t0, paths: pathMs, stroke: t2 - t1 - pathMs };
    window.__telltaleDraws.push(this.lastDrawMs);
    if (window.__telltaleDraws.length > 1000) window.__telltaleDraws.splice(0, 500);
    return this.lastDrawMs;
  }

  // Paints every series into one pixel buffer: per device-pixel column a
  // vertical span from the column's min to max, joined to the previous
  // column's last value. O(points + pixels), whatever the point count.
  raster(ctx, drawn, gap, dpr) {
    const { lo, start, xs, ys, pw, ph } = this.geom;
    const W = Math.max(1, Math.round(pw * dpr)), H = Math.max(1, Math.round(ph * dpr));
    if (!this.scratch) this.scratch = document.createElement("canvas");
    const sc = this.scratch;
    if (sc.width !== W || sc.height !== H) { sc.width = W; sc.height = H; }
    const sctx = sc.getContext("2d");
    const img = sctx.createImageData(W, H);
    const buf = new Uint32Array(img.data.buffer);
    const kx = xs * dpr, ky = ys * dpr;
    const thick = dpr >= 2 ? 2 : 1;
    for (let si = drawn.length - 1; si >= 0; si--) {
      const s = drawn[si], t = s.t, y = s.y, color = rgba32(s.color);
      let col = -1, mn = 0, mx = 0, last = 0, prev = NaN, prevT = -Infinity;
      const flush = () => {
        if (col < 0 || col >= W) return;
        let a = mn, b = mx;
        if (prev === prev) { if (prev < a) a = prev; if (prev > b) b = prev; }
        a = a < 0 ? 0 : a | 0;
        b = b >= H ? H - 1 : b | 0;
        for (let c = col; c < col + thick && c < W; c++) {
          for (let r = a; r <= b + thick - 1 && r < H; r++) buf[r * W + c] = color;
        }
      };
      for (let i = 0; i < t.length; i++) {
        const v = y[i], ti = t[i];
        if (v !== v || ti - prevT > gap) {
          flush();
          col = -1;
          prev = NaN;
          if (v !== v) { prevT = -Infinity; continue; }
        }
        prevT = ti;
        const c = ((ti - start) * kx) | 0;
        const py = H - (v - lo) * ky;
        if (c !== col) {
          if (col >= 0) { flush(); prev = last; }
          col = c; mn = mx = last = py;
        } else {
          if (py < mn) mn = py;
          if (py > mx) mx = py;
          last = py;
        }
      }
      flush();
    }
    sctx.putImageData(img, 0, 0);
    ctx.drawImage(sc, PAD.left, PAD.top, pw, ph);
  }

  // One path per series. Within a pixel column only the extremes are
  // drawn (in the order they were reached), which looks the same as drawing
  // every point: at most two segments per column whatever the point count.
  path(ctx, t, y, gap) {
    const { lo, start, xs, ys, ph } = this.geom;
    const base = PAD.top + ph;
    ctx.beginPath();
    let col = -1, mn = 0, mx = 0, mnFirst = true, pen = false, prevT = -Infinity;
    const flush = () => {
      if (col < 0) return;
      const x = PAD.left + col;
      const a = mnFirst ? mn : mx, b = mnFirst ? mx : mn;
      if (!pen) { ctx.moveTo(x, a); pen = true; } else ctx.lineTo(x, a);
      if (a !== b) ctx.lineTo(x, b);
    };
    for (let i = 0; i < t.length; i++) {
      const v = y[i];
      const ti = t[i];
      if (ti - prevT > gap || v !== v) {
        flush();
        col = -1;
        pen = false;
        if (v !== v || !Number.isFinite(v)) { prevT = -Infinity; continue; }
      }
      prevT = ti;
      const c = ((ti - start) * xs + 0.5) | 0;
      const py = base - (v - lo) * ys;
      if (c !== col) {
        flush();
        col = c; mn = mx = py; mnFirst = true;
      } else if (py < mn) {
        if (mn === mx) mnFirst = false;
        mn = py;
      } else if (py > mx) {
        if (mn === mx) mnFirst = true;
        mx = py;
      }
    }
    flush();
  }

  // The fill under a series (down to the axis, or to the series below).
  area(ctx, s, below, gap) {
    const { lo, start, xs, ys, ph } = this.geom;
    const base = PAD.top + ph;
    const step = Math.max(1, Math.floor(s.t.length / this.geom.pw));
    const belowAt = below ? new Map() : null;
    if (below) for (let i = 0; i < below.t.length; i++) belowAt.set(below.t[i], below.y[i]);
    let run = [];
    const close = () => {
      if (run.length > 1) {
        ctx.beginPath();
        ctx.moveTo(run[0][0], run[0][1]);
        for (const p of run) ctx.lineTo(p[0], p[1]);
        for (let i = run.length - 1; i >= 0; i--) ctx.lineTo(run[i][0], run[i][2]);
        ctx.closePath();
        ctx.fill();
      }
      run = [];
    };
    let prevT = -Infinity;
    for (let i = 0; i < s.t.length; i += step) {
      const v = s.y[i];
      if (!Number.isFinite(v) || s.t[i] - prevT > gap * step) { close(); if (!Number.isFinite(v)) continue; }
      prevT = s.t[i];
      const x = PAD.left + (s.t[i] - start) * xs;
      const b = belowAt ? (belowAt.get(s.t[i]) ?? 0) : Math.max(lo, 0);
      const yb = Number.isFinite(b) ? base - (b - lo) * ys : base;
      run.push([x, base - (v - lo) * ys, Math.min(base, yb)]);
    }
    close();
  }

  hover(e) {
    if (!this.geom || !this.drawn || !e) return;
    const r = this.overlay.getBoundingClientRect();
    const x = e.clientX - r.left;
    const { start, xs, w, hgt } = this.geom;
    const t = start + (x - PAD.left) / xs;
    const rows = [];
    let snapT = null;
    for (const s of this.drawn) {
      if (!s.t.length) continue;
      let i = lowerBound(s.t, t);
      if (i > 0 && (i === s.t.length || t - s.t[i - 1] < s.t[i] - t)) i--;
      if (Math.abs(s.t[i] - t) > Math.max(this.step * 1.5, 3 / xs)) continue;
      if (snapT === null) snapT = s.t[i];
      rows.push({ s, v: s.v[i], y: s.y[i] });
    }
    const dpr = window.devicePixelRatio || 1;
    const ctx = this.overlay.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    if (snapT === null) { this.tip.hidden = true; return; }
    const px = PAD.left + (snapT - start) * xs;
    ctx.strokeStyle = css("--muted", "#888");
    ctx.beginPath();
    ctx.moveTo(px, PAD.top);
    ctx.lineTo(px, PAD.top + this.geom.ph);
    ctx.stroke();
    for (const r2 of rows) {
      if (!Number.isFinite(r2.y)) continue;
      ctx.fillStyle = r2.s.color;
      ctx.beginPath();
      ctx.arc(px, PAD.top + this.geom.ph - (r2.y - this.geom.lo) * this.geom.ys, 3, 0, 2 * Math.PI);
      ctx.fill();
    }
    rows.sort((a, b) => (b.v || 0) - (a.v || 0));
    const shown = rows.slice(0, MAX_TOOLTIP);
    replace(this.tip,
      h("div", { class: "tip-time" }, fmtDateTime(snapT)),
      shown.map((r2) => h("div", { class: "tip-row" },
        h("span", { class: "swatch", style: { background: r2.s.color } }),
        h("span", { class: "tip-name" }, r2.s.name),
        h("span", { class: "tip-val" }, fmtValue(r2.v, this.opts.unit)))),
      rows.length > shown.length ? h("div", { class: "muted" }, "… " + (rows.length - shown.length) + " more") : null);
    this.tip.hidden = false;
    const tw = this.tip.offsetWidth;
    this.tip.style.left = (px + 12 + tw > w ? Math.max(0, px - 12 - tw) : px + 12) + "px";
    this.tip.style.top = "4px";
  }

  unhover() {
    this.tip.hidden = true;
    if (!this.geom) return;
    const ctx = this.overlay.getContext("2d");
    ctx.clearRect(0, 0, this.overlay.width, this.overlay.height);
  }

  renderLegend() {
    if (this.opts.legend === false) return;
    const items = this.series.slice(0, MAX_LEGEND).map((s) => {
      const el = h("button", {
        type: "button",
        class: "legend-item" + (this.hidden.has(s.name) ? " off" : ""),
        title: "Click to hide or show; Ctrl/Cmd-click to show only this",
        onclick: (e) => this.toggle(s.name, e.ctrlKey || e.metaKey),
      }, h("span", { class: "swatch", style: { background: s.color } }), s.name);
      return el;
    });
    replace(this.legend, items,
      this.series.length > MAX_LEGEND ? h("span", { class: "muted" }, "+" + (this.series.length - MAX_LEGEND) + " more") : null);
  }

  /** Hides or shows a series; with `only`, shows only it (or all again). */
  toggle(name, only) {
    if (only) {
      const alone = this.hidden.size === this.series.length - 1 && !this.hidden.has(name);
      this.hidden = new Set(alone ? [] : this.series.map((s) => s.name).filter((n) => n !== name));
    } else if (this.hidden.has(name)) this.hidden.delete(name);
    else this.hidden.add(name);
    this.renderLegend();
    this.draw();
  }
}

/** Converts a Prometheus matrix result into chart series. */
export function matrixToSeries(result, nameOf) {
  return result.map((r) => {
    const n = r.values ? r.values.length : 0;
    const t = new Float64Array(n), v = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      t[i] = r.values[i][0] * 1000;
      v[i] = parseFloat(r.values[i][1]);
    }
    return { name: nameOf(r.metric), labels: r.metric, t, v };
  });
}
