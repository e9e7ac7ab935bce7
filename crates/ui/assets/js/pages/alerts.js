// Alerts: alert groups from the notifier, alerting rules, silences
// (create from an alert, edit, expire), the notification history and the
// alerts received on /alert. Parts whose API is missing say so and carry on.

import { h, replace, errorBox, store } from "../dom.js";
import * as api from "../api.js";
import { ago, fmtDateTime, fmtDuration, parseDuration } from "../format.js";

const AUTHOR = "telltale.silence.author";

function labelChips(labels, skip = []) {
  return Object.entries(labels || {}).filter(([k]) => !skip.includes(k)).sort()
    .map(([k, v]) => h("span", { class: "chip" }, k + "=" + v));
}

function unavailable(e, what) {
  if (e.status === 404) return h("p", { class: "muted" }, what + " is not available on this server.");
  return errorBox(what + ": " + e.message);
}

function ts(s) {
  const t = Date.parse(s || "");
  return Number.isFinite(t) && t > 0 ? t : 0;
}

/** Matchers to and from `{a="b", c=~"d.*"}` text. */
export function matchersText(ms) {
  return "{" + ms.map((m) => m.name + (m.isEqual === false ? "!" : "=") + (m.isRegex ? "~" : "") + JSON.stringify(m.value)).join(", ") + "}";
}

export function parseMatchers(text) {
  const s = text.trim().replace(/^\{/, "").replace(/\}$/, "");
  const out = [];
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/gy;
  let m, pos = 0;
  while (pos < s.length && (m = re.exec(s)) !== null) {
    out.push({ name: m[1], value: JSON.parse('"' + m[3] + '"'), isRegex: m[2].includes("~"), isEqual: !m[2].startsWith("!") });
    pos = re.lastIndex;
  }
  if (s.trim() && pos < s.length) throw new Error("cannot read matchers from " + JSON.stringify(s.slice(pos)));
  if (!out.length) throw new Error("at least one matcher is needed");
  return out;
}

/** Mounts the page. */
export async function mount(main) {
  const groupsBox = h("section", { class: "card", id: "alert-groups" }, h("h2", null, "Firing alerts"));
  const rulesBox = h("section", { class: "card", id: "rules" }, h("h2", null, "Alerting rules"));
  const silBox = h("section", { class: "card", id: "silences" }, h("h2", null, "Silences"));
  const formBox = h("div", { id: "silence-form-box" });
  const histBox = h("section", { class: "card", id: "history" }, h("h2", null, "Notification history"));
  const recvBox = h("section", { class: "card", id: "received" }, h("h2", null, "Alerts received on /alert"));
  replace(main, h("div", { class: "page-head" }, h("h1", null, "Alerts")), formBox, groupsBox, rulesBox, silBox, histBox, recvBox);

  const silenceForm = (sil) => {
    const now = Date.now();
    const starts = ts(sil.startsAt) || now;
    const ends = ts(sil.endsAt) || now + 2 * 3600e3;
    const matchIn = h("input", { class: "mono wide", value: matchersText(sil.matchers || []), "aria-label": "Matchers", id: "silence-matchers" });
    const durIn = h("input", { value: fmtDuration(Math.max(60, (ends - Math.max(starts, now)) / 1000)), size: 8, "aria-label": "Duration", id: "silence-duration" });
    const byIn = h("input", { value: sil.createdBy || store.get(AUTHOR, ""), "aria-label": "Created by", id: "silence-author" });
    const comIn = h("textarea", { rows: 2, class: "wide", "aria-label": "Comment", id: "silence-comment" });
    comIn.value = sil.comment || "";
    const msg = h("div");
    const save = async () => {
      try {
        const matchers = parseMatchers(matchIn.value);
        const d = parseDuration(durIn.value.trim());
        if (!Number.isFinite(d) || d <= 0) throw new Error("invalid duration " + JSON.stringify(durIn.value));
        const start = Math.max(starts, Date.now());
        const body = { matchers, startsAt: new Date(start).toISOString(), endsAt: new Date(start + d * 1000).toISOString(),
          createdBy: byIn.value.trim(), comment: comIn.value.trim() };
        if (sil.id) body.id = sil.id;
        store.set(AUTHOR, body.createdBy);
        const r = await api.postJSON("/api/v2/silences", body);
        replace(formBox, h("div", { class: "banner ok", id: "silence-saved" }, "Silence " + ((r && r.silenceID) || "") + " saved."));
        loadSilences();
        loadGroups();
      } catch (e) {
        replace(msg, errorBox(e.message));
      }
    };
    replace(formBox, h("section", { class: "card silence-form" },
      h("h2", null, sil.id ? "Edit silence" : "New silence"),
      h("label", null, "Matchers ", matchIn),
      h("div", { class: "toolbar" }, h("label", null, "Duration ", durIn), h("label", null, "Created by ", byIn)),
      h("label", null, "Comment ", comIn),
      h("div", { class: "toolbar" },
        h("button", { type: "button", class: "primary", id: "silence-save", onclick: save }, sil.id ? "Update" : "Create"),
        h("button", { type: "button", onclick: () => replace(formBox) }, "Cancel")), msg));
    matchIn.focus();
  };

  async function loadGroups() {
    try {
      const groups = await api.getJSON("/api/v2/alerts/groups");
      replace(groupsBox, h("h2", null, "Firing alerts, as the notifier groups them"),
        h("div", { class: "toolbar" }, h("button", { type: "button", onclick: () => silenceForm({ matchers: [] }) }, "New silence")),
        groups.length ? groups.map((g) => h("div", { class: "alert-group" },
          h("div", { class: "group-head" }, labelChips(g.labels), h("span", { class: "muted" }, " → " + ((g.receiver && g.receiver.name) || ""))),
          h("table", { class: "data" }, h("tbody", null, (g.alerts || []).map((a) => h("tr", { class: "alert-" + ((a.status && a.status.state) || "") },
            h("td", null, h("span", { class: "state state-" + ((a.status && a.status.state) || "") }, (a.status && a.status.state) || "")),
            h("td", null, labelChips(a.labels, Object.keys(g.labels || {}))),
            h("td", null, (a.annotations && (a.annotations.summary || a.annotations.description)) || ""),
            h("td", { class: "muted" }, "since " + ago(ts(a.startsAt))),
            h("td", null, h("button", { type: "button", class: "silence-btn",
              onclick: () => silenceForm({ matchers: Object.entries(a.labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })) }) },
            "Silence")))))))) : h("p", { class: "muted" }, "No alerts."));
    } catch (e) {
      replace(groupsBox, h("h2", null, "Firing alerts"), unavailable(e, "The Alertmanager API"));
      try {
        const d = await api.v1("alerts");
        groupsBox.append(h("table", { class: "data" }, h("tbody", null, d.alerts.map((a) => h("tr", null,
          h("td", null, h("span", { class: "state state-" + a.state }, a.state)), h("td", null, labelChips(a.labels)),
          h("td", { class: "muted" }, a.activeAt ? "since " + ago(ts(a.activeAt)) : "")))))); 
      } catch (e2) { groupsBox.append(errorBox(e2.message)); }
    }
  }

  async function loadRules() {
    try {
      const d = await api.v1("rules", { type: "alert" });
      const count = { inactive: 0, pending: 0, firing: 0 };
      const rows = [];
      for (const g of d.groups || []) {
        for (const r of g.rules || []) {
          count[r.state] = (count[r.state] || 0) + 1;
          rows.push(h("tr", null,
            h("td", null, h("span", { class: "state state-" + r.state }, r.state)),
            h("td", null, h("b", null, r.name), h("div", { class: "muted small" }, g.name + " · " + (g.file || ""))),
            h("td", null, h("a", { class: "mono", href: "/explore?q=" + encodeURIComponent(r.query), "data-link": true }, r.query),
              r.duration ? h("div", { class: "muted small" }, "for " + fmtDuration(r.duration)) : null),
            h("td", null, r.health === "ok" ? "ok" : h("span", { class: "error-inline" }, r.health + (r.lastError ? ": " + r.lastError : ""))),
            h("td", { class: "muted" }, ts(r.lastEvaluation) ? ago(ts(r.lastEvaluation)) : "never",
              r.evaluationTime !== undefined ? h("div", { class: "small" }, (r.evaluationTime * 1000).toFixed(1) + " ms") : null),
            h("td", null, String((r.alerts || []).length))));
        }
      }
      replace(rulesBox, h("h2", null, "Alerting rules"),
        h("p", { class: "muted" }, `${count.firing} firing, ${count.pending} pending, ${count.inactive} inactive`),
        rows.length ? h("div", { class: "table-wrap" }, h("table", { class: "data" },
          h("thead", null, h("tr", null, ["State", "Rule", "Expression", "Health", "Last evaluation", "Alerts"].map((x) => h("th", null, x)))),
          h("tbody", null, rows))) : h("p", { class: "muted" }, "No alerting rules."));
    } catch (e) {
      replace(rulesBox, h("h2", null, "Alerting rules"), unavailable(e, "The rules API"));
    }
  }

  async function loadSilences() {
    try {
      const list = await api.getJSON("/api/v2/silences");
      const order = { active: 0, pending: 1, expired: 2 };
      list.sort((a, b) => (order[a.status.state] - order[b.status.state]) || (ts(b.updatedAt) - ts(a.updatedAt)));
      replace(silBox, h("h2", null, "Silences"),
        list.length ? h("div", { class: "table-wrap" }, h("table", { class: "data" },
          h("thead", null, h("tr", null, ["State", "Matchers", "Ends", "Created by", "Comment", ""].map((x) => h("th", null, x)))),
          h("tbody", null, list.slice(0, 500).map((s) => h("tr", { "data-silence": s.id },
            h("td", null, h("span", { class: "state state-" + s.status.state }, s.status.state)),
            h("td", { class: "mono" }, matchersText(s.matchers)),
            h("td", { class: "muted" }, fmtDateTime(ts(s.endsAt))),
            h("td", null, s.createdBy), h("td", null, s.comment),
            h("td", null, s.status.state === "expired" ? null : [
              h("button", { type: "button", onclick: () => silenceForm(s) }, "Edit"), " ",
              h("button", { type: "button", onclick: async () => {
                try { await api.del("/api/v2/silence/" + encodeURIComponent(s.id)); } catch (e) { silBox.append(errorBox(e.message)); }
                loadSilences();
              } }, "Expire")])))))) : h("p", { class: "muted" }, "No silences."));
    } catch (e) {
      replace(silBox, h("h2", null, "Silences"), unavailable(e, "The silences API"));
    }
  }

  async function loadHistory() {
    try {
      const list = await api.getJSON("/api/v2/history");
      const rows = (list || []).slice(-200).reverse();
      replace(histBox, h("h2", null, "Notification history"),
        rows.length ? h("div", { class: "table-wrap" }, h("table", { class: "data" },
          h("thead", null, h("tr", null, ["Time", "Receiver", "Outcome", "Alerts", "Reason"].map((x) => h("th", null, x)))),
          h("tbody", null, rows.map((a) => h("tr", null,
            h("td", { class: "muted" }, fmtDateTime(ts(a.time))),
            h("td", null, a.receiver + " · " + a.integration),
            h("td", null, h("span", { class: "state state-" + (a.outcome === "success" ? "ok" : "firing") }, a.outcome), a.error ? " " + a.error : ""),
            h("td", null, (a.alerts || []).slice(0, 5).map((x) => h("div", null, x.status + " " + (x.labels.alertname || x.fingerprint)))),
            h("td", { class: "muted" }, a.reason + (a.attempt > 1 ? " (try " + a.attempt + ")" : ""))))))) : h("p", { class: "muted" }, "Nothing sent yet."));
    } catch (e) {
      replace(histBox, h("h2", null, "Notification history"), unavailable(e, "The notification history"));
    }
  }

  async function loadReceived() {
    try {
      const d = await api.getJSON("/alert");
      const rows = (d.alerts || []).slice(-200).reverse();
      replace(recvBox, h("h2", null, "Alerts received on /alert"),
        rows.length ? h("div", { class: "table-wrap" }, h("table", { class: "data" },
          h("thead", null, h("tr", null, ["Received", "Status", "Labels", "Summary", "From"].map((x) => h("th", null, x)))),
          h("tbody", null, rows.map((r) => h("tr", null,
            h("td", { class: "muted" }, fmtDateTime(ts(r.receivedAt))),
            h("td", null, h("span", { class: "state state-" + r.alert.status }, r.alert.status)),
            h("td", null, labelChips(r.alert.labels)),
            h("td", null, (r.alert.annotations && (r.alert.annotations.summary || r.alert.annotations.description)) || ""),
            h("td", { class: "muted" }, r.receiver)))))) : h("p", { class: "muted" }, "No alerts received."));
    } catch (e) {
      replace(recvBox, h("h2", null, "Alerts received on /alert"), unavailable(e, "The /alert receiver"));
    }
  }

  const all = () => Promise.all([loadGroups(), loadRules(), loadSilences(), loadHistory(), loadReceived()]);
  await all();
  main.dataset.rendered = "1";
  const id = setInterval(() => { if (!document.hidden && !formBox.firstChild) all(); }, 30000);
  return () => clearInterval(id);
}
