// The page shell: client-side routing between pages, the nav and the theme.

const PAGES = {
  overview: () => import("./pages/overview.js"),
  dashboards: () => import("./pages/dashboards.js"),
  explore: () => import("./pages/explore.js"),
  alerts: () => import("./pages/alerts.js"),
  targets: () => import("./pages/targets.js"),
  status: () => import("./pages/status.js"),
};

/** The page for a path. */
export function pageFor(path) {
  if (path === "/" || path === "") return "overview";
  if (path === "/graph") return "explore";
  const first = path.split("/")[1];
  return PAGES[first] ? first : null;
}

let cleanup = null;
let navId = 0;

async function render() {
  const id = ++navId;
  const main = document.getElementById("main");
  const name = pageFor(location.pathname);
  for (const a of document.querySelectorAll("#nav a")) {
    a.classList.toggle("active", a.dataset.page === name);
  }
  if (cleanup) { try { cleanup(); } catch (e) { /* page already gone */ } cleanup = null; }
  if (!name) {
    main.textContent = "No such page: " + location.pathname;
    return;
  }
  document.title = "Telltale · " + name[0].toUpperCase() + name.slice(1);
  const mod = await PAGES[name]();
  if (id !== navId) return;
  main.replaceChildren();
  main.dataset.page = name;
  delete main.dataset.rendered;
  cleanup = (await mod.mount(main, location)) || null;
}

/** Goes to an in-app URL without reloading. */
export function navigate(url) {
  history.pushState(null, "", url);
  render();
}

document.addEventListener("click", (e) => {
  const a = e.target.closest && e.target.closest("a[href]");
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !pageFor(url.pathname)) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener("popstate", render);

document.getElementById("theme-toggle").addEventListener("click", () => {
  const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
  document.documentElement.dataset.theme = next;
  try { localStorage.setItem("telltale.theme", next); } catch (e) { /* private mode */ }
  window.dispatchEvent(new Event("themechange"));
});

window.addEventListener("unhandledrejection", (e) => {
  const main = document.getElementById("main");
  const box = document.createElement("div");
  box.className = "error";
  box.textContent = "Error: " + (e.reason && e.reason.message ? e.reason.message : String(e.reason));
  main.prepend(box);
});

render();
