// Targets: scrape pools with each target's health, last scrape, duration
// and last error.

import { h, replace, errorBox } from "../dom.js";
import * as api from "../api.js";
import { ago, fmtValue } from "../format.js";

/** Mounts the page. */
export async function mount(main) {
  const onlyBad = h("input", { type: "checkbox", id: "only-unhealthy" });
  const filter = h("input", { type: "search", placeholder: "Filter by endpoint or label", "aria-label": "Filter" });
  const box = h("div", { id: "targets" }, h("p", { class: "muted" }, "Loading…"));
  replace(main, h("div", { class: "page-head" }, h("h1", null, "Targets"),
    h("div", { class: "toolbar" }, filter, h("label", null, onlyBad, " Unhealthy only"))), box);
  let data = null;
  const render = () => {
    const f = filter.value.trim().toLowerCase();
    const pools = new Map();
    for (const t of data.activeTargets || []) {
      if (onlyBad.checked && t.health === "up") continue;
      const text = (t.scrapeUrl + " " + Object.entries(t.labels || {}).map(([k, v]) => k + "=" + v).join(" ")).toLowerCase();
      if (f && !text.includes(f)) continue;
      if (!pools.has(t.scrapePool)) pools.set(t.scrapePool, []);
      pools.get(t.scrapePool).push(t);
    }
    if (!pools.size) {
      replace(box, h("p", { class: "muted" }, (data.activeTargets || []).length ? "No target matches." : "No scrape targets configured."));
      return;
    }
    replace(box, [...pools.entries()].sort().map(([pool, ts]) => {
      const up = ts.filter((t) => t.health === "up").length;
      return h("section", { class: "card" }, h("h2", null, pool, h("span", { class: "muted" }, ` (${up}/${ts.length} up)`)),
        h("div", { class: "table-wrap" }, h("table", { class: "data" },
          h("thead", null, h("tr", null, ["Endpoint", "State", "Labels", "Last scrape", "Duration", "Error"].map((x) => h("th", null, x)))),
          h("tbody", null, ts.map((t) => h("tr", null,
            h("td", null, h("a", { href: t.scrapeUrl, target: "_blank", rel: "noopener" }, t.scrapeUrl)),
            h("td", null, h("span", { class: "state state-" + t.health }, t.health)),
            h("td", null, Object.entries(t.labels || {}).sort().map(([k, v]) => h("span", { class: "chip" }, k + "=" + v))),
            h("td", { class: "muted" }, ago(Date.parse(t.lastScrape))),
            h("td", { class: "num" }, fmtValue(t.lastScrapeDuration, "s")),
            h("td", { class: "error-inline" }, t.lastError || "")))))));
    }));
  };
  try {
    data = await api.v1("targets");
    render();
  } catch (e) {
    replace(box, errorBox(e.message));
  }
  filter.addEventListener("input", () => data && render());
  onlyBad.addEventListener("change", () => data && render());
  main.dataset.rendered = "1";
  return null;
}
