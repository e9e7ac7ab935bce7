// Formatting: values with units, times, durations and legends.

const SI = [
  [1e24, "Y"], [1e21, "Z"], [1e18, "E"], [1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"],
];
const IEC = [
  [2 ** 60, "Ei"], [2 ** 50, "Pi"], [2 ** 40, "Ti"], [2 ** 30, "Gi"], [2 ** 20, "Mi"], [2 ** 10, "Ki"],
];

function num(v, digits) {
  if (!isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(Math.min(digits, 1));
  if (a >= 1) return v.toFixed(Math.min(digits, 2));
  if (a >= 0.001) return String(Number(v.toPrecision(3)));
  return v.toExponential(2);
}

function scaled(v, table, suffix, digits) {
  const a = Math.abs(v);
  for (const [f, p] of table) if (a >= f) return num(v / f, digits) + " " + p + suffix;
  return num(v, digits) + (suffix ? " " + suffix : "");
}

function seconds(v) {
  const a = Math.abs(v);
  if (a === 0) return "0 s";
  if (a < 1e-6) return num(v * 1e9, 3) + " ns";
  if (a < 1e-3) return num(v * 1e6, 3) + " µs";
  if (a < 1) return num(v * 1e3, 3) + " ms";
  if (a < 120) return num(v, 3) + " s";
  if (a < 7200) return num(v / 60, 2) + " min";
  if (a < 172800) return num(v / 3600, 2) + " h";
  return num(v / 86400, 2) + " d";
}

/** Formats `v` in `unit` (Grafana's unit names). */
export function fmtValue(v, unit, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (!isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  switch (unit) {
    case "bytes": return scaled(v, IEC, "B", digits);
    case "decbytes": return scaled(v, SI, "B", digits);
    case "bits": return scaled(v, SI, "b", digits);
    case "Bps": return scaled(v, SI, "B/s", digits);
    case "binBps": return scaled(v, IEC, "B/s", digits);
    case "bps": return scaled(v, SI, "b/s", digits);
    case "percent": return num(v, 2) + "%";
    case "percentunit": return num(v * 100, 2) + "%";
    case "s": return seconds(v);
    case "ms": return seconds(v / 1e3);
    case "us": case "µs": return seconds(v / 1e6);
    case "ns": return seconds(v / 1e9);
    case "reqps": return scaled(v, SI, "req/s", digits);
    case "ops": return scaled(v, SI, "ops/s", digits);
    case "iops": return scaled(v, SI, "io/s", digits);
    case "pps": return scaled(v, SI, "p/s", digits);
    case "hertz": return scaled(v, SI, "Hz", digits);
    case "celsius": return num(v, 2) + " °C";
    case "none": return num(v, digits);
    case "dateTimeAsIso": return new Date(v * 1000).toISOString();
    default: return scaled(v, SI, "", digits).trim();
  }
}

/** A time label for an axis whose span is `span` ms. */
export function fmtTime(ms, span) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, "0");
  const hm = p(d.getHours()) + ":" + p(d.getMinutes());
  if (span <= 5 * 60e3) return hm + ":" + p(d.getSeconds());
  if (span <= 36 * 3600e3) return hm;
  return p(d.getMonth() + 1) + "-" + p(d.getDate()) + (span <= 8 * 86400e3 ? " " + hm : "");
}

/** A full local date and time. */
export function fmtDateTime(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, "0");
  return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " +
    p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
}

const UNITS = { y: 31536000, w: 604800, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };

/** Parses a Prometheus duration (`1h30m`, `90s`) to seconds; NaN if invalid. */
export function parseDuration(s) {
  if (typeof s !== "string" || !s) return NaN;
  const re = /(\d+(?:\.\d+)?)(ms|y|w|d|h|m|s)/g;
  let total = 0, used = 0, m;
  while ((m = re.exec(s)) !== null) {
    total += parseFloat(m[1]) * UNITS[m[2]];
    used += m[0].length;
  }
  return used === s.length ? total : NaN;
}

/** Formats seconds as a Prometheus duration (`1h30m`). */
export function fmtDuration(sec) {
  if (!isFinite(sec) || sec <= 0) return "0s";
  let s = Math.round(sec * 1000) / 1000, out = "";
  for (const [u, f] of [["d", 86400], ["h", 3600], ["m", 60]]) {
    if (s >= f) { out += Math.floor(s / f) + u; s -= Math.floor(s / f) * f; }
  }
  if (s > 0 || !out) out += (Number.isInteger(s) ? s : s.toFixed(3)) + "s";
  return out;
}

/** How long ago `ms` was, roughly (`12s ago`). */
export function ago(ms) {
  if (!ms || ms <= 0) return "never";
  const s = (Date.now() - ms) / 1000;
  if (s < 0) return "in " + fmtDuration(-Math.round(s));
  return fmtDuration(Math.max(0, Math.round(s))) + " ago";
}

/** `{__name__="x", a="b"}` as PromQL text. */
export function seriesName(metric) {
  const name = metric.__name__ || "";
  const rest = Object.keys(metric).filter((k) => k !== "__name__").sort()
    .map((k) => k + "=" + JSON.stringify(metric[k]));
  return name + (rest.length || !name ? "{" + rest.join(", ") + "}" : "");
}

/** A legend: `{{label}}` replaced by values; the series name when empty. */
export function legendName(metric, fmt) {
  if (!fmt) return seriesName(metric);
  return fmt.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, k) => metric[k] ?? "");
}
