// Applies the saved (or preferred) colour theme before the page paints.
(function () {
  var t = null;
  try { t = localStorage.getItem("telltale.theme"); } catch (e) { t = null; }
  if (t !== "light" && t !== "dark") {
    t = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  document.documentElement.dataset.theme = t;
})();
