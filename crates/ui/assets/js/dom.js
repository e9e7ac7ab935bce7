// Small DOM helpers: element creation without innerHTML (no injection).

/** Creates an element: h("div", {class: "x", onclick: f}, child, "text"). */
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
      else if (k === "value") el.value = v;
      else if (k === "checked") el.checked = !!v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(el, kids);
  return el;
}

function append(el, kids) {
  for (const k of kids) {
    if (k === undefined || k === null || k === false) continue;
    if (Array.isArray(k)) append(el, k);
    else if (k instanceof Node) el.appendChild(k);
    else el.appendChild(document.createTextNode(String(k)));
  }
}

/** Removes every child of `el`, then appends `kids`. */
export function replace(el, ...kids) {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, kids);
  return el;
}

/** An error box with a message. */
export function errorBox(msg) {
  return h("div", { class: "error" }, String(msg));
}

/** Reads and writes small JSON values in localStorage, ignoring failures. */
export const store = {
  get(key, dflt) {
    try {
      const v = localStorage.getItem(key);
      return v === null ? dflt : JSON.parse(v);
    } catch (e) {
      return dflt;
    }
  },
  set(key, v) {
    try { localStorage.setItem(key, JSON.stringify(v)); } catch (e) { /* full or disabled */ }
  },
};
