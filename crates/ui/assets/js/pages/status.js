// Status: build and runtime information, flags, the configuration and the
// storage (head series, cardinality tops, blocks and WAL from /metrics).

import { h, replace, errorBox } from "../dom.js";
import * as api from "../api.js";
import { fmtValue, fmtDateTime } from "../format.js";

function kvTable(obj) {
  return h("table", { class: "data kv" }, h("tbody", null, Object.entries(obj || {}).map(([k, v]) =>
    h("tr", null, h("th", null, k), h("td", { class: "mono" }, typeof v === "object" ? JSON.stringify(v) : String(v))))));
}

function topTable(title, rows) {
  return h("div", { class: "top" }, h("h3", null, title), h("table", { class: "data" }, h("tbody", null,
    (rows || []).map((r) => h("tr", null, h("td", { class: "mono" }, r.name), h("td", { class: "num" }, String(r.value)))))));
}

async function section(box, title, fn) {
  try {
    replace(box, h("h2", null, title), await fn());
  } catch (e) {
    replace(box, h("h2", null, title), e.status === 404 || e.type === "unavailable"
      ? h("p", { class: "muted" }, e.message) : errorBox(e.message));
  }
}

/** The storage lines of Telltale's own /metrics (blocks, WAL, head, compactions). */
export function storageMetrics(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    if (!/^[a-z_]*(tsdb|wal|block|compaction|head)[a-z_]*/i.test(line)) continue;
    const sp = line.lastIndexOf(" ");
    if (sp < 0) continue;
    out.push({ name: line.slice(0, sp), value: line.slice(sp + 1) });
    if (out.length >= 200) break;
  }
  return out;
}

/** Mounts the page. */
export async function mount(main) {
  const boxes = ["build", "runtime", "tsdb", "storage", "flags", "config"].map((id) => h("section", { class: "card", id: "status-" + id }));
  const [build, runtime, tsdb, storage, flags, config] = boxes;
  replace(main, h("div", { class: "page-head" }, h("h1", null, "Status")), h("div", { class: "status-grid" }, boxes));
  await Promise.all([
    section(build, "Build", async () => kvTable(await api.v1("status/buildinfo"))),
    section(runtime, "Runtime", async () => kvTable(await api.v1("status/runtimeinfo"))),
    section(tsdb, "Storage: head and cardinality", async () => {
      const d = await api.v1("status/tsdb", { limit: 10 });
      const hs = d.headStats || {};
      return [
        kvTable({ "Series": hs.numSeries, "Label pairs": hs.numLabelPairs, "Chunks": hs.chunkCount,
          "Oldest sample": hs.minTime ? fmtDateTime(hs.minTime) : "–", "Newest sample": hs.maxTime ? fmtDateTime(hs.maxTime) : "–" }),
        h("div", { class: "tops" },
          topTable("Top metrics by series", d.seriesCountByMetricName),
          topTable("Top label names by values", d.labelValueCountByLabelName),
          topTable("Top label pairs by series", d.seriesCountByLabelValuePair),
          topTable("Label names by memory", (d.memoryInBytesByLabelName || []).map((r) => ({ name: r.name, value: fmtValue(r.value, "bytes") })))),
      ];
    }),
    section(storage, "Storage: blocks and WAL", async () => {
      const rows = storageMetrics(await api.getText("/metrics"));
      return rows.length ? topTable("From /metrics", rows) : h("p", { class: "muted" }, "No storage metrics exposed.");
    }),
    section(flags, "Flags", async () => kvTable(await api.v1("status/flags"))),
    section(config, "Configuration (secrets redacted)", async () => {
      const d = await api.v1("status/config");
      return h("pre", { class: "mono config" }, d.yaml || "(empty)");
    }),
  ]);
  main.dataset.rendered = "1";
  return null;
}
