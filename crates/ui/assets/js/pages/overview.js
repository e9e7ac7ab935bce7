// The landing page: firing alerts, then the host overview dashboard.

import { h, replace, errorBox } from "../dom.js";
import * as api from "../api.js";
import { mountDashboard } from "../dashboard.js";
import { ago } from "../format.js";

async function firingAlerts(box) {
  try {
    const data = await api.v1("alerts");
    const firing = (data.alerts || []).filter((a) => a.state === "firing");
    if (!firing.length) {
      replace(box, h("div", { class: "banner ok" }, "No alerts firing."));
      return;
    }
    replace(box, h("div", { class: "banner firing" },
      h("strong", null, firing.length + " alert" + (firing.length > 1 ? "s" : "") + " firing"), " ",
      h("a", { href: "/alerts", "data-link": true }, "Open alerts"),
      h("ul", null, firing.slice(0, 10).map((a) => h("li", null,
        h("b", null, a.labels.alertname || "alert"), " ",
        a.labels.instance ? h("span", { class: "muted" }, a.labels.instance + " ") : null,
        (a.annotations && (a.annotations.summary || a.annotations.description)) || "",
        a.activeAt ? h("span", { class: "muted" }, " · since " + ago(Date.parse(a.activeAt))) : null)))));
  } catch (e) {
    replace(box, errorBox("Alerts: " + e.message));
  }
}

/** Mounts the overview. */
export async function mount(main) {
  const banner = h("div", { class: "alerts-banner" });
  let dash;
  try {
    dash = await api.getJSON("/ui/api/dashboards/host");
  } catch (e) {
    replace(main, errorBox("Loading the host dashboard: " + e.message));
    return null;
  }
  const stop = mountDashboard(main, dash, { banner });
  firingAlerts(banner);
  const id = setInterval(() => { if (!document.hidden) firingAlerts(banner); }, 30000);
  return () => { clearInterval(id); stop(); };
}
