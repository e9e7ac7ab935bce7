// Dashboards: the list (files, built-ins, imported Grafana dashboards) and
// one dashboard's view.

import { h, replace, errorBox, store } from "../dom.js";
import * as api from "../api.js";
import { mountDashboard } from "../dashboard.js";

const IMPORTED = "telltale.imported";

function imported() {
  return store.get(IMPORTED, {});
}

async function importText(text, status) {
  try {
    const d = await api.postJSON("/ui/api/dashboards/import", text);
    const all = imported();
    d.id = d.id || "imported";
    all[d.id] = d;
    store.set(IMPORTED, all);
    history.pushState(null, "", "/dashboards/imported/" + encodeURIComponent(d.id));
    window.dispatchEvent(new PopStateEvent("popstate"));
  } catch (e) {
    replace(status, errorBox("Import failed: " + e.message));
  }
}

async function list(main) {
  const box = h("div", { class: "dash-list" }, h("p", { class: "muted" }, "Loading…"));
  const status = h("div");
  const file = h("input", { type: "file", accept: ".json,application/json", "aria-label": "Grafana dashboard file",
    onchange: async () => { if (file.files[0]) importText(await file.files[0].text(), status); } });
  const paste = h("textarea", { rows: 4, placeholder: "…or paste a Grafana dashboard JSON here", class: "mono", id: "import-json" });
  const btn = h("button", { type: "button", id: "import-button", onclick: () => importText(paste.value, status) }, "Import");
  replace(main,
    h("div", { class: "page-head" }, h("h1", null, "Dashboards")),
    box,
    h("section", { class: "card" }, h("h2", null, "Import a Grafana dashboard"),
      h("p", { class: "muted" }, "Time series, stat, gauge, bar gauge and table panels with Prometheus queries; variables from label_values(...). Imported dashboards are kept in this browser."),
      file, paste, btn, status));
  try {
    const data = await api.getJSON("/ui/api/dashboards");
    const local = Object.values(imported());
    const rows = [
      ...data.dashboards.map((d) => ({ ...d, href: "/dashboards/" + encodeURIComponent(d.id) })),
      ...local.map((d) => ({ id: d.id, title: d.title, tags: d.tags || [], source: "imported (this browser)",
        href: "/dashboards/imported/" + encodeURIComponent(d.id) })),
    ];
    replace(box, h("table", { class: "data" },
      h("thead", null, h("tr", null, h("th", null, "Title"), h("th", null, "Tags"), h("th", null, "Source"))),
      h("tbody", null, rows.map((d) => h("tr", null,
        h("td", null, h("a", { href: d.href, "data-link": true }, d.title)),
        h("td", null, (d.tags || []).map((t) => h("span", { class: "tag" }, t))),
        h("td", { class: "muted" }, d.source))))),
    (data.errors || []).map((e) => errorBox(e)));
  } catch (e) {
    replace(box, errorBox(e.message));
  }
  return null;
}

/** Mounts the list or one dashboard, by path. */
export async function mount(main, loc) {
  const parts = loc.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length < 2) return list(main);
  let dash;
  if (parts[1] === "imported") {
    dash = imported()[parts[2]];
    if (!dash) {
      replace(main, errorBox("No imported dashboard " + JSON.stringify(parts[2]) + " in this browser."));
      return null;
    }
  } else {
    try {
      dash = await api.getJSON("/ui/api/dashboards/" + encodeURIComponent(parts[1]));
    } catch (e) {
      replace(main, errorBox(e.message));
      return null;
    }
  }
  return mountDashboard(main, dash);
}
